"""CLIP's image tower (e.g. FashionCLIP) as a garment embedder, through transformers and torch
(the `fashion-clip` backend; inference/shop/embedders.py has the interface it fills)."""

from __future__ import annotations

import numpy as np
import torch

from inference.shop.crop import GarmentCrop
from inference.shop.embedders import (
    COLOUR_DIM,
    DEFAULT_COLOUR_WEIGHT,
    colour_descriptor,
    combine,
    crops_to_array,
)


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
            x = torch.from_numpy(crops_to_array(crops[i:i + self.batch], self.size,
                                                 self.mean, self.std))
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
