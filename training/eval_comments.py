"""`stylebot eval comments --data DIR`: groundedness, diversity and speed of comments.

DIR is laid out like ../shared/data/ccp. Each photo with ground truth (a mask in masks/, or tags
in image_tags.json) gets one comment, as a first-time user would. Measures:
- groundedness: share of garment mentions whose class is in the photo's ground truth (merged
  classes of the mask's pixels, or of the image tags);
- diversity over all comments: distinct-1 / distinct-2 (unique unigrams / bigrams over all),
  exact-duplicate share, vocabulary size, and NSC-style spread: the number of sentence patterns
  (templates) used and the normalised entropy of their use (1 = all patterns equally often);
- speed: milliseconds per comment after the parse.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from inference.core.garments import CCP_TO_CLASS, CLASSES
from inference.pipeline import Pipeline, PipelineConfig
from training.ccp_data import labelled_photos, merged_mask_lut, split_photos

#: A class counts as present in a mask when it covers at least this many pixels.
MIN_TRUTH_PIXELS = 50


def ground_truth(data: Path) -> dict[str, set[str]]:
    """photo id -> merged classes present, from masks, else from image tags."""
    truth: dict[str, set[str]] = {}
    tags_file = data / "image_tags.json"
    if tags_file.exists():
        for photo_id, tags in json.loads(tags_file.read_text()).items():
            truth[photo_id] = {CCP_TO_CLASS[t] for t in tags if t in CCP_TO_CLASS}
    lut = merged_mask_lut(data) if (data / "labels.json").exists() else None
    for mask in sorted((data / "masks").glob("*.png")) if lut is not None else []:
        counts = np.bincount(lut[np.asarray(Image.open(mask))].ravel(), minlength=256)
        truth[mask.stem] = {
            CLASSES[i] for i in range(len(CLASSES)) if counts[i] >= MIN_TRUTH_PIXELS
        }
    return truth


def _entropy(counts: Counter) -> float:
    total = sum(counts.values())
    if len(counts) < 2:
        return 0.0
    h = -sum(c / total * math.log(c / total) for c in counts.values())
    return h / math.log(len(counts))


def evaluate_comments(
    data: Path, n: int = 500, backend: str = "templates", split: str | None = None
) -> dict:
    """`split`: "train" or "val" keeps only the bundled parser's training or held-out photos
    (held-out photos are the fair test of groundedness: the parser is right more often on the
    photos it trained on)."""
    truth = ground_truth(data)
    if split is not None:
        keep = {i.photo_id for i in split_photos(labelled_photos(data), split)}
        truth = {k: v for k, v in truth.items() if k in keep}
    photos = [p for p in sorted((data / "photos").glob("*.jpg")) if p.stem in truth]
    if not photos:
        raise SystemExit(f"no photos with masks or tags under {data}")
    photos = photos[:: max(1, len(photos) // n)][:n]
    pipeline = Pipeline(PipelineConfig(comments=backend))
    texts, templates, mentions, grounded = [], Counter(), 0, 0
    comment_seconds = []
    for path in tqdm(photos, desc="commenting", leave=False):
        _, outfit = pipeline.load_and_parse(path.read_bytes())
        parsed = outfit.as_dict()
        started = time.perf_counter()
        found = pipeline.comment(parsed, 1, seed=0)
        comment_seconds.append(time.perf_counter() - started)
        if not found:
            continue
        comment = found[0]
        texts.append(comment.text)
        templates[comment.extras.get("template", comment.family)] += 1
        mentions += len(comment.categories)
        grounded += sum(c in truth[path.stem] for c in comment.categories)
    tokens = [re.findall(r"[a-z']+", t.lower()) for t in texts]
    unigrams = [w for ts in tokens for w in ts]
    bigrams = [b for ts in tokens for b in zip(ts, ts[1:], strict=False)]
    return {
        "backend": backend,
        "split": split,
        "photos": len(photos),
        "comments": len(texts),
        "groundedness": round(grounded / max(mentions, 1), 4),
        "mentions": mentions,
        "distinct_1": round(len(set(unigrams)) / max(len(unigrams), 1), 4),
        "distinct_2": round(len(set(bigrams)) / max(len(bigrams), 1), 4),
        "exact_duplicate_share": round(1 - len(set(texts)) / max(len(texts), 1), 4),
        "vocabulary": len(set(unigrams)),
        "sentence_patterns": len(templates),
        "pattern_entropy": round(_entropy(templates), 4),
        "mean_words": round(float(np.mean([len(t) for t in tokens])), 2) if tokens else 0.0,
        "median_ms_per_comment": round(float(np.median(comment_seconds)) * 1000, 2),
        "examples": texts[:5],
    }
