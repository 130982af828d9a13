"""Quick stylist judgements on a parsed outfit (Outfit.as_dict()), for questions people type:
"does this go with white sneakers?", "is this OK for the office?", "what colour bag?",
"make it more casual". Pure rules over colour families, garments and styles; each answer carries
a reason key (prompts/<lang>/talk.yaml) and the garments it is about, so the reply names real
things from the photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import prompts
from inference.styles.detection import detect_styles

NEUTRALS = frozenset({"black", "white", "gray", "beige", "navy", "brown"})
#: The colour wheel as people see it; neighbours are "tonal", others compete.
WHEEL = ("red", "orange", "yellow", "green", "blue", "purple", "pink")
#: A garment of these kinds takes the place of one already worn (a second pair of trousers).
SINGLE_KINDS = frozenset({"top", "dress", "pants", "shorts", "skirt", "footwear"})
CASUAL_NOUNS = frozenset({"shorts", "jeans"})
MAIN_KINDS = ("outer", "dress", "top", "pants", "skirt", "shorts", "footwear")


@dataclass(frozen=True)
class Occasion:
    """A dress code (prompts/occasions.yaml): how dressy, which garments and colours."""

    key: str
    level: int  # 0 relaxed, 1 smart casual, 2 formal
    fits: frozenset[str]  # classes and fine labels
    avoid: tuple[tuple[str, frozenset[str]], ...]  # (garment, only in these families, or any)
    avoid_why: str  # reason key for an avoided garment
    colours: tuple[str, ...]
    avoid_colours: frozenset[str]
    wear: tuple[tuple[str, str], ...]  # suggested (category, colour family), best first

    def avoids(self, item: dict) -> bool:
        """Is the garment wrong here, by kind or by colour?"""
        return self.avoided_kind(item) or self.wrong_colour(item)

    def avoided_kind(self, item: dict) -> bool:
        return any(not families and garment in names(item) for garment, families in self.avoid)

    def wrong_colour(self, item: dict) -> bool:
        family = item.get("colour_family")
        return family in self.avoid_colours or any(
            families and garment in names(item) and family in families
            for garment, families in self.avoid)

    def suits(self, item: dict) -> bool:
        """A garment that fits the occasion and nothing about it is to avoid."""
        return bool(names(item) & self.fits) and not self.avoids(item)


def names(item: dict) -> frozenset[str]:
    """What a garment may be called in a dress code: its class and its fine label."""
    return frozenset(n for n in (item.get("category"), item.get("fine_label")) if n)


def _occasion(key: str, data: dict) -> Occasion:
    avoid = tuple((a["garment"], frozenset(a["colours"])) if isinstance(a, dict)
                  else (str(a), frozenset()) for a in data.get("avoid", []))
    return Occasion(key, int(data["level"]), frozenset(data["fits"]), avoid,
                    str(data.get("avoid_why", "too_casual")), tuple(data["colours"]),
                    frozenset(data.get("avoid_colours", [])),
                    tuple((w["category"], w["colour"]) for w in data["wear"]))


@lru_cache(maxsize=1)
def occasions() -> dict[str, Occasion]:
    """Every dress code of prompts/occasions.yaml, read once."""
    data = prompts.read_yaml(prompts.ROOT / "occasions.yaml")
    return {key: _occasion(key, entry) for key, entry in data.items()}


#: A dress code for an occasion the data does not know: smart casual, nothing ruled out.
UNKNOWN_OCCASION = Occasion("", 1, frozenset(), (), "too_casual", (), frozenset(), ())


def occasion(key: str) -> Occasion:
    return occasions().get(key, UNKNOWN_OCCASION)


@dataclass(frozen=True)
class Judgement:
    verdict: str  # "yes", "maybe", "no"
    reason: str  # a key of pair_reasons / occasion_fit_* / suggest_reasons in talk.yaml
    about: list[dict] = field(default_factory=list)  # the outfit's items it is about
    colours: tuple[str, ...] = ()  # colour families it names (suggestions: the options)
    replaces: list[dict] = field(default_factory=list)  # what the new piece would take over


def by_size(outfit: dict) -> list[dict]:
    """The outfit's items, largest first (what people notice first)."""
    return sorted(outfit.get("items", []), key=lambda i: -i.get("area", 0))


def _chromatic(outfit: dict) -> list[dict]:
    return [i for i in by_size(outfit) if i["colour_family"] not in NEUTRALS]


def _neighbours(a: str, b: str) -> bool:
    if a not in WHEEL or b not in WHEEL:
        return False
    d = abs(WHEEL.index(a) - WHEEL.index(b))
    return min(d, len(WHEEL) - d) == 1


