"""Style detection: scores for ten styles from garment, colour and pattern evidence, with the
indicators that drove each ("black shoes + dark palette -> goth"). Rules are data in
prompts/styles.yaml; this module only matches them against a parse (Outfit.as_dict())."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import prompts
from inference.core.colour import NEUTRAL_FAMILIES


@dataclass(frozen=True)
class StyleScore:
    style: str
    score: float  # 0..1, the share of that style's indicator weight the outfit shows
    indicators: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return f"{' + '.join(self.indicators)} -> {self.style}"


@lru_cache(maxsize=1)
def rules() -> dict[str, list[dict]]:
    return prompts.read_yaml(prompts.ROOT / "styles.yaml")["styles"]


def _shares(outfit: dict) -> tuple[dict[str, float], float]:
    shares: dict[str, float] = {}
    for item in outfit["items"]:
        for colour in item["colours"]:
            weight = item["area"] * colour["share"]
            shares[colour["family"]] = shares.get(colour["family"], 0.0) + weight
    total = sum(shares.values()) or 1.0
    return {k: v / total for k, v in shares.items()}, total


def _covers(shares: dict[str, float], families: Iterable[str], share: float) -> bool:
    """These colour families cover at least `share` of the garment area."""
    return sum(shares.get(f, 0) for f in families) >= share


def _matches(when: dict, outfit: dict, shares: dict[str, float], chromatic: set[str]) -> bool:
    """`chromatic`: the colour families other than neutrals with at least 5% of the area."""
    items = outfit["items"]
    palette = when.get("palette")
    if palette and not _covers(shares, palette["families"], palette["share"]):
        return False
    if "neutral_share" in when and not _covers(shares, NEUTRAL_FAMILIES, when["neutral_share"]):
        return False
    if len(chromatic) < when.get("chromatic", 0) or len(items) < when.get("items", 0):
        return False
    if "max_chromatic" in when and len(chromatic) > when["max_chromatic"]:
        return False
    item_keys = {"category", "family", "pattern"} & when.keys()
    if not item_keys:  # only whole-outfit conditions, all met above
        return True
    return any(
        ("category" not in when or item["category"] in when["category"])
        and ("family" not in when or item["colour_family"] in when["family"])
        and ("pattern" not in when or item["pattern"] in when["pattern"])
        for item in items
    )


def detect_styles(outfit: dict) -> list[StyleScore]:
    """All ten styles, best first."""
    shares, _ = _shares(outfit)
    chromatic = {f for f, s in shares.items() if f not in NEUTRAL_FAMILIES and s >= 0.05}
    scores = []
    for style, indicators in rules().items():
        total = sum(i["weight"] for i in indicators)
        hit = [i for i in indicators if _matches(i["when"], outfit, shares, chromatic)]
        score = sum(i["weight"] for i in hit) / total if outfit["items"] else 0.0
        scores.append(StyleScore(style, round(score, 3), tuple(i["text"] for i in hit)))
    return sorted(scores, key=lambda s: (-s.score, s.style))
