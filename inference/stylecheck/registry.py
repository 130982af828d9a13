"""What a Style Check feature is: one declaration (`@feature(...)` in features.py) holding its
name, aspect, one-line definition, prior weight, computation and explanation slots. Everything
else (the feature list, the prior vector, aspects, the explainer) is derived from these, so a new
feature is added in one place (plus its wording in prompts/en/stylecheck.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from inference.core.garments import DISPLAY_NAME
from inference.stylecheck.rules import Harmony, garment_colours, harmony_of, season_for
from inference.styles.detection import StyleScore, detect_styles

ASPECTS: tuple[str, ...] = ("colour", "fit", "styling", "trend", "personal")


@dataclass
class Look:
    """One outfit as the features see it: its parse (`Outfit.as_dict()`), the day (for trends)
    and the user's taste (only "personal" reads it). Measurements several features or their
    explanations share are computed once per outfit and kept here."""

    outfit: dict
    today: date
    taste: dict[str, float] = field(default_factory=dict)

    @property
    def items(self) -> list[dict]:
        return self.outfit["items"]

    @cached_property
    def colours(self) -> list[tuple[dict, dict, float]]:
        return garment_colours(self.outfit)

    @cached_property
    def total(self) -> float:
        """Summed area weight of all garment colours (1 when there are none, to divide by)."""
        return sum(w for *_, w in self.colours) or 1.0

    @cached_property
    def harmony(self) -> Harmony:
        return harmony_of(self.outfit)

    @cached_property
    def season(self) -> dict | None:
        return season_for(self.today)

    @cached_property
    def styles(self) -> list[StyleScore]:
        return detect_styles(self.outfit)

    @cached_property
    def by_category(self) -> dict[str, dict]:
        """One garment per category (the last one parsed, as sentences name just one)."""
        return {i["category"]: i for i in self.items}


#: Values for a reason's template in prompts/en/stylecheck.yaml; None when the winning outfit
#: lacks what the sentence would name (the reason is then skipped).
Slots = dict[str, object] | None
Compute = Callable[[Look], float]
Explain = Callable[[Look, Look], Slots]  # (winning look, losing look)


def no_slots(win: Look, lose: Look) -> Slots:
    """For sentences that need only the letters {W} and {L}."""
    return {}


@dataclass
class Feature:
    """A named score in [0, 1] where 1 is what general styling advice prefers."""

    name: str
    aspect: str
    prior: float  # log-odds a full-scale (0 -> 1) difference is worth before any feedback
    doc: str
    compute: Compute
    explain: Explain = no_slots
    from_taste: bool = False  # reads Look.taste, so it is not a property of the outfit alone

    def explanation(self, slots: Explain) -> Explain:
        """Decorator: the slot function for this feature's reason sentence."""
        self.explain = slots
        return slots


_DECLARED: dict[str, Feature] = {}


def feature(
    name: str, aspect: str, *, prior: float, doc: str, from_taste: bool = False
) -> Callable[[Compute], Feature]:
    """Declare a feature on its compute function; declaration order is the weight order."""
    if aspect not in ASPECTS:
        raise ValueError(f"feature {name}: unknown aspect {aspect!r} (one of {ASPECTS})")
    if name in _DECLARED:
        raise ValueError(f"feature {name} declared twice")

    def declare(compute: Compute) -> Feature:
        _DECLARED[name] = Feature(name, aspect, prior, doc, compute, from_taste=from_taste)
        return _DECLARED[name]

    return declare


def declared() -> dict[str, Feature]:
    return dict(_DECLARED)


# Wording helpers for explanation slots: reasons name the real garments and colours.
def name_of(item: dict) -> str:
    return item.get("name") or f"{item['colour_name']} {DISPLAY_NAME[item['category']]}"


def join_words(words: list[str]) -> str:
    """Words in prose: "x", "x and y", "x, y and z" (repeats and blanks dropped)."""
    words = list(dict.fromkeys(w for w in words if w))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
