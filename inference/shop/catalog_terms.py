"""How a shop's own categories and colour names map onto our garment classes and colour families.

Used by the catalogue import, the retrieval evaluation and the text search, so one table decides
everywhere. The Myntra feed in ../shared/data/products names an `articleType` and a `baseColour`;
other feeds may use free words ("Maxi dress", "Denim jacket", "burgundy"), which fall back to the
keyword rules and to the CSS colour table through our CIELAB family rules.

Category choices (and why): CCP folds sweaters, sweatshirts, hoodies and blouses into "top", and
blazers, cardigans, coats, jackets and vests into "outer", so the shop types follow the same lines.
Underwear (briefs, trunks, boxers, bras, innerwear vests), perfumes, gift sets, umbrellas and the
like are "other": nobody asks where to buy them from a street photo, and CCP's folding of
"panties" into shorts would otherwise put briefs among shorts.
"""

from __future__ import annotations

import re

import numpy as np

from inference.core.colour import FAMILIES, colour_family, to_lab
from inference.core.garments import GARMENT_CLASSES

OTHER = "other"

#: Myntra articleType (exact) -> our class. Anything not listed is looked up by keywords.
ARTICLE_TYPE_TO_CLASS: dict[str, str] = {
    **{k: "top" for k in (
        "Tshirts", "Shirts", "Tops", "Kurtas", "Kurtis", "Tunics", "Sweaters", "Sweatshirts",
        "Kurta Sets", "Camisoles", "Blouses", "Hoodies", "Polo")},
    **{k: "outer" for k in (
        "Jackets", "Blazers", "Coats", "Waistcoat", "Shrug", "Rain Jacket", "Nehru Jackets",
        "Tracksuits")},
    **{k: "dress" for k in ("Dresses", "Jumpsuit", "Rompers", "Sarees", "Nightdress")},
    **{k: "pants" for k in (
        "Trousers", "Jeans", "Track Pants", "Capris", "Leggings", "Churidar", "Lounge Pants",
        "Jeggings", "Salwar", "Patiala")},
    **{k: "shorts" for k in ("Shorts", "Lounge Shorts")},
    **{k: "skirt" for k in ("Skirts",)},
    **{k: "footwear" for k in (
        "Casual Shoes", "Sports Shoes", "Heels", "Sandals", "Flip Flops", "Formal Shoes",
        "Flats", "Sports Sandals", "Booties", "Boots")},
    **{k: "bag" for k in (
        "Handbags", "Backpacks", "Clutches", "Laptop Bag", "Duffel Bag", "Messenger Bag",
        "Mobile Pouch", "Waist Pouch", "Rucksacks", "Wallets", "Tablet Sleeve")},
    **{k: "hat" for k in ("Caps", "Hat")},
    **{k: "eyewear" for k in ("Sunglasses", "Spectacle Frames")},
    **{k: "belt" for k in ("Belts",)},
    **{k: "scarf" for k in ("Ties", "Mufflers", "Scarves", "Stoles", "Dupatta")},
    **{k: "legwear" for k in ("Socks", "Stockings", "Tights")},
    **{k: "accessory" for k in (
        "Watches", "Cufflinks", "Necklace and Chains", "Bracelet", "Gloves", "Headband",
        "Earrings", "Ring", "Jewellery Set", "Pendant", "Bangle")},
    **{k: OTHER for k in (
        "Briefs", "Trunk", "Boxers", "Bra", "Innerwear Vests", "Perfume and Body Mist",
        "Deodorant", "Accessory Gift Set", "Fragrance Gift Set", "Free Gifts", "Umbrellas",
        "Footballs", "Travel Accessory", "Shoe Accessories")},
}

