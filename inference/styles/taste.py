"""A user's taste as data every feature reads: learned scores plus the user's own corrections.

Keys are "colour:<family>", "garment:<category>" and "style:<style>" (the first two are the keys
of the Style Check taste vector). Learned scores add up the signals (Style Check choices, shop
clicks, "another take" presses) over the outfits they were about; corrections ("I don't wear
yellow", or a button) override them. Features never special-case a correction: Style Check's
personal feature reads `Profile.taste()`, comments are made from `Profile.comment_view(outfit)`,
and any sentence that would praise something avoided is dropped by `Profile.allows(...)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from inference.core.colour import FAMILIES
from inference.core.garments import CLASSES, DISPLAY_NAME
from inference.styles.detection import detect_styles

KINDS = ("colour", "garment", "style")
#: How much each signal moves the learned scores (per outfit it was about).
SIGNAL_WEIGHTS: dict[str, float] = {
    "verdict_chosen": 1.0,  # the outfit picked in a Style Check
    "verdict_other": -1.0,  # the one not picked
    "shop": 0.6,  # "where can I buy this?" on an outfit
    "shop_item": 0.6,  # shopping for one garment of it (counted once per garment)
    "comment_more": 0.3,  # "another take" on an outfit's comment
}
ITEM_SIGNALS = frozenset({"shop_item"})
#: In the taste Style Check reads (scaled so the largest learned value is 1).
AVOID_VALUE, LIKE_VALUE = -1.0, 0.6
STYLE_MIN_SCORE = 0.3
#: Positive signals a learned key needs before it is shown as a favourite: one Style Check
#: answer is not yet a taste ("you like goth" after a single choice reads as presumptuous).
MIN_SUPPORT = 2
#: Ties are shown in this order: big garments before small ones, colours as in FAMILIES.
ORDER = {**{f"garment:{c}": i for i, c in enumerate(CLASSES)},
         **{f"colour:{f}": i for i, f in enumerate(FAMILIES)}}


def taste_vector(outfit: dict) -> dict[str, float]:
    """What an outfit is made of, for the personal feature: colour families and garments."""
    vec: dict[str, float] = {}
    for item in outfit["items"]:
        for colour in item["colours"]:
            key = f"colour:{colour['family']}"
            vec[key] = vec.get(key, 0.0) + item["area"] * colour["share"]
        key = f"garment:{item['category']}"
        vec[key] = vec.get(key, 0.0) + 0.5
    return vec


def personal_score(outfit: dict, taste: dict[str, float]) -> float:
    """Cosine similarity between the outfit and the user's taste, mapped to [0, 1]."""
    vec = taste_vector(outfit)
    dot = sum(v * taste.get(k, 0.0) for k, v in vec.items())
    norm = np.sqrt(sum(v * v for v in vec.values()) * sum(v * v for v in taste.values()))
    return 0.5 + 0.5 * dot / norm if norm > 0 else 0.5


def outfit_keys(outfit: dict) -> dict[str, float]:
    """What an outfit is made of: colour families (by area), garments, and its styles."""
    keys = taste_vector(outfit)
    for style in detect_styles(outfit):
        if style.score >= STYLE_MIN_SCORE:
            keys[f"style:{style.style}"] = style.score
    return keys


def learn(signals: Iterable[tuple[str, dict]]) -> tuple[dict[str, float], dict[str, int]]:
    """Learned scores (each (signal, outfit) weighted by SIGNAL_WEIGHTS) and, per key, how many
    positive signals back it."""
    scores: dict[str, float] = {}
    support: dict[str, int] = {}
    for signal, outfit in signals:
        # One garment says nothing about a style; a whole outfit does.
        keys = taste_vector(outfit) if signal in ITEM_SIGNALS else outfit_keys(outfit)
        for key, value in keys.items():
            scores[key] = scores.get(key, 0.0) + SIGNAL_WEIGHTS[signal] * value
            if SIGNAL_WEIGHTS[signal] > 0:
                support[key] = support.get(key, 0) + 1
    return scores, support


