"""`stylebot eval repeats`: how well "you wore this on Monday" spots the same outfit.

Positives: a photo against its own copies (a crop keeping 80-92% of each side, a mirror image, a
colour jitter of brightness / contrast / saturation ±20% and hue ±0.03, and all three at once),
each parsed and embedded like a new upload. Negatives: the photo against every other photo (and
the other photos' combined copies). The photos are split in two halves (alternating by name):
the appearance weight and the threshold are chosen on the first (the highest recall with
precision >= the target), precision and recall are then measured on the second.
"""

from __future__ import annotations

import logging
import time
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import ColorJitter

from inference.core.decode import load_photo
from inference.diary import repeats
from inference.pipeline import Pipeline, PipelineConfig

log = logging.getLogger(__name__)
AUGMENTATIONS = ("crop", "flip", "jitter", "all")
WEIGHTS = tuple(round(w, 2) for w in np.linspace(0, 1, 11))


def augment(image: Image.Image, kind: str, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    out = image
    if kind in ("crop", "all"):
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.8, 0.92)), int(h * rng.uniform(0.8, 0.92))
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        out = out.crop((x0, y0, x0 + cw, y0 + ch))
    if kind in ("flip", "all"):
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if kind in ("jitter", "all"):
        torch.manual_seed(seed)
        out = ColorJitter(0.2, 0.2, 0.2, 0.03)(out)
    return out


def embed_folder(data: Path, limit: int, parser: str = "lite0-fpn") -> dict:
    """Embeddings of each photo and its copies: {"names", "orig" (n, DIM), "aug" (n, 4, DIM)}."""
    pipeline = Pipeline(PipelineConfig(parser=parser))
    names, orig, aug = [], [], []
    seconds = 0.0
    for path in sorted((data / "photos").glob("*.jpg"))[:limit]:
        image = load_photo(path.read_bytes())
        variants = [image] + [augment(image, k, zlib.crc32(f"{path.name}:{k}".encode()))
                              for k in AUGMENTATIONS]
        vecs = []
        for variant in variants:
            outfit = pipeline.parse(variant)
            start = time.perf_counter()
            vecs.append(pipeline.embed_outfit(outfit))
            seconds += time.perf_counter() - start
        if any(v is None for v in vecs):
            log.info("%s: too little garment visible, skipped", path.name)
            continue
        names.append(path.name)
        orig.append(vecs[0])
        aug.append(np.stack(vecs[1:]))
        if len(names) % 25 == 0:
            log.info("%d photos embedded", len(names))
    return {"names": names, "orig": np.stack(orig), "aug": np.stack(aug),
            "embed_ms": 1000 * seconds / max(1, 5 * len(names))}


def pair_scores(orig: np.ndarray, aug: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Appearance and colour similarities of the positive and negative pairs within `idx`."""
    n = repeats.APPEARANCE_DIM
    o, a = orig[idx], aug[idx]
    pos_look = np.einsum("id,ikd->ik", o[:, :n], a[:, :, :n])
    pos_col = np.einsum("id,ikd->ik", o[:, n:], a[:, :, n:])
    upper = np.triu_indices(len(idx), 1)
    off = ~np.eye(len(idx), dtype=bool)
    neg_look = np.concatenate([(o[:, :n] @ o[:, :n].T)[upper],
                               (a[:, 3, :n] @ o[:, :n].T)[off]])
    neg_col = np.concatenate([(o[:, n:] @ o[:, n:].T)[upper], (a[:, 3, n:] @ o[:, n:].T)[off]])
    return {"pos_look": pos_look, "pos_col": pos_col, "neg_look": neg_look, "neg_col": neg_col}


def _combine(s: dict[str, np.ndarray], w: float) -> tuple[np.ndarray, np.ndarray]:
    return w * s["pos_look"] + (1 - w) * s["pos_col"], w * s["neg_look"] + (1 - w) * s["neg_col"]


def pick_threshold(pos: np.ndarray, neg: np.ndarray, target: float) -> float:
    """The lowest threshold whose precision is >= target (just above the strongest negatives)."""
    candidates = np.unique(np.concatenate([pos.ravel(), neg.ravel()]))[::-1]
    best = float(candidates[0]) + 1e-6
    for t in candidates:
        tp, fp = int((pos >= t).sum()), int((neg >= t).sum())
        if tp and tp / (tp + fp) < target:
            break
        best = float(t)
    return round(best, 3)


def metrics(pos: np.ndarray, neg: np.ndarray, threshold: float) -> dict:
    tp, fp = int((pos >= threshold).sum()), int((neg >= threshold).sum())
    # AUC: the chance a positive pair scores above a negative one.
    ranks = np.argsort(np.argsort(np.concatenate([pos.ravel(), neg.ravel()])))
    auc = (ranks[: pos.size].sum() - pos.size * (pos.size - 1) / 2) / (pos.size * neg.size)
    fpr = fp / neg.size
    return {
        "precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / pos.size, 4),
        "recall_by_copy": {k: round(float((pos[:, i] >= threshold).mean()), 4)
                           for i, k in enumerate(AUGMENTATIONS)},
        "false_positive_rate": round(fpr, 6), "auc": round(float(auc), 4),
        "positives": int(pos.size), "negatives": int(neg.size),
        "p_false_repeat_vs_60_entries": round(1 - (1 - fpr) ** 60, 4),
    }


def evaluate(embedded: dict, target_precision: float = 0.99) -> dict:
    count = len(embedded["names"])
    calib, test = np.arange(0, count, 2), np.arange(1, count, 2)
    sc, st = (pair_scores(embedded["orig"], embedded["aug"], i) for i in (calib, test))
    choices = []
    for w in WEIGHTS:
        pos, neg = _combine(sc, w)
        t = pick_threshold(pos, neg, target_precision)
        choices.append((float((pos >= t).mean()), w, t))
    recall, weight, threshold = max(choices)
    result = {"photos": count, "calibration_photos": len(calib), "test_photos": len(test),
              "target_precision": target_precision, "chosen": {
                  "appearance_weight": weight, "threshold": threshold,
                  "calibration_recall": round(recall, 4)},
              "embed_ms_per_outfit": round(embedded["embed_ms"], 1),
              "test": metrics(*_combine(st, weight), threshold),
              "in_use": {"appearance_weight": repeats.APPEARANCE_WEIGHT,
                         "threshold": repeats.REPEAT_THRESHOLD,
                         "test": metrics(*_combine(st, repeats.APPEARANCE_WEIGHT),
                                         repeats.REPEAT_THRESHOLD)},
              "ablation": {}}
    for name, w in (("appearance_only", 1.0), ("colour_only", 0.0)):
        t = pick_threshold(*_combine(sc, w), target_precision)
        result["ablation"][name] = {"threshold": t, "test": metrics(*_combine(st, w), t)}
    return result


def evaluate_folder(data: Path, limit: int = 300, parser: str = "lite0-fpn",
                    cache: Path | None = None) -> dict:
    if cache is not None and cache.exists():
        loaded = np.load(cache, allow_pickle=False)
        embedded = {"names": list(loaded["names"]), "orig": loaded["orig"],
                    "aug": loaded["aug"], "embed_ms": float(loaded["embed_ms"])}
    else:
        embedded = embed_folder(data, limit, parser)
        if cache is not None:
            np.savez(cache, names=np.array(embedded["names"]), orig=embedded["orig"],
                     aug=embedded["aug"], embed_ms=embedded["embed_ms"])
    return evaluate(embedded)
