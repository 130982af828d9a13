"""One concrete suggestion for an outfit: try small changes, re-score, keep what helps most.

The score is Style Check's own starting point: an outfit's utility is the prior weights dotted
with its features (inference/stylecheck/model.py: P(A beats B) = sigmoid(w . (fA - fB))), so a
suggestion never contradicts a verdict. The changes tried are the ones a stylist would name:
- a garment (a main one, or the shoes, belt or bag) in another colour family: the ones the
  compatibility model ranks first for it given the rest, plus the easy neutrals;
- a missing belt, bag, pair of shoes or outer layer added, in its best-ranked colour;
- one of two competing patterned garments made plain.
Only the garments and their colours change: nothing here is about the body. Colours that are
plainly deliberate (a matching set, the one accent on neutrals) are never the thing to change.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from PIL import Image
from skimage.color import rgb2lab

from inference.core.colour import CLOSE_FAMILIES, FAMILY_RGB, LEATHER_NEUTRALS, NEUTRAL_FAMILIES
from inference.core.colour_names import fashion_name
from inference.core.garments import CLASS_INDEX, DISPLAY_NAME, GARMENT_IDS, RIVAL_ZONES
from inference.core.recolour import recolour_to, with_fragments, without_spill
from inference.parsing.outfit import Outfit, garment_colours, scene_pixels
from inference.stylecheck.features import (
    ALL_FEATURES,
    FEATURE_NAMES,
    leads_pattern,
    outfit_features,
)
from inference.stylecheck.model import PRIOR, vector
from inference.styles.compatibility import pieces_of, shipped

#: A garment this share of the person or more is one the outfit is built on.
MAIN_AREA = 0.05
#: Small pieces whose colour is also worth changing (shoes, belt, bag).
SMALL_PIECES = ("footwear", "belt", "bag")
#: Small pieces that carry an outfit's accent colour (a red bag, cobalt heels, an orange hat).
ACCENTS = (*SMALL_PIECES, "hat", "scarf")
#: Pieces that may be added when missing, with a typical share of the person they cover.
ADDABLE: dict[str, float] = {"belt": 0.01, "bag": 0.04, "footwear": 0.04, "outer": 0.35}
#: The easy neutrals tried for every garment, besides the model's favourites.
BASICS = ("black", "white", "beige", "navy")
#: How many of the compatibility model's best families are tried per garment.
TOP_RANKED = 3
#: A recoloured garment must read back as its new colour (or a close one: navy as dark blue)
#: over at least this share of its pixels, or the region was patchy and the change is dropped.
READ_BACK_SHARE = 0.6
#: The least utility gain (log-odds) worth saying. sigmoid(0.3) = 0.57: Style Check must prefer
#: the changed outfit at least 57 times in 100, more than the one-step wobble of a single
#: secondary feature (e.g. 0.25 for one accessory more or less), so noise never triggers it.
MARGIN = 0.3
#: Features an added piece raises just by being there. An addition is judged without them, so
#: "add a jacket" must help the colours as a recolour would, not win by merely existing (a navy
#: jacket over a red top and green skirt hides the clash; a beige skirt resolves it).
PRESENCE = ("accessories", "layering")
#: Features that only say how common a colour is. A change is never suggested for them alone
#: ("black shoes, since most people wear black" is no reason a stylist gives): its merit and
#: its reason come from the other features, and the whole utility must rise by MARGIN too.
POPULARITY = ("usual_colours",)


@dataclass(frozen=True)
class Suggestion:
    """What to change: `kind` is "recolour", "add" or "solid"; `item` the garment as it would be
    (Outfit.as_dict() item), `before` as it is (None when added); `family` the new colour family;
    `gain` the utility gained; `reason` the feature that moved most (stylecheck feature_words)."""

    kind: str
    item: dict
    before: dict | None
    family: str
    gain: float
    reason: str

    @property
    def category(self) -> str:
        return self.item["category"]


def utility(outfit: dict, today: date | None = None) -> float:
    """How good Style Check's prior weights find the outfit (log-odds scale)."""
    return float(PRIOR @ vector(outfit_features(outfit, today)))


