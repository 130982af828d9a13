"""Clothing parsing: a photo to an `Outfit` of garments with colour and pattern.

Entry point: `outfit.parse_outfit(image, parser)` with a `outfit.Parser` from the backends
(`lite0.Lite0Parser`, the bundled default with `net.ParserNet` and `weights/`; or
`segformer.SegformerParser`).
"""