def pairs_with(outfit: dict, category: str | None, family: str | None) -> Judgement:
    """Would a piece of `category` in colour `family` (either may be unknown) go with it? A
    piece of a kind already worn (white sneakers when the photo has brown boots) is judged with
    the rest of the outfit, in place of the one it would replace."""
    items = by_size(outfit)
    same = [i for i in items if category in SINGLE_KINDS and i["category"] == category]
    if same and family is None:
        return Judgement("maybe", "same_kind", same[:1])
    rest = [i for i in items if i not in same]
    judged = _with_colour(rest, family)
    return replace(judged, replaces=same[:1]) if same else judged


def _with_colour(items: list[dict], family: str | None) -> Judgement:
    """Does `family` go with `items` (largest first)?"""
    if family is None:
        return Judgement("yes", "no_colour", items[:2])
    if family in NEUTRALS:
        return Judgement("yes", "neutral", items[:2], (family,))
    repeat = [i for i in items if i["colour_family"] == family]
    if repeat:
        return Judgement("yes", "repeat", repeat[:1], (family,))
    loud = _chromatic({"items": items})
    if not loud:
        return Judgement("yes", "accent", items[:2], (family,))
    if len({i["colour_family"] for i in loud}) >= 2:
        return Judgement("no", "busy", loud[:2], (family,))
    if _neighbours(family, loud[0]["colour_family"]):
        return Judgement("yes", "tonal", loud[:1], (family,))
    return Judgement("maybe", "clash", loud[:1], (family,))


def suggest_colours(outfit: dict, category: str) -> Judgement:
    """Colours for a piece of `category` to add: repeat the outfit's accent, or a neutral that
    suits it (dark with dark, tan with blues and earth tones, black otherwise)."""
    items = [i for i in by_size(outfit) if i["category"] != category]
    loud = _chromatic({"items": items})
    families = {i["colour_family"] for i in items}
    if families & {"navy", "blue", "beige", "brown", "green", "orange"}:
        neutral = "brown" if "brown" not in families else "beige"
    elif families <= {"white", "beige"} and families:
        neutral = "beige" if "beige" not in families else "white"
    else:
        neutral = "black"
    if loud:
        return Judgement("yes", "repeat", loud[:1], (loud[0]["colour_family"], neutral))
    lead = items[:1]
    accent = "red" if not families & {"red", "pink"} else "green"
    return Judgement("yes", "neutral", lead, (neutral, accent))


def formality(outfit: dict) -> int:
    """0 relaxed, 1 smart casual, 2 formal, from the detected styles and the pieces."""
    scores = {s.style: s.score for s in detect_styles(outfit)}
    nouns = {i.get("fine_label") or i["category"] for i in outfit.get("items", [])}
    if scores.get("formal", 0) >= 0.5 and not nouns & CASUAL_NOUNS:
        return 2
    if max(scores.get("sporty", 0), scores.get("streetwear", 0)) >= 0.5 or nouns & CASUAL_NOUNS:
        return 0
    return 1


def _most_casual(outfit: dict) -> list[dict]:
    items = by_size(outfit)
    casual = [i for i in items if (i.get("fine_label") or i["category"]) in CASUAL_NOUNS
              or i.get("pattern") == "printed"]
    return (casual or [i for i in items if i["category"] in MAIN_KINDS])[:1]


def _most_formal(outfit: dict) -> list[dict]:
    items = by_size(outfit)
    return ([i for i in items if i["category"] == "outer"]
            or [i for i in items if i["category"] in MAIN_KINDS])[:1]


def fits_occasion(outfit: dict, occasion_key: str) -> Judgement:
    """Is the outfit right for the occasion (its dress code in prompts/occasions.yaml)? A
    change names the piece to change: a wrong colour first, then a garment to avoid there,
    then the outfit's overall formality."""
    code = occasion(occasion_key)
    items = by_size(outfit)
    if wrong := [i for i in items if code.wrong_colour(i)]:
        return Judgement("no", "wrong_colour", wrong[:1])
    if avoided := [i for i in items if code.avoided_kind(i)]:
        return Judgement("no", code.avoid_why, avoided[:1])
    level = formality(outfit)
    if code.level == 2 and level == 0:
        return Judgement("no", "too_casual", _most_casual(outfit))
    if code.level == 0 and level == 2:
        return Judgement("no", "too_formal", _most_formal(outfit))
    # The reason names the pieces that set the tone: the largest main garments, not tights.
    main = [i for i in items if i["category"] in MAIN_KINDS] or items
    return Judgement("yes", "formal_ok" if code.level else "casual_ok", main[:2])


def piece_to_restyle(outfit: dict, target: str) -> list[dict]:
    """The one garment to change to move the outfit towards `target`."""
    items = [i for i in by_size(outfit) if i["category"] in MAIN_KINDS]
    if target == "casual":
        return _most_formal(outfit)
    if target in ("formal",):
        return _most_casual(outfit)
    if target == "colourful":
        neutral = [i for i in items if i["colour_family"] in NEUTRALS]
        return (neutral or items)[:1]
    if target == "neutral":
        return (_chromatic({"items": items}) or items)[:1]
    return [i for i in items if i["category"] in ("top", "outer")][:1] or items[:1]
