"""Reading folders laid out like ../shared/data/ccp: photos/, masks/, labels.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from inference.core.garments import ccp_lookup_table


@dataclass(frozen=True)
class LabelledPhoto:
    photo_id: str
    photo: Path
    mask: Path


def labelled_photos(root: Path) -> list[LabelledPhoto]:
    """Every photo that has a mask, sorted by id."""
    masks = {p.stem: p for p in (root / "masks").glob("*.png")}
    photos = {p.stem: p for p in (root / "photos").glob("*.jpg")}
    return [LabelledPhoto(k, photos[k], masks[k]) for k in sorted(masks) if k in photos]


def merged_mask_lut(root: Path) -> np.ndarray:
    """uint8[256] table turning CCP label ids into merged class ids (unknown ids -> 255)."""
    labels = json.loads((root / "labels.json").read_text())
    lut = np.full(256, 255, dtype=np.uint8)
    lut[: len(labels)] = ccp_lookup_table(labels)
    return lut


def load_merged_mask(path: Path, lut: np.ndarray) -> np.ndarray:
    return lut[np.asarray(Image.open(path))]


def train_val_split(items: list[LabelledPhoto], every: int = 10) -> tuple[list, list]:
    """Deterministic split: every `every`-th photo (by id order) is for validation."""
    val = items[::every]
    val_ids = {i.photo_id for i in val}
    return [i for i in items if i.photo_id not in val_ids], val


def split_photos(items: list[LabelledPhoto], split: str | None) -> list[LabelledPhoto]:
    """"train" or "val": the bundled parser's training or held-out photos; None: all of them."""
    if split is None:
        return items
    if split not in ("train", "val"):
        raise ValueError(f"unknown split {split!r}: train or val")
    return train_val_split(items)[split == "val"]
