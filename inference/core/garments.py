"""The garment taxonomy: 17 merged classes close to ModaNet/ATR, and the CCP and ATR mappings.

CCP has 59 fine labels, many of them tiny or rare (ring, wallet, panties); merging them gives
classes the parser can learn from 804 photos while the fine label is kept for wording.
"""

from __future__ import annotations

CLASSES: tuple[str, ...] = (
    "background",
    "skin",
    "hair",
    "top",
    "outer",
    "dress",
    "pants",
    "shorts",
    "skirt",
    "footwear",
    "bag",
    "hat",
    "eyewear",
    "belt",
    "scarf",
    "legwear",
    "accessory",
)
CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}
NUM_CLASSES = len(CLASSES)

#: Classes that are the person, not what they wear.
NON_GARMENT: frozenset[str] = frozenset({"background", "skin", "hair"})
GARMENT_CLASSES: tuple[str, ...] = tuple(c for c in CLASSES if c not in NON_GARMENT)
GARMENT_IDS: tuple[int, ...] = tuple(CLASS_INDEX[c] for c in GARMENT_CLASSES)

#: Classes the parser keeps one of per photo (inference.parsing.lite0.decide_classes): the lower
#: body's garment. In CCP's 804 labelled photos two of them share a photo in 44 (5%; leggings
#: under a dress or a skirt, which CCP files as pants), but the parser with only the earlier
#: groups (dress/skirt/shorts, shorts/pants) found two in 210 of the 894 tag-only photos, and their
#: tags confirm both in 14: a second one is nearly always a piece of the first (a skirt's or a
#: dress's lower part read as pants). Chosen on those photos (BENCHMARKS.md, session 9).
EXCLUSIVE_GROUPS: tuple[tuple[str, ...], ...] = (("dress", "skirt", "shorts", "pants"),)

#: Classes the net mistakes for one another on one part of the body: the upper body's garments;
#: the lower body's garment (one per photo, EXCLUSIVE_GROUPS) against tights. A connected region
#: of one zone's classes split among several is what `stylebot eval phantoms` counts as
#: fragmentation; inference.parsing.regions votes within the zones that pay for it.
RIVAL_ZONES: tuple[tuple[str, ...], ...] = (
    ("top", "outer", "dress"),
    ("dress", "skirt", "shorts", "pants", "legwear"),
)

#: How each class is said in a reply ("gray pants", "white shoes").
DISPLAY_NAME: dict[str, str] = {
    "top": "top",
    "outer": "jacket",
    "dress": "dress",
    "pants": "pants",
    "shorts": "shorts",
    "skirt": "skirt",
    "footwear": "shoes",
    "bag": "bag",
    "hat": "hat",
    "eyewear": "glasses",
    "belt": "belt",
    "scarf": "scarf",
    "legwear": "tights",
    "accessory": "accessory",
}
#: Nouns that take "those ... are" and no article (agreement in replies and templates).
PLURAL_NOUNS = frozenset({"pants", "shorts", "shoes", "glasses", "tights", "jeans",
                          "sneakers", "boots", "sandals", "heels", "flats", "loafers",
                          "trousers", "leggings"})

#: CCP fine label -> merged class.
CCP_TO_CLASS: dict[str, str] = {
    "null": "background",
    "skin": "skin",
    "hair": "hair",
    **{
        k: "top"
        for k in (
            "blouse",
            "bodysuit",
            "bra",
            "hoodie",
            "intimate",
            "jumper",
            "shirt",
            "sweater",
            "sweatshirt",
            "swimwear",
            "t-shirt",
            "top",
        )
    },
    **{k: "outer" for k in ("blazer", "cape", "cardigan", "coat", "jacket", "suit", "vest")},
    **{k: "dress" for k in ("dress", "romper")},
    **{k: "pants" for k in ("jeans", "leggings", "pants")},
    **{k: "shorts" for k in ("shorts", "panties")},
    "skirt": "skirt",
    **{
        k: "footwear"
        for k in (
            "boots",
            "clogs",
            "flats",
            "heels",
            "loafers",
            "pumps",
            "sandals",
            "shoes",
            "sneakers",
            "wedges",
        )
    },
    **{k: "bag" for k in ("bag", "purse", "wallet")},
    "hat": "hat",
    **{k: "eyewear" for k in ("glasses", "sunglasses")},
    "belt": "belt",
    **{k: "scarf" for k in ("scarf", "tie")},
    **{k: "legwear" for k in ("socks", "stockings", "tights")},
    **{
        k: "accessory"
        for k in (
            "accessories",
            "bracelet",
            "earrings",
            "gloves",
            "necklace",
            "ring",
            "watch",
        )
    },
}

#: The 18 ATR labels of mattmdjaga/segformer_b2_clothes -> merged class.
ATR_TO_CLASS: dict[str, str] = {
    "Background": "background",
    "Hat": "hat",
    "Hair": "hair",
    "Sunglasses": "eyewear",
    "Upper-clothes": "top",
    "Skirt": "skirt",
    "Pants": "pants",
    "Dress": "dress",
    "Belt": "belt",
    "Left-shoe": "footwear",
    "Right-shoe": "footwear",
    "Face": "skin",
    "Left-leg": "skin",
    "Right-leg": "skin",
    "Left-arm": "skin",
    "Right-arm": "skin",
    "Bag": "bag",
    "Scarf": "scarf",
}


def ccp_lookup_table(ccp_labels: list[str]) -> list[int]:
    """Index table mapping CCP label ids (positions in labels.json) to merged class ids."""
    return [CLASS_INDEX[CCP_TO_CLASS[name]] for name in ccp_labels]
