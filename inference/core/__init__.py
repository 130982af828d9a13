"""What every capability shares: untrusted bytes to a safe image (`decode.load_photo`), colour
(`colour.dominant_colours`, families), pattern, the garment classes (`garments`), drawing
(`drawing`: overlay, palette, cut-out, side by side), the bundled backbone and the model runner."""
