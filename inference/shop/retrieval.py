"""Street-to-shop: a parsed outfit's garments as queries, product photos as catalogue vectors,
and the shop's ranking modes with a short "why" for each match.

Modes (the bot's buttons and the CLI use the same names):
- "default": same garment class (exact partition of the index), the same kind of item (boots
  among shoes, inference/shop/kinds.py) and the same colour family first (small score bonuses,
  half for a close family), then visual similarity;
- "colour": same class and strictly the same colour family, the same kind first;
- "cheaper": same class, priced at most `price_max`, kind and colour preferred as in "default";
- "visual": nothing but vector similarity (what the evaluation calls visual-only).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from inference.core.colour import CLOSE_FAMILIES
from inference.core.colour_light import colours_in_scene
from inference.core.garments import CLASS_INDEX
from inference.parsing.outfit import Item, Outfit
from inference.shop.crop import WORN, GarmentCrop, crop_garment, product_mask
from inference.shop.index import CatalogIndex, Filters, Hit, Reason
from inference.shop.kinds import kinds_of

if TYPE_CHECKING:
    from inference.shop.kind_head import KindHead

MODES = ("default", "colour", "cheaper", "visual")
#: Score bonus for the query's colour family in "default"/"cheaper" (half for a close family);
#: cosine similarities inside one class spread over ~0.3, so this sets how strongly colour leads.
#: 0.3 (with the index's PREFERENCE_POOL): chosen on 150 CCP training photos among 0.1-1.0
#: (scripts/tune_shop_ranking.py): colour P@10 0.71 -> 0.76 and kind P@10 0.83 -> 0.86 there
#: against 0.15 on 100 neighbours; 0.5 and more only trade kind for colour.
COLOUR_BONUS = 0.3
#: Score bonus for the query's predicted kind of item in every mode but "visual": chosen among
#: 0.05, 0.1, 0.2, 0.3 (with the colour bonus above) on the last 150 CCP training photos with a
#: kind head trained without them (`stylebot train kind --hold-out-last 150`; kind P@10 0.776 /
#: 0.786 / 0.801 / 0.805, colour P@10 0.756 / 0.753 / 0.724 / 0.718): the kind without the colour.
KIND_BONUS = 0.1
#: Parse product photos at this long side: they are 224-pixel photos of one person.
PRODUCT_PARSE_SIDE = 384


@dataclass
class GarmentQuery:
    index: int  # position among the outfit's items
    category: str
    colour_family: str
    colour_name: str
    name: str  # "steel blue jeans"
    vector: np.ndarray
    kind: str | None = None  # inference/shop/kinds.py: "boots" among footwear

    def as_row(self) -> dict:
        return {"item_index": self.index, "category": self.category,
                "colour_family": self.colour_family, "name": self.name,
                "vector": self.vector.astype(np.float32).tobytes(), "kind": self.kind}

    @classmethod
    def from_row(cls, row: dict) -> GarmentQuery:
        return cls(row["item_index"], row["category"], row["colour_family"],
                   row["colour_family"], row["name"], np.frombuffer(row["vector"], np.float32),
                   row.get("kind"))


def item_crop(outfit: Outfit, item: Item) -> GarmentCrop:
    return crop_garment(outfit.image, outfit.labels == CLASS_INDEX[item.category])


def garment_queries(outfit: Outfit, embedder, kind_head: KindHead | None = None,  # noqa: ANN001
                    stocked: Collection[str] | None = None) -> list[GarmentQuery]:
    """One query per garment the parser found, largest first (the outfit's own order); its kind
    from `kind_head` when the embedder gives the backbone features the head reads, among the
    kinds the catalogue `stocked` where it has any of the garment's."""
    crops = [item_crop(outfit, item) for item in outfit.items]
    vectors, kinds = embed_with_kinds(crops, [i.category for i in outfit.items], embedder,
                                      kind_head, stocked)
    return [GarmentQuery(i, item.category, item.colour.family, item.colour.name, item.name,
                         vectors[i], kinds[i]) for i, item in enumerate(outfit.items)]


def embed_with_kinds(crops: list[GarmentCrop], categories: list[str], embedder,  # noqa: ANN001
                     kind_head: KindHead | None, stocked: Collection[str] | None = None,
                     ) -> tuple[np.ndarray, list[str | None]]:
    """Vectors of garment crops and their kinds (None without a head or with an embedder whose
    features it cannot read; among the `stocked` ones where the class has any), from one
    backbone pass."""
    if kind_head is None or not hasattr(embedder, "embed_pooled"):
        return embedder.embed(crops), [None] * len(crops)
    vectors, pooled = embedder.embed_pooled(crops)
    return vectors, kind_head.predict(pooled, categories, stocked)


def filters_for(query: GarmentQuery, mode: str, price_max: float | None = None,
                exclude: Iterable[str] = (), kind: str | None = None,
                not_brands: frozenset[str] = frozenset()) -> Filters:
    """The filters of a mode; `kind` keeps only that kind of item ("show me boots" after the
    photo's matches), `not_brands` leaves those brands out (brand_key()s)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    if mode == "visual":
        return Filters(exclude=frozenset(exclude), exclude_brands=not_brands)
    return Filters(
        category=query.category,
        kind=kind,
        colour_family=query.colour_family if mode == "colour" else None,
        prefer_family=query.colour_family if mode in ("default", "cheaper") else None,
        prefer_kind=query.kind,
        price_max=price_max if mode == "cheaper" else None,
        exclude=frozenset(exclude),
        exclude_brands=not_brands,
    )


def search(index: CatalogIndex, query: GarmentQuery, mode: str = "default", k: int = 10,
           offset: int = 0, price_max: float | None = None,
           colour_bonus: float | None = None, kind_bonus: float | None = None,
           kind: str | None = None, not_brands: frozenset[str] = frozenset()) -> list[Hit]:
    bonus = COLOUR_BONUS if colour_bonus is None else colour_bonus
    filters = filters_for(query, mode, price_max, kind=kind, not_brands=not_brands)
    hits = index.search(query.vector, k, filters, offset, bonus,
                        KIND_BONUS if kind_bonus is None else kind_bonus)
    asked = replace(query, kind=kind) if kind else query  # "same type (heels)" when asked
    for hit in hits:
        hit.why = why(hit, asked)
    return hits


def why(hit: Hit, query: GarmentQuery) -> list[Reason]:
    """Short reasons, as codes the bot words in the user's language (replies' shop_reasons):
    same type, same or close colour, how alike it looks."""
    reasons: list[Reason] = []
    item = hit.item
    if query.kind and item.get("kind") == query.kind and len(kinds_of(query.category)) > 1:
        reasons.append(("same_type", {"category": query.kind}))
    elif item.get("category") == query.category:
        reasons.append(("same_type", {"category": query.category}))
    family = item.get("colour_family")
    if family and family == query.colour_family:
        reasons.append(("same_colour", {"family": family}))
    elif family and family in CLOSE_FAMILIES.get(query.colour_family, ()):
        reasons.append(("close_colour", {"family": family, "yours": query.colour_family}))
    if hit.similarity >= 0.8:
        reasons.append(("looks_very_alike", {}))
    elif hit.similarity >= 0.6:
        reasons.append(("looks_alike", {}))
    return reasons


# product photos ----------------------------------------------------------------------------
def product_crop(image: Image.Image, category: str | None, segmenter=None) -> GarmentCrop:  # noqa: ANN001
    """A product photo cut to its garment: the parser finds it on a model, else the foreground."""
    image = image.convert("RGB")
    labels = None
    if segmenter is not None and category in WORN:
        labels = segmenter.segment(image)
    return crop_garment(image, product_mask(image, category, labels))


def seen_family(crop: GarmentCrop) -> str | None:
    """The colour family our colour rules give the garment's pixels (for feeds without one)."""
    if len(crop.pixels) < 20:
        return None
    return colours_in_scene(crop.pixels)[0].family


