"""Style Check features: small, named, documented numbers computed from an outfit's parse.

Every feature is a score in [0, 1] where 1 is what general styling advice prefers; the verdict
model (model.py) weighs differences of these scores, and a user's feedback can turn any weight
up, down or negative. Nothing here looks at the body: only garments, their colours, patterns,
positions relative to each other, and how much of the person they cover.

Each feature is declared once, here: `@feature(name, aspect, prior=..., doc=...)` on the function
that computes it from a `Look`, and `@<feature>.explanation` on the function that fills its reason
sentence (the sentence itself is `reasons.<name>` in prompts/<locale>/stylecheck.yaml, with its
short name under `feature_words`); slots name things in `Look.locale` through registry's
name_of / join_words / family_of / style_of (inference.core.wording). The feature list, the
prior weight vector, the aspects and the explainer are all derived from these declarations;
declaration order is the weight order.

Priors are how much a full-scale (0 -> 1) difference moves the log-odds before any feedback.
Colour harmony, proportion, a clear dress code and restraint with patterns are the classic rules;
trends and coverage count least (taste, not rules). A user's history can overrule any of them.

Input is the plain dict of `Outfit.as_dict()` (items with category, colours, pattern, area, box),
so stored outfits can be re-scored without their pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

from inference.core.colour import LEATHER_NEUTRALS, NEUTRAL_FAMILIES
from inference.stylecheck.registry import (
    Feature,
    Look,
    Slots,
    declared,
    family_of,
    feature,
    harmony_word,
    indicators_of,
    join_words,
    name_of,
    style_of,
)
from inference.stylecheck.rules import (
    ACCESSORY_CLASSES,
    FORMALITY,
    LOWER,
    TEMPLATE_WORDS,
    UPPER,
    peak,
)
from inference.styles.compatibility import shipped
from inference.styles.taste import personal_score

#: How much the learned colour features count: the first two chosen on real and recoloured
#: pairs of training photos the compatibility model was not fitted on; the hues' on the
#: training photos' pairs in 5-fold cross-validation (scripts/tune_usual_colours.py: 0.790 of
#: 572 pairs at 1, 0.809-0.816 at 2-8), as the largest that keeps learning a user's own taste
#: as quick (bench.stylecheck, varied tastes after 30 answers, seed 0: 0.801 at 1, 0.785 at 2,
#: 0.737 at 4, against 0.805 without it): a strong prior is far from an unusual user's weights
#: (BENCHMARKS.md, "Advice").
USUAL_COLOURS_PRIOR, WORN_TOGETHER_PRIOR, USUAL_HUES_PRIOR = 2.0, 0.3, 1.0


# Colour ------------------------------------------------------------------------------------
@feature("hue_harmony", "colour", prior=1.2,
         doc="chromatic garment hues fit a harmonic hue template "
             "(Matsuda / Cohen-Or types i, V, L, I, T, Y, X)")
def hue_harmony(look: Look) -> float:
    return look.harmony.score


@hue_harmony.explanation
def _(win: Look, lose: Look) -> Slots:
    chromatic = [i for i in win.items if i["colour_family"] not in NEUTRAL_FAMILIES]
    if len(chromatic) < 2:
        return None
    template = win.harmony.template
    return {
        "colours": join_words([name_of(i, win.locale) for i in chromatic[:2]], win.locale),
        "template": harmony_word(template, TEMPLATE_WORDS[template], win.locale),
    }


@feature("lightness_contrast", "colour", prior=0.5,
         doc="spread of garment lightness (CIELAB L*), saturating at 25")
def lightness_contrast(look: Look) -> float:
    colours, total = look.colours, look.total
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
    return min(1.0, spread / 25)


@lightness_contrast.explanation
def _(win: Look, lose: Look) -> Slots:
    if len(win.items) < 2:
        return None
    ordered = sorted(win.items, key=lambda i: sum(i["rgb"]))  # darkest first
    return {"light": name_of(ordered[-1], win.locale), "dark": name_of(ordered[0], win.locale)}


#: More colour families than this are not "few", even where the other outfit has more.
FEW_FAMILIES = 4


def _families(look: Look) -> set[str]:
    """The colour families with at least 5% of the outfit's colour."""
    return {c["family"] for _, c, w in look.colours if w / look.total >= 0.05}


