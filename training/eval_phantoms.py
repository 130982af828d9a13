"""`stylebot eval phantoms --data DIR`: does the parser list what the photo shows?

On CCP's tag-only photos (`image_tags.json`: which fine labels each photo shows, no masks; the
parser never trained on them), each photo is parsed as the bot parses it and its listed
garments are compared with its tags, mapped to our classes:
- phantom rate: listed garments whose class is not in the tags, over all listed garments;
- miss rate: main garments (MAIN_CLASSES) in the tags that are not listed, over those tagged;
- fragmentation: share of photos where one connected region of a body zone's rival classes
  (garments.RIVAL_ZONES, inside the main person) is split among two or more classes, each at
  least FRAGMENT_SHARE of it; "unconfirmed" when the tags lack one of them.
The photos are split by a hash of their id into a tuning half (for choosing rules and
thresholds) and a report half (for figures), so that the figures are not tuned to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from tqdm import tqdm

from inference import backends
from inference.core.garments import CCP_TO_CLASS, CLASS_INDEX, NON_GARMENT, RIVAL_ZONES
from inference.parsing.outfit import Outfit, Parser, parse_outfit

MAIN_CLASSES = frozenset({"top", "outer", "dress", "skirt", "pants", "shorts", "footwear"})
#: A class counts in a region's split only from this share of the region's pixels.
FRAGMENT_SHARE = 0.1
HALVES = ("tune", "report")


def half_of(photo_id: str) -> str:
    """"tune" or "report", fixed by the id alone (no order or count of photos involved)."""
    return HALVES[hashlib.md5(photo_id.encode()).digest()[0] % 2]


def tagged_photos(data: Path) -> Iterator[tuple[str, Path, set[str]]]:
    """(id, photo, garment classes its tags name) for each tag-only photo, by id."""
    tags: dict[str, list[str]] = json.loads((data / "image_tags.json").read_text())
    for photo_id in sorted(tags):
        classes = {CCP_TO_CLASS[t] for t in tags[photo_id] if t in CCP_TO_CLASS}
        yield photo_id, data / "photos" / f"{photo_id}.jpg", classes - NON_GARMENT


def split_classes(labels: np.ndarray, main: np.ndarray | None) -> list[set[str]]:
    """For each connected region of one zone's classes (inside `main`), the classes holding at
    least FRAGMENT_SHARE of it, where there are two or more."""
    splits = []
    for zone in RIVAL_ZONES:
        ids = [CLASS_INDEX[name] for name in zone]
        inside = np.isin(labels, ids) if main is None else np.isin(labels, ids) & main
        regions, count = ndimage.label(inside)
        for k in range(1, count + 1):
            counts = np.bincount(labels[regions == k], minlength=len(CLASS_INDEX))
            big = {name for name, i in zip(zone, ids, strict=True)
                   if counts[i] >= FRAGMENT_SHARE * counts.sum()}
            if len(big) > 1:
                splits.append(big)
    return splits


def photo_row(listed: set[str], splits: list[set[str]], tagged: set[str]) -> dict:
    """One photo's figures: `listed` classes, `splits` (split_classes) against its tags."""
    return {
        "listed": len(listed),
        "phantoms": sorted(listed - tagged),
        "main_tagged": len(tagged & MAIN_CLASSES),
        "missed": sorted((tagged & MAIN_CLASSES) - listed),
        "fragmented": bool(splits),
        "unconfirmed_split": any(not split <= tagged for split in splits),
    }


def outfit_row(outfit: Outfit, tagged: set[str]) -> dict:
    splits = split_classes(outfit.labels, outfit.main) if outfit.items else []
    return photo_row({item.category for item in outfit.items}, splits, tagged)


def summarise(rows: list[dict]) -> dict:
    listed = sum(r["listed"] for r in rows)
    main = sum(r["main_tagged"] for r in rows)
    phantoms: dict[str, int] = {}
    missed: dict[str, int] = {}
    for r in rows:
        for c in r["phantoms"]:
            phantoms[c] = phantoms.get(c, 0) + 1
        for c in r["missed"]:
            missed[c] = missed.get(c, 0) + 1
    n = max(len(rows), 1)
    return {
        "photos": len(rows),
        "listed": listed,
        "phantom_rate": round(sum(phantoms.values()) / max(listed, 1), 4),
        "miss_rate": round(sum(missed.values()) / max(main, 1), 4),
        "fragmentation": round(sum(r["fragmented"] for r in rows) / n, 4),
        "unconfirmed_fragmentation": round(sum(r["unconfirmed_split"] for r in rows) / n, 4),
        "photos_with_nothing_listed": sum(r["listed"] == 0 for r in rows),
        "phantoms_by_class": dict(sorted(phantoms.items(), key=lambda kv: -kv[1])),
        "missed_by_class": dict(sorted(missed.items(), key=lambda kv: -kv[1])),
    }


class CachedScores:
    """A parser whose raw scores are kept in an .npz by photo id (decision rules are read anew
    on every run), so rules can be changed and measured without running the net again."""

    def __init__(self, parser: Parser, path: Path | None) -> None:
        self.parser, self.path = parser, path
        self.scores: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            with np.load(path) as stored:
                self.scores = {k: stored[k] for k in stored.files}
        self.added = False
        self.photo_id = ""

    def segment_scored(self, image: Image.Image) -> tuple[np.ndarray, dict[int, float]]:
        if self.photo_id not in self.scores:
            raw = self.parser.raw_scores(image)  # type: ignore[attr-defined]
            self.scores[self.photo_id] = raw.astype(np.float16)
            self.added = True
        return self.parser.decode(self.scores[self.photo_id], image.size)  # type: ignore[attr-defined]

    def segment(self, image: Image.Image) -> np.ndarray:
        return self.segment_scored(image)[0]

    def save(self) -> None:
        if self.path is not None and self.added:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, **self.scores)


def evaluate_phantoms(
    data: Path, backend: str = "lite0-fpn", limit: int | None = None, cache: Path | None = None
) -> dict:
    """Both halves' figures (and all photos together) for the parser as the bot runs it."""
    photos = list(tagged_photos(data))[:limit] if (data / "image_tags.json").exists() else []
    if not photos:
        raise SystemExit(f"no tag-only photos under {data} (expected image_tags.json, photos/)")
    parser = backends.create("parser", backend)
    segmenter: Parser = parser
    if cache is not None:
        if not hasattr(parser, "raw_scores"):
            raise SystemExit(f"--cache needs a parser with raw scores, not {backend}")
        segmenter = CachedScores(parser, cache)
    rows: dict[str, list[dict]] = {half: [] for half in HALVES}
    for photo_id, path, tagged in tqdm(photos, desc="phantoms", leave=False):
        if isinstance(segmenter, CachedScores):
            segmenter.photo_id = photo_id
        outfit = parse_outfit(Image.open(path).convert("RGB"), segmenter)
        rows[half_of(photo_id)].append(outfit_row(outfit, tagged))
    if isinstance(segmenter, CachedScores):
        segmenter.save()
    return {
        "backend": backend,
        "data": str(data),
        **{half: summarise(rows[half]) for half in HALVES},
        "all": summarise(rows["tune"] + rows["report"]),
    }