def embed_products(images: Iterable[tuple[Image.Image | None, str | None]], embedder,  # noqa: ANN001
                   segmenter=None, batch: int = 32,  # noqa: ANN001
                   progress: Callable[[int], None] | None = None,
                   kind_head: KindHead | None = None,
                   ) -> tuple[np.ndarray, list[str | None], list[str | None]]:
    """Vectors (n, dim), seen colour families and seen kinds (None without `kind_head`) for
    (image, category) pairs; an image of None (unreadable) gives a zero row, which callers
    drop."""
    vectors: list[np.ndarray] = []
    families: list[str | None] = []
    kinds: list[str | None] = []
    crops: list[GarmentCrop] = []
    categories: list[str] = []
    slots: list[int] = []

    def flush() -> None:
        if crops:
            out, seen = embed_with_kinds(crops, categories, embedder, kind_head)
            for slot, vector, kind in zip(slots, out, seen, strict=True):
                vectors[slot] = vector
                kinds[slot] = kind
            if progress:
                progress(len(crops))
            crops.clear()
            categories.clear()
            slots.clear()

    for image, category in images:
        vectors.append(np.zeros(embedder.dim, np.float32))
        kinds.append(None)
        if image is None:
            families.append(None)
            continue
        crop = product_crop(image, category, segmenter)
        families.append(seen_family(crop))
        crops.append(crop)
        categories.append(category or "other")
        slots.append(len(vectors) - 1)
        if len(crops) >= batch:
            flush()
    flush()
    return (np.stack(vectors) if vectors else np.zeros((0, embedder.dim), np.float32),
            families, kinds)


def product_masks_key(parser: str = "lite0-fpn") -> str:
    """Names what cuts garments out of product photos: the parser backend and, for the bundled
    one, its weights and decoding. Vectors cached under another key came from other masks."""
    if parser != "lite0-fpn":
        return parser
    from inference.parsing.lite0 import parser_digest

    return f"{parser}:{parser_digest()}"