@dataclass(frozen=True)
class Corrections:
    avoid: frozenset[str] = frozenset()
    like: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, data: dict | None) -> Corrections:
        data = data or {}
        return cls(frozenset(data.get("avoid", ())), frozenset(data.get("like", ())))

    def as_dict(self) -> dict[str, list[str]]:
        return {"avoid": sorted(self.avoid), "like": sorted(self.like)}

    def avoiding(self, key: str) -> Corrections:
        return Corrections(self.avoid | {key}, self.like - {key})

    def liking(self, key: str) -> Corrections:
        return Corrections(self.avoid - {key}, self.like | {key})

    def without(self, key: str) -> Corrections:
        return Corrections(self.avoid - {key}, self.like - {key})


def item_keys(item: dict) -> set[str]:
    return {f"colour:{item['colour_family']}", f"garment:{item['category']}"}


def _words(key: str, outfits: Iterable[dict]) -> set[str]:
    """How a key can appear in a sentence about these outfits."""
    kind, _, value = key.partition(":")
    words = {value}
    for outfit in outfits:
        for item in outfit.get("items", []):
            if key in item_keys(item):
                words.add(item["colour_name"] if kind == "colour" else DISPLAY_NAME[value])
                if kind == "garment" and item.get("fine_label"):
                    words.add(item["fine_label"])
    if kind == "garment":
        words.add(DISPLAY_NAME.get(value, value))
    return {w for w in words if w}


@dataclass(frozen=True)
class Profile:
    learned: dict[str, float] = field(default_factory=dict)
    corrections: Corrections = Corrections()
    support: dict[str, int] = field(default_factory=dict)  # positive signals behind each key

    def taste(self) -> dict[str, float]:
        """Style Check's taste: learned colour/garment scores (largest 1), corrections on top."""
        top = max((abs(v) for v in self.learned.values()), default=0.0) or 1.0
        taste = {k: v / top for k, v in self.learned.items() if not k.startswith("style:")}
        for key in self.corrections.like:
            taste[key] = max(taste.get(key, 0.0), LIKE_VALUE)
        for key in self.corrections.avoid:
            taste[key] = AVOID_VALUE
        return {k: v for k, v in taste.items() if not k.startswith("style:")}

    def comment_view(self, outfit: dict) -> dict:
        """The outfit as comments may see it: avoided garments and colours left out."""
        avoid = self.corrections.avoid
        return {**outfit, "items": [i for i in outfit.get("items", [])
                                    if not item_keys(i) & avoid]}

    def allows(self, text: str, *outfits: dict) -> bool:
        """False when the sentence names something the user avoids."""
        for key in self.corrections.avoid:
            for word in _words(key, outfits):
                if re.search(rf"\b{re.escape(word)}s?\b", text, re.IGNORECASE):
                    return False
        return True

    def ranked(self, kind: str, n: int = 3) -> list[tuple[str, float, bool]]:
        """(key, score in [-1, 1], said by the user): likes, then learned favourites, then
        avoided; learned scores that are negative are left out (not enough to call a dislike),
        and so are keys fewer than MIN_SUPPORT signals back."""
        prefix = f"{kind}:"
        top = max((abs(v) for k, v in self.learned.items() if k.startswith(prefix)),
                  default=0.0) or 1.0
        likes = [(k, 1.0, True) for k in sorted(self.corrections.like) if k.startswith(prefix)]
        learned = sorted(((k, v / top, False) for k, v in self.learned.items()
                          if k.startswith(prefix) and v > 0
                          and self.support.get(k, 0) >= MIN_SUPPORT
                          and k not in self.corrections.avoid
                          and k not in self.corrections.like),
                         key=lambda r: (-round(r[1], 6), ORDER.get(r[0], 99)))
        avoid = [(k, -1.0, True) for k in sorted(self.corrections.avoid) if k.startswith(prefix)]
        return likes + learned[: max(0, n - len(likes))] + avoid