@feature("colour_count", "colour", prior=0.8,
         doc="few distinct colour families: 1 up to three, less after")
def colour_count(look: Look) -> float:
    return peak(len(_families(look)), 1, 3, 4)


@colour_count.explanation
def _(win: Look, lose: Look) -> Slots:
    # The families the feature counted (not every item's, a speck of scarf included), and only
    # when they are few: "keeps to 7 colour families, so it reads calm" was said before.
    families = sorted(_families(win))
    if not families or len(families) > FEW_FAMILIES:
        return None
    said = [family_of(f, win.locale) for f in families]
    return {"n": len(families), "families": join_words(said, win.locale)}


@feature("neutral_balance", "colour", prior=0.6,
         doc="neutral colours cover 40-85% of the garments")
def neutral_balance(look: Look) -> float:
    neutral = sum(w for _, c, w in look.colours if c["family"] in NEUTRAL_FAMILIES) / look.total
    return peak(neutral, 0.4, 0.85, 0.4)


@neutral_balance.explanation
def _(win: Look, lose: Look) -> Slots:
    accent = [i for i in win.items if i["colour_family"] not in NEUTRAL_FAMILIES]
    neutral = [i for i in win.items if i["colour_family"] in NEUTRAL_FAMILIES]
    if not accent or not neutral:
        return None
    neutrals = join_words([name_of(i, win.locale) for i in neutral[:2]], win.locale)
    return {"accent": name_of(accent[0], win.locale), "neutrals": neutrals}


@feature("usual_colours", "colour", prior=USUAL_COLOURS_PRIOR,
         doc="each garment comes in a colour people really wear it in (learned from street "
             "photos: inference/styles/compatibility.py)")
def usual_colours(look: Look) -> float:
    return look.usual_colours


@usual_colours.explanation
def _(win: Look, lose: Look) -> Slots:
    main = [i for i in win.items if i.get("area", 0) >= 0.05][:2]
    return {"items": join_words([name_of(i, win.locale) for i in main], win.locale)} \
        if main else None


@feature("usual_hues", "colour", prior=USUAL_HUES_PRIOR,
         doc="each colourful garment comes in a hue people really wear it in at that lightness "
             "and strength of colour (learned from street photos: "
             "inference/styles/compatibility.py, HueHabits)")
def usual_hues(look: Look) -> float:
    return look.usual_hues


@usual_hues.explanation
def _(win: Look, lose: Look) -> Slots:
    model = shipped()
    if model is None or model.hues is None:
        return None
    # the winner's colourful piece whose hue is the most usual for its kind
    coloured = [(model.hues.usual(c, i["rgb"]), i) for c, i in win.kinds.items()
                if i.get("rgb") and i["colour_family"] not in NEUTRAL_FAMILIES]
    if not coloured:
        return None
    return {"item": name_of(max(coloured, key=lambda ui: ui[0])[1], win.locale)}


@feature("worn_together", "colour", prior=WORN_TOGETHER_PRIOR,
         doc="each garment's colour family is one people wear with the rest of the outfit "
             "(learned from street photos: inference/styles/compatibility.py)")
def worn_together(look: Look) -> float:
    return look.worn_together[0]


@worn_together.explanation
def _(win: Look, lose: Look) -> Slots:
    _, best = win.worn_together
    if len(best) < 2:
        return None
    return {"items": join_words([name_of(i, win.locale) for i in best], win.locale)}


# Fit ---------------------------------------------------------------------------------------
@feature("proportion", "fit", prior=0.8,
         doc="top/bottom length split near one third / two thirds")
