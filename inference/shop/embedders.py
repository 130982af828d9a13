"""Garment embedders: one interface, chosen by name in config (`inference.embedder`).

A garment vector is [visual part · w_v, colour part · w_c], each part L2-normalised and
w_v² + w_c² = 1, so the whole is unit length and an angular (cosine) index compares both at once.

- `lite0`: the bundled ImageNet EfficientNet-Lite0's pooled 1280 features through a small
  projection (1280 -> 128) trained with a batch-hard triplet loss on augmented street and product
  garment crops (`stylebot train embedder`, weights in inference/shop/weights/).
- `lite0-raw`: the same backbone's pooled features without the projection (the baseline).
- `fashion-clip` (or any CLIP on the hub): CLIP's image embedding through transformers.
The colour part is a soft CIELAB histogram of the garment's own pixels (background excluded).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image
from torch import nn

from inference.core.backbone import MEAN, STD, create_classifier, fold_batch_norms
from inference.core.colour import to_lab
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


class Projection(nn.Module):
    """1280 -> hidden -> out, the small head trained by training.train_embedder."""

    def __init__(self, in_dim: int = 1280, hidden: int = 512, out_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                 nn.Dropout(0.1), nn.Linear(hidden, out_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.net(x), dim=-1)


def load_projection(path: Path) -> tuple[Projection, dict]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    meta = checkpoint["meta"]
    head = Projection(meta["in_dim"], meta["hidden"], meta["out_dim"])
    head.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items()})
    return head.eval(), meta


def crops_to_tensor(crops: list[GarmentCrop], size: int, mean, std) -> torch.Tensor:  # noqa: ANN001
    arrays = [np.asarray(c.image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR),
                         dtype=np.float32) / 255.0 for c in crops]
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    return (x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]


class Lite0Embedder:
    """The bundled backbone's pooled features, projected when trained weights are given."""

    def __init__(self, projection: Path | None = PROJECTION_WEIGHTS, batch: int = 32,
                 colour_weight: float | None = None) -> None:
        self.backbone = create_classifier()
        self.backbone.reset_classifier(0)
        fold_batch_norms(self.backbone)
        self.head: Projection | None = None
        meta: dict = {}
        if projection is not None:
            if not Path(projection).exists():
                raise FileNotFoundError(
                    f"{projection} is missing; train it with `stylebot train embedder`"
                    " or use the embedder 'lite0-raw'")
            self.head, meta = load_projection(Path(projection))
        self.name = "lite0" if self.head is not None else "lite0-raw"
        self.visual_dim = meta.get("out_dim", 1280)
        self.colour_weight = (colour_weight if colour_weight is not None
                              else meta.get("colour_weight", DEFAULT_COLOUR_WEIGHT))
        self.dim = self.visual_dim + COLOUR_DIM
        self.batch = batch

    @torch.inference_mode()
    def pooled(self, crops: list[GarmentCrop]) -> np.ndarray:
        """(n, 1280) backbone features (before the projection)."""
        out = [self.backbone(crops_to_tensor(crops[i:i + self.batch], 224, MEAN, STD))
               for i in range(0, len(crops), self.batch)]
        return torch.cat(out).numpy() if out else np.zeros((0, 1280), np.float32)

    def embed(self, crops: list[GarmentCrop]) -> np.ndarray:
        return self.embed_pooled(crops)[0]

    @torch.inference_mode()
    def embed_pooled(self, crops: list[GarmentCrop]) -> tuple[np.ndarray, np.ndarray]:
        """The vectors and the backbone features they came from (what the kind head reads),
        from one backbone pass."""
        if not crops:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, 1280), np.float32)
        feats = self.pooled(crops)
        visual = feats if self.head is None else self.head(torch.from_numpy(feats)).numpy()
        colours = np.stack([colour_descriptor(c.pixels) for c in crops])
        return combine(visual, colours, self.colour_weight), feats


class ClipEmbedder:
    """CLIP's image tower (e.g. patrickjohncyh/fashion-clip) behind the same interface."""

    def __init__(self, model, name: str = "fashion-clip", batch: int = 16,  # noqa: ANN001
                 colour_weight: float = DEFAULT_COLOUR_WEIGHT) -> None:
        self.model = model.eval()
        vision = model.config.vision_config
        self.size = int(vision.image_size)
        self.mean = (0.48145466, 0.4578275, 0.40821073)  # CLIP's own preprocessing
        self.std = (0.26862954, 0.26130258, 0.27577711)
        self.name = name
        self.visual_dim = int(model.config.projection_dim)
        self.dim = self.visual_dim + COLOUR_DIM
        self.batch = batch
        self.colour_weight = colour_weight

    @classmethod
    def from_pretrained(cls, model_id: str = "patrickjohncyh/fashion-clip",
                        name: str = "fashion-clip") -> ClipEmbedder:
        from transformers import CLIPModel

        try:
            model = CLIPModel.from_pretrained(model_id)
        except OSError as err:
            raise RuntimeError(
                f"cannot load {model_id}: download it once with network access "
                f"(huggingface-cli download {model_id}) or choose the embedder 'lite0'") from err
        return cls(model, name)

    @torch.inference_mode()
    def visual(self, crops: list[GarmentCrop]) -> np.ndarray:
        out = []
        for i in range(0, len(crops), self.batch):
            x = crops_to_tensor(crops[i:i + self.batch], self.size, self.mean, self.std)
            feats = self.model.get_image_features(pixel_values=x)
            if not isinstance(feats, torch.Tensor):  # newer transformers return an output object
                feats = feats.pooler_output
            out.append(feats)
        return torch.cat(out).numpy()

    def embed(self, crops: list[GarmentCrop]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        colours = np.stack([colour_descriptor(c.pixels) for c in crops])
        return combine(self.visual(crops), colours, self.colour_weight)
