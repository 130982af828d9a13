"""The kind of item inside a garment class: boots or sneakers among shoes, jeans or leggings among
pants. One table decides for the catalogue import, the retrieval ranking, the text search and the
evaluation (docs in BENCHMARKS.md, "Retrieval", "The kind of item").

Every garment class has at least one kind; a class with one kind (dress, skirt, hat...) names it
after itself. A catalogue item's kind comes from its feed's words (Myntra `articleType`, then
keywords in the shop category and the title); a feed without them, and every query garment,
get it from the garment crop through the small head trained by `stylebot train kind`
(training/train_kind.py), which picks among its class's kinds only.

Choices (and why): Myntra's "Formal Shoes" (derbies, oxfords, brogues) are "loafers", the smart
flat lace-up or slip-on a shop files together; "Sweatshirts" are "hoodie" (same cut, with or
without a hood); "Tops", "Kurtas", "Tunics" and CCP's "top" and "bodysuit" are "top", the
women's top that is neither a tee, a shirt nor a blouse; wallets and phone pouches are "wallet",
CCP's generic "bag" and "shoes" give no kind (they could be any of them).
"""

from __future__ import annotations

import re

#: Garment class -> its kinds. Classes not listed have one kind, named as the class.
CLASS_KINDS: dict[str, tuple[str, ...]] = {
    "footwear": ("sneakers", "boots", "sandals", "heels", "flats", "loafers"),
    "pants": ("jeans", "trousers", "leggings"),
    "top": ("tee", "shirt", "blouse", "top", "sweater", "hoodie"),
    "outer": ("coat", "jacket", "blazer", "cardigan", "vest"),
    "bag": ("handbag", "backpack", "clutch", "tote", "wallet"),
}

#: Myntra articleType (exact) -> kind.
ARTICLE_TYPE_TO_KIND: dict[str, str] = {
    **{k: "sneakers" for k in ("Casual Shoes", "Sports Shoes")},
    **{k: "sandals" for k in ("Sandals", "Sports Sandals", "Flip Flops")},
    **{k: "boots" for k in ("Boots", "Booties")},
    "Heels": "heels", "Flats": "flats", "Formal Shoes": "loafers",
    **{k: "jeans" for k in ("Jeans", "Jeggings")},
    **{k: "trousers" for k in ("Trousers", "Track Pants", "Capris", "Lounge Pants", "Churidar",
                               "Salwar", "Patiala")},
    "Leggings": "leggings",
    **{k: "tee" for k in ("Tshirts", "Polo")},
    "Shirts": "shirt", "Blouses": "blouse", "Sweaters": "sweater",
    **{k: "hoodie" for k in ("Sweatshirts", "Hoodies")},
    **{k: "top" for k in ("Tops", "Kurtas", "Kurtis", "Tunics", "Kurta Sets", "Camisoles")},
    **{k: "jacket" for k in ("Jackets", "Rain Jacket", "Nehru Jackets", "Tracksuits")},
    "Coats": "coat", "Blazers": "blazer", "Shrug": "cardigan", "Waistcoat": "vest",
    "Handbags": "handbag",
    **{k: "backpack" for k in ("Backpacks", "Rucksacks", "Laptop Bag")},
    "Clutches": "clutch",
    **{k: "tote" for k in ("Duffel Bag", "Messenger Bag")},
    **{k: "wallet" for k in ("Wallets", "Mobile Pouch", "Waist Pouch", "Tablet Sleeve")},
}

#: CCP fine label -> kind (labels not listed give their class's only kind, or none).
CCP_TO_KIND: dict[str, str] = {
    "boots": "boots", "sneakers": "sneakers", "heels": "heels", "pumps": "heels",
    "wedges": "heels", "sandals": "sandals", "clogs": "sandals", "flats": "flats",
    "loafers": "loafers", "jeans": "jeans", "pants": "trousers", "leggings": "leggings",
    "t-shirt": "tee", "shirt": "shirt", "blouse": "blouse", "sweater": "sweater",
    "jumper": "sweater", "hoodie": "hoodie", "sweatshirt": "hoodie", "top": "top",
    "bodysuit": "top", "coat": "coat", "cape": "coat", "jacket": "jacket", "blazer": "blazer",
    "suit": "blazer", "cardigan": "cardigan", "vest": "vest", "purse": "handbag",
    "wallet": "wallet",
}