def proportion(look: Look) -> float:
    upper = [i for i in look.items if i["category"] in UPPER]
    lower = [i for i in look.items if i["category"] in LOWER]
    if upper and lower:
        top_h = max(i["box"][3] for i in upper) - min(i["box"][1] for i in upper)
        low_h = max(i["box"][3] for i in lower) - min(i["box"][1] for i in lower)
        return peak(top_h / max(top_h + low_h, 1), 0.3, 0.45, 0.25)
    return 0.8 if any(i["category"] == "dress" for i in look.items) else 0.5


@proportion.explanation
def _(win: Look, lose: Look) -> Slots:
    top = next((i for i in win.items if i["category"] in UPPER), None)
    bottom = next((i for i in win.items if i["category"] in LOWER), None)
    if not top or not bottom:
        return None
    return {"top": name_of(top, win.locale), "bottom": name_of(bottom, win.locale)}


# Coverage's sentence needs no garment names: it keeps the default (no slots).
@feature("coverage", "fit", prior=0.2,
         doc="share of the person's visible area that is garment, not skin")
def coverage(look: Look) -> float:
    return max(0.0, min(1.0, 1 - look.outfit.get("skin_share", 0.3)))


@feature("layering", "fit", prior=0.4, doc="an outer layer over a top or dress")
def layering(look: Look) -> float:
    return (
        1.0
        if any(i["category"] == "outer" for i in look.items)
        and any(i["category"] in {"top", "dress"} for i in look.items)
        else 0.0
    )


@layering.explanation
def _(win: Look, lose: Look) -> Slots:
    inner = win.by_category.get("top") or win.by_category.get("dress")
    if "outer" not in win.by_category or not inner:
        return None
    return {"outer": name_of(win.by_category["outer"], win.locale),
            "inner": name_of(inner, win.locale)}


# Styling -----------------------------------------------------------------------------------
@feature("formality_match", "styling", prior=0.8, doc="garments sit at a similar dress code")
def formality_match(look: Look) -> float:
    levels = [
        FORMALITY.get(i.get("fine_label") or "", FORMALITY[i["category"]]) for i in look.items
    ]
    mean_f = sum(levels) / len(levels) if levels else 0.5
    return 1 - min(
        1.0, 2.5 * math.sqrt(sum((x - mean_f) ** 2 for x in levels) / max(len(levels), 1))
    )


def leads_pattern(item: dict) -> bool:
    """A patterned garment big enough to lead. Clothes only: a bag's or a shoe's texture
    (quilting, a logo, leather grain) reads as a print to the pattern code, and a patterned bag
    is an accent, not a second lead."""
    return (item["pattern"] != "solid" and item["area"] > 0.05
            and item["category"] not in ACCESSORY_CLASSES and item["category"] != "footwear")


def _patterned_clothes(look: Look) -> int:
    return sum(1 for i in look.items if leads_pattern(i))


@feature("pattern_mixing", "styling", prior=0.7, doc="at most one patterned garment leads")
def pattern_mixing(look: Look) -> float:
    patterned = _patterned_clothes(look)
    return 1.0 if patterned <= 1 else 0.4 if patterned == 2 else 0.0


@pattern_mixing.explanation
def _(win: Look, lose: Look) -> Slots:
    n_other = _patterned_clothes(lose)
    return {"n_other": n_other} if n_other >= 2 else None


@feature("accessories", "styling", prior=0.5,
         doc="bag, belt, hat, glasses, scarf or jewellery (two is plenty)")
def accessories(look: Look) -> float:
    return min(1.0, sum(1 for i in look.items if i["category"] in ACCESSORY_CLASSES) / 2)


@accessories.explanation
def _(win: Look, lose: Look) -> Slots:
    acc = [name_of(i, win.locale) for i in win.items if i["category"] in ACCESSORY_CLASSES]
    return {"accessories": join_words(acc[:2], win.locale)} if acc else None


@feature("shoes_match", "styling", prior=0.6,
         doc="shoes are neutral (brown counts) or echo another garment's colour")
def shoes_match(look: Look) -> float:
    shoes = [i for i in look.items if i["category"] == "footwear"]
    others = {i["colours"][0]["family"] for i in look.items if i["category"] != "footwear"}
    if not shoes:
        return 0.5
    fam = shoes[0]["colours"][0]["family"]
    return 1.0 if fam in LEATHER_NEUTRALS or fam in others else 0.0


