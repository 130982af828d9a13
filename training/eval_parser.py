"""`stylebot eval parser --data DIR`: pixel accuracy, mean IoU and speed on a labelled folder.

DIR is laid out like ../shared/data/ccp (photos/, masks/, labels.json). Predictions are made the
way the bot makes them (the photo scaled to the parser's input size) and compared with the masks
at full size. Photos/second counts segmentation only, not reading the files.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from inference import backends
from inference.core.garments import NUM_CLASSES
from inference.parsing.outfit import Parser
from training.ccp_data import (
    LabelledPhoto,
    labelled_photos,
    load_merged_mask,
    merged_mask_lut,
    split_photos,
)
from training.parser_metrics import bootstrap_intervals, confusion, summarise


def evaluate_items(
    segmenter: Parser, items: list[LabelledPhoto], lut: np.ndarray, progress: bool = False
) -> dict:
    per_photo = np.zeros((len(items), NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    seconds = 0.0
    for n, item in enumerate(tqdm(items, desc="evaluating", disable=not progress, leave=False)):
        image = Image.open(item.photo).convert("RGB")
        truth = load_merged_mask(item.mask, lut)
        started = time.perf_counter()
        pred = segmenter.segment(image)
        seconds += time.perf_counter() - started
        per_photo[n] = confusion(truth, pred)
    return {
        **summarise(per_photo.sum(0)),
        "bootstrap_95": bootstrap_intervals(per_photo) if len(items) > 1 else None,
        "photos": len(items),
        "photos_per_second": round(len(items) / seconds, 2) if seconds else None,
    }


def evaluate_folder(
    data: Path, backend: str = "lite0-fpn", limit: int | None = None, split: str | None = None
) -> dict:
    """`split`: "train" or "val" keeps only the bundled parser's training or held-out photos."""
    items = split_photos(labelled_photos(data), split)[:limit]
    if not items:
        raise SystemExit(f"no photos with masks under {data} (expected photos/ and masks/)")
    result = evaluate_items(
        backends.create("parser", backend), items, merged_mask_lut(data), progress=True
    )
    return {"backend": backend, "data": str(data), "split": split, **result}
