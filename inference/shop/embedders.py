"""Garment embedders: one interface, chosen by name in config (`inference.embedder`).

A garment vector is [visual part · w_v, colour part · w_c], each part L2-normalised and
w_v² + w_c² = 1, so the whole is unit length and an angular (cosine) index compares both at once.

- `lite0`: the bundled ImageNet EfficientNet-Lite0's pooled 1280 features through a small
  projection (1280 -> 128) trained with a batch-hard triplet loss on augmented street and product
  garment crops (`stylebot train embedder`, weights in inference/shop/weights/).
- `lite0-raw`: the same backbone's pooled features without the projection (the baseline).
- `fashion-clip` (or any CLIP on the hub): CLIP's image embedding through transformers
  (inference/shop/clip.py).
The Lite0 parts run from graphs exported once (inference/core/onnx_models.py); their torch
modules are in inference/shop/heads.py.
The colour part is a soft CIELAB histogram of the garment's own pixels (background excluded).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from inference.core.colour import to_lab
from inference.core.lite0_spec import MEAN, POOLED_CHANNELS, STD, bundled_weights
from inference.core.onnx_models import CompiledModel, compiled, shared_model
from inference.shop.crop import GarmentCrop

log = logging.getLogger(__name__)

PROJECTION_WEIGHTS = Path(__file__).parent / "weights" / "embed_lite0_proj.pt"
#: Soft-histogram bin centres in CIELAB (4 x 4 x 4 = 64 bins).
L_CENTRES = np.array([12.0, 37.0, 62.0, 87.0])
AB_CENTRES = np.array([-36.0, -12.0, 12.0, 36.0])
COLOUR_DIM = len(L_CENTRES) * len(AB_CENTRES) ** 2
DEFAULT_COLOUR_WEIGHT = 0.45


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, crops: list[GarmentCrop]) -> np.ndarray:
        """(n, dim) float32 unit rows."""


def colour_descriptor(pixels: np.ndarray) -> np.ndarray:
    """64-bin soft CIELAB histogram of (N, 3) uint8 pixels, square-rooted and unit length."""
    if len(pixels) == 0:
        return np.zeros(COLOUR_DIM, dtype=np.float32)
    lab = to_lab(pixels[None].astype(np.uint8))[0]
    wl = np.exp(-0.5 * ((lab[:, :1] - L_CENTRES) / 14.0) ** 2)
    wa = np.exp(-0.5 * ((lab[:, 1:2] - AB_CENTRES) / 12.0) ** 2)
    wb = np.exp(-0.5 * ((lab[:, 2:3] - AB_CENTRES) / 12.0) ** 2)
    for w in (wl, wa, wb):
        w /= w.sum(1, keepdims=True) + 1e-9
    hist = np.einsum("ni,nj,nk->ijk", wl, wa, wb).ravel()
    hist = np.sqrt(hist / max(hist.sum(), 1e-9))
    return (hist / max(np.linalg.norm(hist), 1e-9)).astype(np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def combine(visual: np.ndarray, colour: np.ndarray, colour_weight: float) -> np.ndarray:
    """Unit [visual · w_v, colour · w_c] rows from unnormalised parts."""
    wc = float(colour_weight)
    wv = float(np.sqrt(max(0.0, 1.0 - wc * wc)))
    return np.concatenate([_unit(visual) * wv, _unit(colour) * wc], axis=1).astype(np.float32)


def crops_to_array(crops: list[GarmentCrop], size: int, mean, std) -> np.ndarray:  # noqa: ANN001
    """(n, 3, size, size) float32, normalised with the model's mean and std."""
    arrays = [np.asarray(c.image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR),
                         dtype=np.float32) / 255.0 for c in crops]
    x = (np.stack(arrays) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32)


def pooled_backbone() -> CompiledModel:
    """The bundled ImageNet Lite0's pooled features (n, 3, H, W) -> (n, 1280), exported once."""
    def export(path: Path) -> None:
        from inference.shop.heads import export_pooled_backbone

        export_pooled_backbone(path)

    return shared_model(compiled("lite0-pooled", [bundled_weights()], export))


def projection_model(weights: Path) -> CompiledModel:
    def export(path: Path) -> None:
        from inference.shop.heads import export_projection

        export_projection(weights, path)

    return shared_model(compiled("projection", [Path(weights)], export))


class Lite0Embedder:
    """The bundled backbone's pooled features, projected when trained weights are given."""

    def __init__(self, projection: Path | None = PROJECTION_WEIGHTS, batch: int = 32,
                 colour_weight: float | None = None) -> None:
        self.backbone = pooled_backbone()
        self.head: CompiledModel | None = None
        meta: dict = {}
        if projection is not None:
            if not Path(projection).exists():
                raise FileNotFoundError(
                    f"{projection} is missing; train it with `stylebot train embedder`"
                    " or use the embedder 'lite0-raw'")
            self.head = projection_model(Path(projection))
            meta = self.head.meta
        self.name = "lite0" if self.head is not None else "lite0-raw"
        self.visual_dim = meta.get("out_dim", POOLED_CHANNELS)
        self.colour_weight = (colour_weight if colour_weight is not None
                              else meta.get("colour_weight", DEFAULT_COLOUR_WEIGHT))
        self.dim = self.visual_dim + COLOUR_DIM
        self.batch = batch

    def pooled(self, crops: list[GarmentCrop]) -> np.ndarray:
        """(n, 1280) backbone features (before the projection)."""
        out = [self.backbone.run(x=crops_to_array(crops[i:i + self.batch], 224, MEAN, STD))[0]
               for i in range(0, len(crops), self.batch)]
        return np.concatenate(out) if out else np.zeros((0, POOLED_CHANNELS), np.float32)

    def project(self, pooled: np.ndarray) -> np.ndarray:
        """The visual part from pooled features: projected, or as they are without a head."""
        return pooled if self.head is None else self.head.run(features=pooled)[0]

    def embed(self, crops: list[GarmentCrop]) -> np.ndarray:
        return self.embed_pooled(crops)[0]

    def embed_pooled(self, crops: list[GarmentCrop]) -> tuple[np.ndarray, np.ndarray]:
        """The vectors and the backbone features they came from (what the kind head reads),
        from one backbone pass."""
        if not crops:
            return (np.zeros((0, self.dim), np.float32),
                    np.zeros((0, POOLED_CHANNELS), np.float32))
        feats = self.pooled(crops)
        colours = np.stack([colour_descriptor(c.pixels) for c in crops])
        return combine(self.project(feats), colours, self.colour_weight), feats
