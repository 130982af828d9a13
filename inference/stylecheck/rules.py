"""The styling knowledge Style Check's features read: dress codes, harmonic hue templates and
this season's trends. Plain tables and small functions, no features here (see features.py)."""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from inference.core.colour import NEUTRAL_FAMILIES

TRENDS_FILE = Path(__file__).resolve().parents[2] / "prompts" / "trends.yaml"

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


def _arc(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


def hue_harmony(colours: list[tuple[float, float]]) -> Harmony:
    """colours: (hue in degrees, weight). Distance to the nearest sector edge, area-weighted."""
    if len(colours) <= 1:
        return Harmony(1.0, "i", len(colours))
    total = sum(w for _, w in colours)
    best = (math.inf, "i")
    for name, sectors in TEMPLATES.items():
        for rotation in range(0, 360, 3):
            dist = 0.0
            for hue, weight in colours:
                gap = min(
                    max(0.0, _arc(hue, (rotation + off) % 360) - width / 2)
                    for off, width in sectors
                )
                dist += weight * gap
            # Prefer the tighter template on ties: they say more ("matching" over "warm-to-cool").
            if dist / total < best[0] - 1e-9:
                best = (dist / total, name)
    return Harmony(max(0.0, 1 - best[0] / 45), best[1], len(colours))


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
    return yaml.safe_load(TRENDS_FILE.read_text())["seasons"]


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