#: English words -> kind, tried in order (so "ankle boots" is boots before "shoes" could say
#: anything, "sweatshirt" a hoodie before "shirt" a shirt). Used on titles and queries. The
#: words naming a whole class ("top", "pants", "jacket": DISPLAY_NAME) are no kind's: any of it.
KIND_WORDS: tuple[tuple[str, str], ...] = (
    (r"boots?|booties|chelsea", "boots"),
    (r"sneakers?|trainers?|running shoes?|sports? shoes?|casual shoes?|canvas shoes?|kicks",
     "sneakers"),
    (r"sandals?|flip\s*flops?|slides|slippers?|clogs?|espadrilles?", "sandals"),
    (r"heels?|stilettos?|pumps?|wedges?", "heels"),
    (r"flats|ballerinas?|ballet", "flats"),
    (r"loafers?|oxfords?|derby|derbies|brogues?|formal shoes?|dress shoes?|moccasins?", "loafers"),
    (r"jeans|jeggings|denims?\b(?!\s*(jacket|shirt|skirt|shorts|dress))", "jeans"),
    (r"leggings?|tights pants", "leggings"),
    (r"trousers?|chinos?|joggers?|(track|cargo|dress|wide[- ]leg)\s*pants|slacks|capris?|"
     r"culottes", "trousers"),  # bare "pants" (like "jeans") is any pants
    (r"hoodies?|sweatshirts?|hooded", "hoodie"),
    (r"t-?shirts?|tees?\b|polos?\b", "tee"),
    (r"blouses?", "blouse"),
    (r"sweaters?|jumpers?|pullovers?|knitwear|turtlenecks?", "sweater"),
    (r"shirts?", "shirt"),
    (r"tunics?|kurtas?|kurtis?|camisoles?|tank|crop top", "top"),  # a bare "top": any top
    (r"blazers?|suit jackets?", "blazer"),
    (r"coats?\b|parkas?|trench|overcoats?", "coat"),
    (r"cardigans?|shrugs?", "cardigan"),
    (r"vests?\b|waistcoats?|gilets?", "vest"),
    (r"(denim|leather|puffer|biker|bomber|rain|quilted|track)\s*jackets?|bombers?|anoraks?|"
     r"windcheaters?|windbreakers?", "jacket"),  # a bare "jacket" is any outerwear
    (r"backpacks?|rucksacks?|laptop bags?", "backpack"),
    (r"clutch(es)?", "clutch"),
    (r"totes?\b|shoppers?|duffel|messenger", "tote"),
    (r"wallets?|purses? wallet|card holders?|pouch(es)?", "wallet"),
    (r"handbags?|purses?|shoulder bags?|satchels?|hobo", "handbag"),
)
_KIND_WORDS = [(re.compile(rf"\b(?:{pattern})", re.IGNORECASE), kind)
               for pattern, kind in KIND_WORDS]
KIND_CLASS: dict[str, str] = {k: cls for cls, kinds in CLASS_KINDS.items() for k in kinds}


def kinds_of(category: str) -> tuple[str, ...]:
    """The kinds of a garment class (a class with one kind: itself)."""
    return CLASS_KINDS.get(category, (category,))


def class_of(kind: str) -> str:
    return KIND_CLASS.get(kind, kind)


def word_kind(text: str | None, category: str | None = None) -> str | None:
    """The first kind named in `text` (of `category`, when given), else None."""
    if not text:
        return None
    for pattern, kind in _KIND_WORDS:
        if (category is None or KIND_CLASS[kind] == category) and pattern.search(text):
            return kind
    return None


def kind_for(category: str | None, shop_category: str | None = None,
             title: str | None = None) -> str | None:
    """A catalogue row's kind from its words: the articleType table, then keywords in the shop
    category, then in the title; a one-kind class is that kind; None when the words do not say
    (the head then decides from the image)."""
    if not category or category == "other":
        return None
    kinds = kinds_of(category)
    if len(kinds) == 1:
        return kinds[0]
    table = ARTICLE_TYPE_TO_KIND.get((shop_category or "").strip())
    if table in kinds:
        return table
    for text in (shop_category, title):
        found = word_kind(text, category)
        if found:
            return found
    return None


def ccp_kind(fine_label: str) -> str | None:
    """The kind a CCP fine label gives (None for "shoes", "bag" and non-garments)."""
    from inference.core.garments import CCP_TO_CLASS

    if fine_label in CCP_TO_KIND:
        return CCP_TO_KIND[fine_label]
    category = CCP_TO_CLASS.get(fine_label)
    if category is None or category in CLASS_KINDS or category in ("background", "skin", "hair"):
        return None
    return category
