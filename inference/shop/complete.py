""""Complete the look": the catalogue's shoes, bags or jackets for a photo that lacks them, ranked
by the colour-compatibility model learned from real outfits (inference/styles/compatibility.py),
the same model behind Style Check's "worn together" and the colour suggestions.

Pure: an outfit dict (Outfit.as_dict()) and a CatalogIndex in, hits with their reasons out.
"""

from __future__ import annotations

import math

from inference.shop.index import CatalogIndex, Filters, Hit, Reason
from inference.styles.compatibility import Compatibility, Piece, pieces_of, shipped

#: The pieces a look can be completed with, most often missing from a street photo first:
#: shoes (cut off or left out of the frame), a bag, an outer layer.
COMPLETING: tuple[str, ...] = ("footwear", "bag", "outer")
#: A piece smaller than this share of the person, or one the parser is this unsure of, counts as
#: missing: a few pixels of "bag" at the frame's edge is no bag worth matching.
WEAK_AREA = 0.006
WEAK_CONFIDENCE = 0.5


def _present(item: dict) -> bool:
    return item.get("area", 0.0) >= WEAK_AREA and item.get("confidence", 1.0) >= WEAK_CONFIDENCE


def missing_pieces(outfit: dict) -> list[str]:
    """The completing categories the parse lacks (or has only tiny or unsure), in COMPLETING's
    order."""
    worn = {i["category"] for i in outfit.get("items", []) if _present(i)}
    return [c for c in COMPLETING if c not in worn]


def _others(outfit: dict, category: str) -> list[Piece]:
    """The outfit's pieces that speak for `category`'s colour: the sure ones, not `category`."""
    sure = {"items": [i for i in outfit.get("items", []) if _present(i)]}
    return [p for p in pieces_of(sure) if p[0] != category]


def _why(model: Compatibility, category: str, family: str, others: list[Piece]) -> Reason:
    """The piece that makes `family` most likely for `category`, or the category's habit when
    no piece speaks for it."""
    prior = math.log(model.prior(category, family))
    lifts = [(math.log(model.given(category, family, o)) - prior, o) for o in others]
    best = max(lifts, default=None)
    if best is None or best[0] <= 0:
        return ("usual_colour", {"family": family, "category": category})
    return ("goes_with", {"family": family, "category": category, "with": best[1][1],
                          "piece": best[1][0]})


def complete_the_look(index: CatalogIndex, outfit: dict, category: str, k: int = 5,
                      offset: int = 0, price_max: float | None = None,
                      model: Compatibility | None = None,
                      not_brands: frozenset[str] = frozenset()) -> list[Hit]:
    """The catalogue's items of `category` (at most `price_max`), ranked by how likely their
    colour family is given the outfit's other pieces; equal scores keep the catalogue's order.
    Items without a family the model knows go last. [] when the catalogue has none."""
    model = model or shipped()
    rows = index.categories.get(category) or []
    if model is None or not rows:
        return []
    others = _others(outfit, category)
    accepts = Filters(category=category, price_max=price_max, exclude_brands=not_brands).accepts
    scores = {f: s for f, s in model.rank(category, others)}
    ranked = sorted(
        (index.items[r] for r in rows if accepts(index.items[r])),
        key=lambda item: -scores.get(item.get("colour_family") or "", -math.inf))
    hits = []
    for item in ranked[offset:offset + k]:
        family = item.get("colour_family") or ""
        score = scores.get(family, -math.inf)
        why = [_why(model, category, family, others)] if family in scores else []
        hits.append(Hit(item, score, 0.0, why))
    return hits
