"""What a Style Check feature is: one declaration (`@feature(...)` in features.py) holding its
name, aspect, one-line definition, prior weight, computation and explanation slots. Everything
else (the feature list, the prior vector, aspects, the explainer) is derived from these, so a new
feature is added in one place (plus its wording in prompts/en/stylecheck.yaml)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import prompts
from inference.core import wording
from inference.core.garments import DISPLAY_NAME
from inference.stylecheck.rules import Harmony, garment_colours, harmony_of, season_for
from inference.styles.compatibility import largest_of_each_kind, shipped
from inference.styles.detection import StyleScore, detect_styles

ASPECTS: tuple[str, ...] = ("colour", "fit", "styling", "trend", "personal")


@dataclass
class Look:
    """One outfit as the features see it: its parse (`Outfit.as_dict()`), the day (for trends),
    the user's taste (only "personal" reads it) and the language its reasons are written in
    (only the explanations read it). Measurements several features or their explanations share
    are computed once per outfit and kept here."""

    outfit: dict
    today: date
    taste: dict[str, float] = field(default_factory=dict)
    locale: str = "en"

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
    def kinds(self) -> dict[str, dict]:
        """The largest garment of each category, largest first (what the learned colour
        features judge)."""
        return largest_of_each_kind(self.outfit)

    @cached_property
    def usual_colours(self) -> float:
        """How usual each garment's colour is for its kind (the geometric mean over garments of
        the compatibility model's `usual`, the largest garment of each kind): in [0, 1]."""
        model, kept = shipped(), self.kinds
        if model is None or not kept:
            return 0.5
        logs = [math.log(model.usual(c, i["colour_name"])) for c, i in kept.items()]
        return math.exp(sum(logs) / len(logs))

    @cached_property
    def usual_hues(self) -> float:
        """How usual each garment's hue is for its kind at its lightness and chroma (the
        compatibility model's hue habits, over the largest garment of each kind): in (0, 1],
        0.5 without them."""
        model = shipped()
        return model.hues.outfit(self.kinds) if model and model.hues else 0.5

    @cached_property
    def worn_together(self) -> tuple[float, list[dict]]:
        """(how usual the outfit's colours are together, in [0, 1]: for each garment, the
        chance people give its colour family given the rest of the outfit, over the chance of
        the likeliest family; averaged), and the two garments whose colours the rest supports
        most. 0.5 with nothing to go on (no model, fewer than two garments)."""
        model, kept = shipped(), self.kinds
        if model is None or len(kept) < 2:
            return 0.5, []
        pieces = [(c, i["colour_family"]) for c, i in kept.items()]
        scores, lifts = [], []
        for n, (category, family) in enumerate(pieces):
            others = pieces[:n] + pieces[n + 1:]
            ranked = dict(model.rank(category, others))
            scores.append(math.exp(ranked[family] - max(ranked.values())))
            # the lift is the family's score over its prior: read from the ranking just made
            lifts.append(ranked[family] - math.log(model.prior(category, family)))
        best = sorted(range(len(pieces)), key=lambda n: -lifts[n])[:2]
        return sum(scores) / len(scores), [kept[pieces[n][0]] for n in best]

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


# Wording helpers for explanation slots: reasons name the real garments and colours, in the
# reason's language through inference.core.wording. English reads as it always has: the
# parser's own garment names, colour family and style keys.
def name_of(item: dict, locale: str = "en") -> str:
    """A garment as a reason names it ("striped navy top"; in Ukrainian "смугастий темно-синій
    топ")."""
    if prompts.normalise(locale) == "en":
        return item.get("name") or f"{item['colour_name']} {DISPLAY_NAME[item['category']]}"
    return wording.item_phrase(item, locale)


def join_words(words: list[str], locale: str = "en") -> str:
    """Words in prose: "x", "x and y", "x, y and z" (repeats and blanks dropped)."""
    return wording.list_words(words, locale)


def family_of(family: str, locale: str = "en") -> str:
    """A colour family in a reason ("gray" in English, as before; the word elsewhere)."""
    return family if prompts.normalise(locale) == "en" else wording.family_word(family, locale)


def style_of(style: str, locale: str = "en") -> str:
    """A style in a reason ("pinup" in English, as before; the word elsewhere)."""
    return style if prompts.normalise(locale) == "en" else wording.style_word(style, locale)


def indicators_of(indicators: tuple[str, ...] | list[str], locale: str = "en") -> str:
    """Style indicators in a reason: "black shoes + dark palette"."""
    return " + ".join(wording.indicator_word(i, locale) for i in indicators)


def harmony_word(template: str, english: str, locale: str = "en") -> str:
    """A hue template's word ("complementary") from stylecheck.yaml's harmony_words in
    `locale`, else `english`."""
    words = prompts.load("stylecheck", locale).get("harmony_words") or {}
    return str(words.get(template) or english)