@shoes_match.explanation
def _(win: Look, lose: Look) -> Slots:
    shoes = win.by_category.get("footwear")
    return {"shoes": name_of(shoes, win.locale)} if shoes else None


@feature("style_clarity", "styling", prior=0.5,
         doc="the outfit reads as one clear style (styles/detection.py)")
def style_clarity(look: Look) -> float:
    return look.styles[0].score if look.items else 0.0


@style_clarity.explanation
def _(win: Look, lose: Look) -> Slots:
    top = win.styles[0]
    if not top.indicators or not win.items:
        return None
    return {
        "style": style_of(top.style, win.locale),
        "indicators": indicators_of(top.indicators[:2], win.locale),
        "item": name_of(max(win.items, key=lambda i: i["area"]), win.locale),
    }


# Trend: this season's entry in the dated prompts/trends.yaml; out of season both are neutral.
@feature("trend_colours", "trend", prior=0.4,
         doc="share of garment area in this season's colours")
def trend_colours(look: Look) -> float:
    season = look.season
    if not season:
        return 0.5
    trend_area = sum(
        w
        for _, c, w in look.colours
        if c["family"] in season["colours"] or c["name"] in season["colour_names"]
    )
    return trend_area / look.total


def _in_season(win: Look, slot: str, in_trend: Callable[[dict, dict], bool]) -> Slots:
    """The winner's garments in this season's trends, named in the reason's `slot`."""
    season = win.season
    hits = [name_of(i, win.locale) for i in win.items if in_trend(i, season)] if season else []
    return {slot: join_words(hits[:2], win.locale), "season": season["name"]} if hits else None


@trend_colours.explanation
def _(win: Look, lose: Look) -> Slots:
    return _in_season(win, "colours", lambda i, season: i["colour_family"] in season["colours"]
                      or i["colour_name"] in season["colour_names"])


@feature("trend_items", "trend", prior=0.3, doc="this season's garments and patterns present")
def trend_items(look: Look) -> float:
    season = look.season
    if not season:
        return 0.5
    hits = {i["category"] for i in look.items if i["category"] in season["categories"]}
    hits |= {i["pattern"] for i in look.items if i["pattern"] in season["patterns"]}
    return min(1.0, len(hits) / 2)


@trend_items.explanation
def _(win: Look, lose: Look) -> Slots:
    return _in_season(win, "items", lambda i, season: i["category"] in season["categories"]
                      or i["pattern"] in season["patterns"])


# Personal: the only feature that reads the user's taste (inference/styles/taste.py's Profile).
@feature("personal", "personal", prior=1.0, from_taste=True,
         doc="closeness to what this user chose before (cosine to their taste vector)")
def personal(look: Look) -> float:
    return personal_score(look.outfit, look.taste)


# Derived from the declarations above ------------------------------------------------------
FEATURES: dict[str, Feature] = declared()
#: Features of the parse alone (what `outfit_features` returns, and what the bench simulates).
FEATURE_NAMES: tuple[str, ...] = tuple(n for n, f in FEATURES.items() if not f.from_taste)
#: Every feature, in the weight vector's order.
ALL_FEATURES: tuple[str, ...] = tuple(FEATURES)
ASPECT_OF: dict[str, str] = {n: f.aspect for n, f in FEATURES.items()}
PRIOR_WEIGHTS: dict[str, float] = {n: f.prior for n, f in FEATURES.items()}


def features_of(look: Look) -> dict[str, float]:
    """Every feature of one outfit, "personal" included (from look.taste)."""
    return {name: f.compute(look) for name, f in FEATURES.items()}


def outfit_features(outfit: dict, today: date | None = None) -> dict[str, float]:
    """The features of the parse alone (no taste)."""
    look = Look(outfit, today or date.today())
    return {name: FEATURES[name].compute(look) for name in FEATURE_NAMES}
