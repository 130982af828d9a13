"""Confusion-matrix metrics for the parser: pixel accuracy, (garment) mean IoU, per-class IoU."""

from __future__ import annotations

import numpy as np

from inference.core.garments import CLASSES, GARMENT_IDS, NUM_CLASSES


def confusion(truth: np.ndarray, pred: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Counts [truth, pred]; truth pixels outside the classes (255) are ignored."""
    valid = truth < num_classes
    idx = truth[valid].astype(np.int64) * num_classes + pred[valid].astype(np.int64)
    return np.bincount(idx, minlength=num_classes**2).reshape(num_classes, num_classes)


def summarise(conf: np.ndarray) -> dict:
    """Metrics over classes that occur in the truth or the prediction (others are undefined)."""
    tp = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - tp
    iou = np.where(union > 0, tp / np.maximum(union, 1), np.nan)
    per_class = {
        name: (None if np.isnan(v) else round(float(v), 4))
        for name, v in zip(CLASSES, iou, strict=False)
    }

    def mean(ids: list[int]) -> float:
        vals = iou[ids]
        return round(float(np.nanmean(vals)), 4) if np.isfinite(vals).any() else 0.0

    return {
        "pixel_accuracy": round(float(tp.sum() / max(conf.sum(), 1)), 4),
        "mean_iou": mean(list(range(NUM_CLASSES))),
        "mean_iou_no_background": mean(list(range(1, NUM_CLASSES))),
        "garment_mean_iou": mean(list(GARMENT_IDS)),
        "per_class_iou": per_class,
    }


def bootstrap_intervals(
    per_photo: np.ndarray, resamples: int = 1000, seed: int = 0
) -> dict[str, list[float]]:
    """95% intervals of pixel accuracy and garment mean IoU over photos drawn with replacement.

    `per_photo`: (n, C, C) confusion matrices, one per photo. On 81 photos the garment mIoU
    moves by several hundredths from one sample of photos to another, so a difference of 0.01
    between two parsers on one such set says little; the interval says how little."""
    n, classes, _ = per_photo.shape
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)  # (R, n) photo counts
    conf = (draws @ per_photo.reshape(n, -1).astype(np.float64)).reshape(-1, classes, classes)
    tp = np.diagonal(conf, axis1=1, axis2=2)
    union = conf.sum(1) + conf.sum(2) - tp
    # as in summarise: a class in neither truth nor prediction does not count; no garment: 0
    ids = list(GARMENT_IDS)
    seen = union[:, ids] > 0
    iou = np.where(seen, tp[:, ids] / np.maximum(union[:, ids], 1), 0.0)
    metrics = {
        "pixel_accuracy": tp.sum(1) / np.maximum(conf.sum((1, 2)), 1),
        "garment_mean_iou": iou.sum(1) / np.maximum(seen.sum(1), 1),
    }
    return {
        name: [round(float(v), 4) for v in np.percentile(values, [2.5, 97.5])]
        for name, values in metrics.items()
    }
