"""The styling knowledge Style Check's features read: dress codes, harmonic hue templates and
this season's trends. Plain tables and small functions, no features here (see features.py)."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

import prompts
from inference.core.colour import NEUTRAL_FAMILIES

TRENDS_FILE = prompts.ROOT / "trends.yaml"

#: Dress code of each garment (0 casual .. 1 formal); fine labels override.
FORMALITY = {
    "top": 0.45,
    "outer": 0.7,
    "dress": 0.7,
    "pants": 0.55,
    "shorts": 0.15,
    "skirt": 0.6,
    "footwear": 0.5,
    "bag": 0.6,
    "hat": 0.4,
    "belt": 0.6,
    "scarf": 0.6,
    "legwear": 0.55,
    "eyewear": 0.5,
    "accessory": 0.6,
    "jeans": 0.3,
}
ACCESSORY_CLASSES = frozenset({"bag", "belt", "hat", "eyewear", "scarf", "accessory"})
UPPER = frozenset({"top", "outer"})
LOWER = frozenset({"pants", "shorts", "skirt"})

#: Harmonic templates: sectors as (centre offset, width) in degrees (Cohen-Or et al. 2006).
TEMPLATES: dict[str, tuple[tuple[float, float], ...]] = {
    "i": ((0, 18),),
    "V": ((0, 93.6),),
    "L": ((0, 18), (90, 79.2)),
    "I": ((0, 18), (180, 18)),
    "T": ((0, 180),),
    "Y": ((0, 93.6), (180, 18)),
    "X": ((0, 93.6), (180, 93.6)),
}
TEMPLATE_WORDS = {
    "i": "matching",
    "V": "neighbouring",
    "L": "balanced",
    "I": "complementary",
    "T": "warm-to-cool",
    "Y": "complementary",
    "X": "complementary",
}


@dataclass(frozen=True)
class Harmony:
    score: float
    template: str  # the best-fitting template's name
    hues: int  # chromatic colours considered


def _hue(rgb: list[int]) -> tuple[float, float]:
    h, _, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    return h * 360, s


def hue_harmony(colours: list[tuple[float, float]]) -> Harmony:
    """colours: (hue in degrees, weight). Distance to the nearest sector edge, area-weighted."""
    return _harmony(tuple(colours))


@lru_cache(maxsize=4096)
def _harmony(colours: tuple[tuple[float, float], ...]) -> Harmony:
    """hue_harmony, remembered: a suggestion scores the same outfits' colours again and again
    (the photo's own in every comparison, each tried change in several)."""
    if len(colours) <= 1:
        return Harmony(1.0, "i", len(colours))
    hues = np.array([h for h, _ in colours])
    weights = np.array([w for _, w in colours])
    # every (template, rotation) at once, in declaration order: the suggestions score dozens
    # of changed outfits per photo, so this is a handful of array operations
    means = _template_distances(hues, weights) / weights.sum()
    # Prefer the tighter template on ties: they say more ("matching" over "warm-to-cool").
    first = int(np.flatnonzero(means.ravel() <= means.min() + 1e-9)[0])
    best = float(means.ravel()[first])
    return Harmony(max(0.0, 1 - best / 45), list(TEMPLATES)[first // means.shape[1]],
                   len(colours))


#: Every template's sectors in one row each (offset, width), and where each template's start.
_SECTORS = np.array([sector for sectors in TEMPLATES.values() for sector in sectors])
_STARTS = np.cumsum([0] + [len(sectors) for sectors in TEMPLATES.values()])[:-1]
_ROTATIONS = np.arange(0, 360, 3, dtype=np.float64)


def _template_distances(hues: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(templates, rotations): the area-weighted distance of the hues to each template's
    sectors at each rotation (0, 3, ... 357 degrees): each hue's gap to the nearest edge of
    the template's sectors, 0 inside one."""
    centres = (_ROTATIONS[None, :, None] + _SECTORS[:, 0, None, None]) % 360
    d = np.abs(hues[None, None, :] - centres) % 360  # (sectors, rotations, hues)
    gaps = np.maximum(0.0, np.minimum(d, 360 - d) - _SECTORS[:, 1, None, None] / 2)
    nearest = np.minimum.reduceat(gaps, _STARTS, axis=0)  # (templates, rotations, hues)
    return (nearest * weights[None, None, :]).sum(axis=2)


def garment_colours(outfit: dict) -> list[tuple[dict, dict, float]]:
    """(item, colour, area weight) for every colour of every garment."""
    return [
        (item, c, item["area"] * c["share"]) for item in outfit["items"] for c in item["colours"]
    ]


def harmony_of(outfit: dict) -> Harmony:
    """Harmony of the outfit's chromatic colours (neutrals and washed-out hues say nothing)."""
    chromatic = [
        (_hue(c["rgb"])[0], w)
        for _, c, w in garment_colours(outfit)
        if c["family"] not in NEUTRAL_FAMILIES and _hue(c["rgb"])[1] > 0.15
    ]
    return hue_harmony(chromatic)


@lru_cache(maxsize=1)
def _trend_seasons() -> list[dict]:
    return prompts.read_yaml(TRENDS_FILE)["seasons"]


def season_for(day: date) -> dict | None:
    for season in _trend_seasons():
        if season["from"] <= day <= season["to"]:
            return season
    return None


def peak(value: float, low: float, high: float, fall: float) -> float:
    """1 inside [low, high], falling linearly to 0 over `fall` outside."""
    if value < low:
        return max(0.0, 1 - (low - value) / fall)
    if value > high:
        return max(0.0, 1 - (value - high) / fall)
    return 1.0