#: Free-text keywords -> class, tried in order (so "dress shirt" is a top, "shirt dress" a dress).
KEYWORDS: tuple[tuple[str, str], ...] = (
    (r"shirt\s*dress|dress(es)?\b(?!\s*(shirt|shoe|pant|trouser))|gown|romper|jumpsuit|"
     r"playsuit|sundress|frock", "dress"),
    (r"skirts?\b|skort", "skirt"),
    (r"shorts\b|bermuda", "shorts"),
    (r"jeans?\b|denims?\b(?!\s*jacket)|trousers?|pants\b|chinos?|leggings?|joggers?|slacks|"
     r"culottes", "pants"),
    (r"jackets?|blazers?|coats?\b|cardigans?|parkas?|vests?\b|waistcoats?|outwear|outerwear|"
     r"anorak|bomber|trench|poncho|cape\b", "outer"),
    (r"t-?shirts?|tees?\b|shirts?|blouses?|tops?\b|sweaters?|jumpers?|hoodies?|sweatshirts?|"
     r"polos?\b|tank|camisole|tunic|kurta|kurti|longsleeve|pullover|turtleneck|bodysuit|body\b",
     "top"),
    (r"shoes?|sneakers?|trainers?|boots?|heels?|sandals?|flats?\b|loafers?|pumps?|wedges?|"
     r"slippers?|flip\s*flops?|mules?|clogs?|footwear", "footwear"),
    (r"bags?\b|handbags?|backpacks?|purses?|clutch|tote|wallets?|satchel|rucksack", "bag"),
    (r"hats?\b|caps?\b|beanies?|berets?|fedora", "hat"),
    (r"sunglasses|glasses|eyewear|spectacles", "eyewear"),
    (r"belts?\b", "belt"),
    (r"scarf|scarves|ties?\b|stoles?|mufflers?|shawls?|bandana", "scarf"),
    (r"socks?|stockings?|tights|hosiery", "legwear"),
    (r"watch(es)?|jewel|necklace|bracelet|earrings?|rings?\b|gloves?|bangles?|pendant|"
     r"accessor(y|ies)", "accessory"),
)
_KEYWORDS = [(re.compile(rf"\b(?:{pattern})", re.IGNORECASE), cls) for pattern, cls in KEYWORDS]

#: Myntra baseColour -> our colour family (None: several colours, or unknown). Names our family
#: rules would settle differently from the name's own meaning are decided by the name
#: ("Navy Blue" is navy although pure #000080 falls in the purple hue band).
BASE_COLOUR_TO_FAMILY: dict[str, str | None] = {
    "Black": "black", "White": "white", "Off White": "white", "Cream": "beige",
    "Grey": "gray", "Grey Melange": "gray", "Charcoal": "gray", "Silver": "gray",
    "Steel": "gray", "Metallic": "gray", "Beige": "beige", "Khaki": "beige", "Tan": "beige",
    "Nude": "beige", "Skin": "beige", "Peach": "beige", "Brown": "brown",
    "Coffee Brown": "brown", "Taupe": "brown", "Bronze": "brown", "Copper": "brown",
    "Red": "red", "Maroon": "red", "Burgundy": "red", "Pink": "pink", "Magenta": "pink",
    "Orange": "orange", "Rust": "orange", "Yellow": "yellow", "Mustard": "yellow",
    "Gold": "yellow", "Green": "green", "Olive": "green", "Sea Green": "green",
    "Fluorescent Green": "green", "Teal": "green", "Blue": "blue", "Turquoise Blue": "blue",
    "Navy Blue": "navy", "Purple": "purple", "Lavender": "purple", "Mauve": "purple",
    "Multi": None, "NA": None,
}



def category_for(shop_category: str | None, title: str | None = None,
                 declared: str | None = None) -> str:
    """Our class for a catalogue row: a declared class wins, then the exact articleType table,
    then keywords in the shop category, then keywords in the title; else "other"."""
    if declared:
        low = declared.strip().lower()
        if low in GARMENT_CLASSES or low == OTHER:
            return low
        shop_category = shop_category or declared
    if shop_category and shop_category.strip() in ARTICLE_TYPE_TO_CLASS:
        return ARTICLE_TYPE_TO_CLASS[shop_category.strip()]
    for text in (shop_category, title):
        found = keyword_category(text or "")
        if found:
            return found
    return OTHER


def keyword_category(text: str) -> str | None:
    for pattern, cls in _KEYWORDS:
        if pattern.search(text):
            return cls
    return None


def family_for(colour: str | None) -> str | None:
    """Our colour family for a shop's colour word: the baseColour table, a family name itself,
    else the CSS colour of that name put through our CIELAB family rules; None if unknown."""
    if not colour or not colour.strip():
        return None
    name = colour.strip()
    if name in BASE_COLOUR_TO_FAMILY:
        return BASE_COLOUR_TO_FAMILY[name]
    low = name.lower().replace("grey", "gray")
    if low in FAMILIES:
        return low
    for title, family in BASE_COLOUR_TO_FAMILY.items():
        if title.lower().replace("grey", "gray") == low:
            return family
    rgb = css_rgb(low)
    if rgb is None:
        return None
    return colour_family(to_lab(np.array(rgb, dtype=np.uint8)))


def css_rgb(name: str) -> tuple[int, int, int] | None:
    import webcolors

    try:
        return tuple(webcolors.name_to_rgb(name.replace(" ", "")))  # type: ignore[return-value]
    except ValueError:
        return None