@cache
def _swatch_name(family: str) -> str:
    """The fashion name of `family`'s swatch (asked for every change tried, so kept)."""
    rgb = FAMILY_RGB[family]
    return fashion_name(rgb2lab(np.array(rgb, dtype=np.float64)[None, None] / 255.0)[0, 0],
                        family)


def _coloured(item: dict, family: str) -> dict:
    """`item` in one colour of `family` (its swatch), everything else kept."""
    rgb = FAMILY_RGB[family]
    name = _swatch_name(family)
    noun = DISPLAY_NAME.get(item["category"], item["category"])
    return {**item, "colour_name": name, "colour_family": family, "css_name": name,
            "rgb": list(rgb), "name": f"{name} {item.get('fine_label') or noun}",
            "colours": [{"name": name, "family": family, "rgb": list(rgb), "share": 1.0}]}


def _person_box(outfit: dict) -> list[int]:
    boxes = np.array([i["box"] for i in outfit["items"]])
    return [int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()),
            int(boxes[:, 3].max())]


def _added(outfit: dict, category: str, family: str) -> dict:
    """A plausible new garment: a solid piece where that garment sits on the person's box."""
    x0, y0, x1, y1 = _person_box(outfit)
    h, w = y1 - y0, x1 - x0
    box = {"belt": [x0 + w // 4, y0 + int(0.45 * h), x1 - w // 4, y0 + int(0.49 * h)],
           "bag": [x0, y0 + int(0.4 * h), x0 + w // 3, y0 + int(0.6 * h)],
           "footwear": [x0 + w // 4, y1 - h // 12, x1 - w // 4, y1],
           "outer": [x0, y0 + h // 8, x1, y0 + int(0.6 * h)]}[category]
    base = {"category": category, "fine_label": None, "pattern": "solid",
            "area": ADDABLE[category], "box": box, "confidence": 1.0}
    return _coloured(base, family)


def _candidate_families(outfit: dict, category: str, exclude: str) -> list[str]:
    """The compatibility model's favourites for a `category` given the rest, then the basics."""
    model = shipped()
    others = [p for p in pieces_of(outfit) if p[0] != category]
    ranked = [f for f, _ in model.rank(category, others)[:TOP_RANKED]] if model else []
    return [f for f in dict.fromkeys([*ranked, *BASICS]) if f != exclude]


def _neutral(item: dict) -> bool:
    """Goes with anything: black, white, grey, beige, navy, and brown for shoes, belts, bags."""
    neutrals = LEATHER_NEUTRALS if item["category"] in SMALL_PIECES else NEUTRAL_FAMILIES
    return item["colour_family"] in neutrals


def _deliberate(outfit: dict, item: dict) -> bool:
    """A colour a stylist would leave alone: half of a matching set (a red jacket with red
    trousers is one idea, not two mistakes), the one colourful main garment against neutrals
    (a pink trouser with black and white is the point of the outfit), or the one colourful
    accent (cobalt heels, a red bag) on neutral garments."""
    main = [i for i in outfit["items"] if i["area"] >= MAIN_AREA and i is not item]
    if any(i["colour_family"] == item["colour_family"] for i in main):
        return item["colour_family"] not in NEUTRAL_FAMILIES
    if _neutral(item) or any(not _neutral(i) for i in main):
        return False
    if item["area"] >= MAIN_AREA:
        return True
    return not any(i is not item and i["area"] < MAIN_AREA and i["category"] in ACCENTS
                   and not _neutral(i) for i in outfit["items"])


def _changes(outfit: dict) -> Iterator[tuple[str, dict | None, dict, dict]]:
    """(kind, garment before, garment after, changed outfit) for every change worth trying."""
    items = outfit["items"]
    for n, item in enumerate(items):
        if item["area"] < MAIN_AREA and item["category"] not in SMALL_PIECES:
            continue
        if _deliberate(outfit, item):
            continue
        for family in _candidate_families(outfit, item["category"], item["colour_family"]):
            after = _coloured(item, family)
            yield "recolour", item, after, {**outfit, "items": [*items[:n], after, *items[n + 1:]]}
    present = {i["category"] for i in items}
    for category in ADDABLE:
        if category in present or (category == "outer" and "dress" not in present
                                   and "top" not in present):
            continue
        family = _candidate_families(outfit, category, "")[0]
        after = _added(outfit, category, family)
        yield "add", None, after, {**outfit, "items": [*items, after]}
    patterned = [n for n, i in enumerate(items) if leads_pattern(i)]
    if len(patterned) >= 2:
        for n in patterned:
            after = {**items[n], "pattern": "solid"}
            yield "solid", items[n], after, {**outfit,
                                             "items": [*items[:n], after, *items[n + 1:]]}


def suggest(outfit: dict, today: date | None = None) -> Suggestion | None:
    """The change whose merit is highest, if that is at least MARGIN and Style Check's whole
    utility rises by MARGIN with it; else None. Merit: the utility gained without POPULARITY
    (and, for an addition, without PRESENCE)."""
    if len(outfit.get("items", [])) < 2:
        return None
    today = today or date.today()
    outfit = copy.deepcopy(outfit)  # the caller's dict is never touched
    base = vector(outfit_features(outfit, today))
    popularity = np.isin(ALL_FEATURES, POPULARITY)
    presence = popularity | np.isin(ALL_FEATURES, PRESENCE)
    reasons = np.isin(ALL_FEATURES, FEATURE_NAMES) & ~popularity
    best: tuple[float, Suggestion] | None = None
    for kind, before, after, changed in _changes(outfit):
        moved = PRIOR * (vector(outfit_features(changed, today)) - base)
        gain = float(moved.sum())
        merit = float(moved[~(presence if kind == "add" else popularity)].sum())
        if gain >= MARGIN and (best is None or merit > best[0]):
            reason = ALL_FEATURES[int(np.argmax(np.where(reasons, moved, -np.inf)))]
            best = merit, Suggestion(kind, after, before, after["colour_family"], gain, reason)
    return best[1] if best and best[0] >= MARGIN else None


def recolour_mask(outfit: Outfit, category: str) -> np.ndarray:
    """The pixels a recolouring changes: the main person's `category` garment, with the pieces
    the parse gave a rival class of its body zone although they are its colour
    (recolour.with_fragments), without what its region took from a touching garment or the
    skin (recolour.without_spill)."""
    own = CLASS_INDEX[category]
    rivals = {CLASS_INDEX[c] for zone in RIVAL_ZONES if category in zone for c in zone} - {own}
    rgb = np.asarray(outfit.image)
    mask = with_fragments(rgb, outfit.labels, outfit.garment_mask(category), rivals,
                          outfit.main)
    neighbours = [i for i in (*GARMENT_IDS, CLASS_INDEX["skin"]) if i != own]
    return without_spill(rgb, outfit.labels, mask, neighbours)


def recoloured_photo(outfit: Outfit, category: str, family: str) -> Image.Image:
    """The photo with the main person's `category` garment in `family` (CIELAB, shading and
    texture kept): what a colour suggestion or "show it in navy" draws."""
    return recolour_to(outfit.image, recolour_mask(outfit, category), FAMILY_RGB[family])


def confirmed_photo(outfit: Outfit, category: str, family: str) -> Image.Image | None:
    """The recoloured photo, if the bot's own colour code reads the changed garment as `family`
    again; None when it does not (the parse's region for it is patchy or spills onto another
    garment, so the picture would be blotchy and the suggestion rests on a misreading)."""
    mask = recolour_mask(outfit, category)
    if not mask.any():
        return None
    after = recolour_to(outfit.image, mask, FAMILY_RGB[family])
    rgb = np.asarray(after)
    colours = garment_colours(rgb, mask, scene_pixels(rgb, outfit.labels))
    if not colours:
        return None
    main = colours[0]
    near = main.family == family or main.family in CLOSE_FAMILIES.get(family, ())
    return after if near and main.share >= READ_BACK_SHARE else None
