"""`stylebot eval recolour --data DIR [--split val] [--json]`: does Style Check prefer how
people really dress?

For each photo: the bot parses it; its most colourful garment (highest chroma of its main
colour, among garments of at least 3% of the person) has its hue turned by 90-180 degrees
either way (inference.core.recolour.turn_hue: lightness and chroma kept, inside the parser's
mask of that garment on the main person). The copy's garments are the same regions, their
colours measured again from the copy's pixels with the bot's colour code (`--reparse` parses
the copy from scratch instead, which adds the parser's own noise to what is compared). Style
Check (no feedback, an empty profile) compares the real photo with the copy, both ways round.
Reports the share of pairs where the real one wins, and that swapping A and B always gives
complementary percentages.
Seeded: the same angles every run.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from inference.core.colour import to_lab
from inference.core.recolour import turn_hue
from inference.parsing.outfit import Outfit, garment_colours, scene_pixels
from inference.pipeline import Pipeline, PipelineConfig
from inference.stylecheck.api import check
from inference.styles.taste import Profile
from training.ccp_data import labelled_photos, split_photos

MIN_AREA = 0.03


def most_colourful(outfit: Outfit) -> tuple[int, np.ndarray] | None:
    """(item index, its mask on the main person) of the garment with the strongest colour."""
    best, best_chroma = None, 8.0  # a near-grey garment has no hue worth turning
    for i, item in enumerate(outfit.items):
        if item.area < MIN_AREA:
            continue
        _, a, b = to_lab(np.array(item.colour.rgb, dtype=np.uint8))
        chroma = float(np.hypot(a, b))
        if chroma > best_chroma:
            best, best_chroma = i, chroma
    if best is None:
        return None
    return best, outfit.garment_mask(outfit.items[best].category)


def remeasured(real: Outfit, image: Image.Image) -> dict:
    """The real parse with each garment's colours measured again from `image` (a recoloured
    copy of the photo): same regions, same pattern, new colours."""
    rgb = np.asarray(image.convert("RGB"))
    scene = scene_pixels(rgb, real.labels)
    items = []
    for item in real.items:
        mask = real.garment_mask(item.category)
        x0, y0, x1, y1 = item.box
        colours = garment_colours(rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1], scene)
        items.append(replace(item, colours=colours) if colours else item)
    return {**real.as_dict(), "items": [i.as_dict() for i in items]}


def recoloured_pair(pipeline: Pipeline, photo: bytes, rng: random.Random,
                    reparse: bool = False) -> tuple[dict, dict] | None:
    """(real parse, parse of the hue-turned copy) of one photo; None without a colourful
    garment (the angle is drawn either way, so later photos keep theirs)."""
    _, real = pipeline.load_and_parse(photo)
    found = most_colourful(real)
    degrees = rng.uniform(90, 180) * rng.choice((-1, 1))
    if found is None:
        return None
    image = turn_hue(real.image, found[1], degrees)
    if not reparse:
        return real.as_dict(), remeasured(real, image)
    fake = pipeline.parse(image)
    return (real.as_dict(), fake.as_dict()) if fake.items else None


def recoloured_pairs(data: Path, split: str | None = "val", limit: int | None = None,
                     seed: int = 0, reparse: bool = False) -> list[tuple[str, dict, dict]]:
    """(photo id, real parse, parse of the hue-turned copy) for each photo with a colourful
    garment."""
    photos = split_photos(labelled_photos(data), split)[:limit]
    pipeline = Pipeline(PipelineConfig())
    rng = random.Random(seed)
    pairs = []
    for photo in tqdm(photos, desc="recolouring", leave=False):
        if pair := recoloured_pair(pipeline, photo.photo.read_bytes(), rng, reparse):
            pairs.append((photo.photo_id, *pair))
    return pairs


def evaluate_recolour(data: Path, split: str | None = "val", limit: int | None = None,
                      seed: int = 0, reparse: bool = False,
                      pairs: list[tuple[str, dict, dict]] | None = None) -> dict:
    pairs = recoloured_pairs(data, split, limit, seed, reparse) if pairs is None else pairs
    real_wins = asymmetric = 0
    margins = []
    for _, a, b in pairs:
        forward = check(a, b, [], [], Profile())
        backward = check(b, a, [], [], Profile())
        pa, pb = forward.verdict.percentages
        asymmetric += (pa, pb) != tuple(reversed(backward.verdict.percentages))
        real_wins += forward.verdict.p_a > 0.5
        margins.append(forward.verdict.p_a - 0.5)
    return {"split": split or "all", "pairs": len(pairs), "real_preferred": real_wins,
            "share": round(real_wins / max(len(pairs), 1), 4),
            "mean_margin": round(float(np.mean(margins)) if margins else 0.0, 4),
            "swaps_not_complementary": asymmetric}
