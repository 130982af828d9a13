"""SegFormer clothes parsing through transformers (default: mattmdjaga/segformer_b2_clothes).

The model predicts the 18 ATR labels; a lookup table built from its `config.id2label` turns them
into our taxonomy, so any SegFormer checkpoint whose label names ATR_TO_CLASS knows will do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from inference.core.garments import ATR_TO_CLASS, CLASS_INDEX
from inference.parsing.lite0 import confidence_by_class, resize_long_side

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "mattmdjaga/segformer_b2_clothes"
_TRUE = {"1", "ON", "YES", "TRUE"}


@dataclass(frozen=True)
class Preprocessing:
    """What the image processor does to pixels once the image is resized: rescale, normalise."""

    image_mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    image_std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    rescale_factor: float = 1 / 255
    do_rescale: bool = True
    do_normalize: bool = True

    @classmethod
    def from_processor(cls, processor: Any) -> Preprocessing:
        """Read the settings off a SegformerImageProcessor (or anything with its attributes)."""
        default = cls()

        def get(name: str) -> Any:
            value = getattr(processor, name, None)
            return getattr(default, name) if value is None else value

        return cls(
            image_mean=tuple(float(v) for v in get("image_mean")),
            image_std=tuple(float(v) for v in get("image_std")),
            rescale_factor=float(get("rescale_factor")),
            do_rescale=bool(get("do_rescale")),
            do_normalize=bool(get("do_normalize")),
        )

    def __call__(self, image: Image.Image) -> torch.Tensor:
        """RGB image -> (1, 3, H, W) float32 pixel values."""
        x = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32)).permute(2, 0, 1)
        if self.do_rescale:
            x = x * self.rescale_factor
        if self.do_normalize:
            mean = torch.tensor(self.image_mean, dtype=torch.float32)[:, None, None]
            std = torch.tensor(self.image_std, dtype=torch.float32)[:, None, None]
            x = (x - mean) / std
        return x.unsqueeze(0).contiguous()


def label_lookup_table(id2label: Mapping[int, str], num_labels: int) -> np.ndarray:
    """uint8 table: model label id -> our class id; unknown names go to background (warned)."""
    table = np.full(num_labels, CLASS_INDEX["background"], dtype=np.uint8)
    names = {int(k): v for k, v in id2label.items()}
    unknown: list[str] = []
    for label_id in range(num_labels):
        name = names.get(label_id, f"LABEL_{label_id}")
        category = ATR_TO_CLASS.get(name)
        if category is None:
            unknown.append(f"{label_id}:{name}")
        else:
            table[label_id] = CLASS_INDEX[category]
    if unknown:
        log.warning("SegFormer labels not in ATR_TO_CLASS, read as background: %s",
                    ", ".join(unknown))
    return table


def _hub_offline() -> bool:
    try:
        from huggingface_hub import constants
        offline = bool(constants.HF_HUB_OFFLINE)
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        offline = False
    env = (os.environ.get(k, "").upper() for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return offline or any(v in _TRUE for v in env)


class SegformerParser:
    """A `SegformerForSemanticSegmentation` behind the Parser protocol (parsing.outfit)."""

    def __init__(
        self,
        model: torch.nn.Module,
        processor_or_settings: Any = None,
        long_side: int = 512,
    ) -> None:
        """`model`: a SegformerForSemanticSegmentation (any with `.config.id2label` and `.logits`
        output); `processor_or_settings`: an image processor, a Preprocessing, or None for the
        ImageNet defaults SegFormer checkpoints use."""
        self.model = model.eval()
        if isinstance(processor_or_settings, Preprocessing):
            self.preprocessing = processor_or_settings
        elif processor_or_settings is None:
            self.preprocessing = Preprocessing()
        else:
            self.preprocessing = Preprocessing.from_processor(processor_or_settings)
        self.long_side = long_side
        config = model.config
        self.lut = label_lookup_table(config.id2label, int(config.num_labels))
        self._lut = torch.from_numpy(self.lut)

    @classmethod
    def from_pretrained(
        cls, model_id: str = DEFAULT_MODEL_ID, long_side: int = 512, **kwargs: Any
    ) -> SegformerParser:
        """Load model and processor config from a hub id or a local folder.

        `kwargs` (revision, cache_dir, token, local_files_only, ...) go to both `from_pretrained`
        calls. With HF_HUB_OFFLINE set only the local cache is read.
        """
        from transformers import SegformerForSemanticSegmentation, SegformerImageProcessor

        if kwargs.get("local_files_only") is None:
            kwargs["local_files_only"] = _hub_offline()
        try:
            processor = SegformerImageProcessor.from_pretrained(model_id, **kwargs)
            model = SegformerForSemanticSegmentation.from_pretrained(model_id, **kwargs)
        except OSError as error:
            hint = " (offline: HF_HUB_OFFLINE is set)" if kwargs["local_files_only"] else ""
            raise OSError(
                f"cannot load SegFormer {model_id!r}{hint}; download it once on a machine with "
                f"internet into the Hugging Face cache, or pass a local folder: {error}"
            ) from error
        log.info("SegFormer %s loaded (%d labels)", model_id, model.config.num_labels)
        return cls(model, processor, long_side)

    @torch.inference_mode()
    def logits(self, image: Image.Image) -> torch.Tensor:
        """(1, num_labels, h, w) logits at the resized image's size."""
        pixels = self.preprocessing(image)
        dtype = next(self.model.parameters()).dtype
        logits = self.model(pixel_values=pixels.to(dtype)).logits.float()
        return F.interpolate(logits, size=pixels.shape[-2:], mode="bilinear", align_corners=False)

    @torch.inference_mode()
    def segment_scored(self, image: Image.Image) -> tuple[np.ndarray, dict[int, float]]:
        """uint8 (H, W) class ids in our taxonomy at the photo's own size, and each class's
        mean confidence (the winning ATR label's probability)."""
        small = resize_long_side(image, self.long_side)
        best, ids = self.logits(small)[0].softmax(0).max(0)
        labels = self._lut[ids].numpy()
        scores = confidence_by_class(labels, best.numpy())
        if small.size != image.size:
            labels = np.asarray(
                Image.fromarray(labels).resize(image.size, Image.Resampling.NEAREST)
            )
        return labels, scores

    def segment(self, image: Image.Image) -> np.ndarray:
        """uint8 (H, W) class ids in our taxonomy at the photo's own size."""
        return self.segment_scored(image)[0]

