"""Style Check features: small, named, documented numbers computed from an outfit's parse.

Every feature is a score in [0, 1] where 1 is what general styling advice prefers; the verdict
model (inference/stylecheck/model.py) weighs differences of these scores, and a user's feedback can
turn any weight up, down or negative. Nothing here looks at the body: only garments, their
colours, patterns, positions relative to each other, and how much of the person they cover.

Input is the plain dict of `Outfit.as_dict()` (items with category, colours, pattern, area, box),
so stored outfits can be re-scored without their pixels.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from inference.core.colour import NEUTRAL_FAMILIES
from inference.styles.detection import detect_styles

TRENDS_FILE = Path(__file__).resolve().parents[2] / "prompts" / "trends.yaml"

#: feature name -> (aspect, one-line definition). Order is the weight vector's order.
FEATURES: dict[str, tuple[str, str]] = {
    "hue_harmony": (
        "colour",
        "chromatic garment hues fit a harmonic hue template "
        "(Matsuda / Cohen-Or types i, V, L, I, T, Y, X)",
    ),
    "lightness_contrast": ("colour", "spread of garment lightness (CIELAB L*), saturating at 25"),
    "colour_count": ("colour", "few distinct colour families: 1 up to three, less after"),
    "neutral_balance": ("colour", "neutral colours cover 40-85% of the garments"),
    "proportion": ("fit", "top/bottom length split near one third / two thirds"),
    "coverage": ("fit", "share of the person's visible area that is garment, not skin"),
    "layering": ("fit", "an outer layer over a top or dress"),
    "formality_match": ("styling", "garments sit at a similar dress code"),
    "pattern_mixing": ("styling", "at most one patterned garment leads"),
    "accessories": ("styling", "bag, belt, hat, glasses, scarf or jewellery (two is plenty)"),
    "shoes_match": ("styling", "shoes are neutral or echo another garment's colour"),
    "style_clarity": ("styling", "the outfit reads as one clear style (styles/detection.py)"),
    "trend_colours": ("trend", "share of garment area in this season's colours"),
    "trend_items": ("trend", "this season's garments and patterns present"),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
ASPECTS: tuple[str, ...] = ("colour", "fit", "styling", "trend", "personal")

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


@lru_cache(maxsize=1)
def _trend_seasons() -> list[dict]:
    return yaml.safe_load(TRENDS_FILE.read_text())["seasons"]


def season_for(day: date) -> dict | None:
    for season in _trend_seasons():
        if season["from"] <= day <= season["to"]:
            return season
    return None


def _peak(value: float, low: float, high: float, fall: float) -> float:
    """1 inside [low, high], falling linearly to 0 over `fall` outside."""
    if value < low:
        return max(0.0, 1 - (low - value) / fall)
    if value > high:
        return max(0.0, 1 - (value - high) / fall)
    return 1.0


def garment_colours(outfit: dict) -> list[tuple[dict, dict, float]]:
    """(item, colour, area weight) for every colour of every garment."""
    return [
        (item, c, item["area"] * c["share"]) for item in outfit["items"] for c in item["colours"]
    ]


def outfit_features(outfit: dict, today: date | None = None) -> dict[str, float]:
    items = outfit["items"]
    colours = garment_colours(outfit)
    total = sum(w for *_, w in colours) or 1.0
    harmony = harmony_of(outfit)

    lightness = [
        (0.299 * c["rgb"][0] + 0.587 * c["rgb"][1] + 0.114 * c["rgb"][2]) / 2.55
        for _, c, _ in colours
    ]
    weights = [w for *_, w in colours]
    mean_l = sum(lum * w for lum, w in zip(lightness, weights, strict=True)) / total
    spread = (
        math.sqrt(
            sum(w * (lum - mean_l) ** 2 for lum, w in zip(lightness, weights, strict=True)) / total
        )
        if colours
        else 0.0
    )

    families = {c["family"] for _, c, w in colours if w / total >= 0.05}
    neutral = sum(w for _, c, w in colours if c["family"] in NEUTRAL_FAMILIES) / total

    upper = [i for i in items if i["category"] in UPPER]
    lower = [i for i in items if i["category"] in LOWER]
    if upper and lower:
        top_h = max(i["box"][3] for i in upper) - min(i["box"][1] for i in upper)
        low_h = max(i["box"][3] for i in lower) - min(i["box"][1] for i in lower)
        proportion = _peak(top_h / max(top_h + low_h, 1), 0.3, 0.45, 0.25)
    else:
        proportion = 0.8 if any(i["category"] == "dress" for i in items) else 0.5

    levels = [FORMALITY.get(i.get("fine_label") or "", FORMALITY[i["category"]]) for i in items]
    mean_f = sum(levels) / len(levels) if levels else 0.5
    formality = 1 - min(
        1.0, 2.5 * math.sqrt(sum((x - mean_f) ** 2 for x in levels) / max(len(levels), 1))
    )
    patterned = sum(1 for i in items if i["pattern"] != "solid" and i["area"] > 0.05)
    shoes = [i for i in items if i["category"] == "footwear"]
    others = {i["colours"][0]["family"] for i in items if i["category"] != "footwear"}
    if not shoes:
        shoes_match = 0.5
    else:
        fam = shoes[0]["colours"][0]["family"]
        shoes_match = 1.0 if fam in NEUTRAL_FAMILIES or fam in others else 0.0

    season = season_for(today or date.today())
    if season:
        trend_area = sum(
            w
            for _, c, w in colours
            if c["family"] in season["colours"] or c["name"] in season["colour_names"]
        )
        hits = {i["category"] for i in items if i["category"] in season["categories"]}
        hits |= {i["pattern"] for i in items if i["pattern"] in season["patterns"]}
        trend_colours, trend_items = trend_area / total, min(1.0, len(hits) / 2)
    else:
        trend_colours = trend_items = 0.5

    return {
        "hue_harmony": harmony.score,
        "lightness_contrast": min(1.0, spread / 25),
        "colour_count": _peak(len(families), 1, 3, 4),
        "neutral_balance": _peak(neutral, 0.4, 0.85, 0.4),
        "proportion": proportion,
        "coverage": max(0.0, min(1.0, 1 - outfit.get("skin_share", 0.3))),
        "layering": 1.0
        if any(i["category"] == "outer" for i in items)
        and any(i["category"] in {"top", "dress"} for i in items)
        else 0.0,
        "formality_match": formality,
        "pattern_mixing": 1.0 if patterned <= 1 else 0.4 if patterned == 2 else 0.0,
        "accessories": min(1.0, sum(1 for i in items if i["category"] in ACCESSORY_CLASSES) / 2),
        "shoes_match": shoes_match,
        "style_clarity": detect_styles(outfit)[0].score if items else 0.0,
        "trend_colours": trend_colours,
        "trend_items": trend_items,
    }


def harmony_of(outfit: dict) -> Harmony:
    """The harmony details (template name) for explanations."""
    chromatic = [
        (_hue(c["rgb"])[0], w)
        for _, c, w in garment_colours(outfit)
        if c["family"] not in NEUTRAL_FAMILIES and _hue(c["rgb"])[1] > 0.15
    ]
    return hue_harmony(chromatic)
