"""Torch modules: the bundled backbone, the parser network, the garment embedder."""
