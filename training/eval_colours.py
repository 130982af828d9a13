"""`stylebot eval colours`: main-colour family accuracy on product photos against their human
`baseColour` (catalog.csv), and the 153 street garments labelled by eye under simulated light.

baseColour -> family is `inference.shop.catalog_terms.BASE_COLOUR_TO_FAMILY` ('Multi' and 'NA'
left out). Constants are chosen on the 'train' part (ids not ending in 0) and reported on the
held-out 'val' part (ids ending in 0). Products are cut as `stylebot colour` cuts them (the
foreground against the border colour) or, with masks="parser", as the shop's catalogue build
does (the parser's garment on a model, cached by training.product_cache).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
from PIL import Image

from inference.core.colour import CLOSE_FAMILIES, FAMILIES, Colour
from inference.core.colour_light import colours_in_scene
from inference.core.colour_names import FASHION_COLOURS
from inference.shop.catalog_terms import BASE_COLOUR_TO_FAMILY
from inference.shop.crop import product_colours

#: baseColour words whose own fashion name is in the vocabulary under another spelling.
BASE_COLOUR_TO_NAME = {"Navy Blue": "navy", "Grey": "grey", "Off White": "off-white",
                       "Coffee Brown": "coffee", "Turquoise Blue": "turquoise"}
#: Simulated street light (sRGB channel factors) for the street garments.
CASTS = {"own light": (1.0, 1.0, 1.0), "tungsten": (1.0, 0.85, 0.62),
         "sodium": (1.0, 0.8, 0.5), "blue shade": (0.85, 0.95, 1.0)}
GARMENTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "garments"


def in_split(product_id: str, split: str | None) -> bool:
    """'val': ids ending in 0 (every 10th), 'train': the others, None: all."""
    return split is None or (int(product_id) % 10 == 0) == (split == "val")


def vocabulary_name(base_colour: str) -> str | None:
    name = BASE_COLOUR_TO_NAME.get(base_colour, base_colour.lower())
    return name if any(name == n for n, _, _ in FASHION_COLOURS) else None


def product_rows(folder: Path) -> list[dict]:
    with open(folder / "catalog.csv", newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if BASE_COLOUR_TO_FAMILY.get(r["baseColour"])]
    return [r for r in rows if (folder / "images" / f"{r['id']}.jpg").exists()]


def _score(rows: list[dict], found: list[Colour]) -> dict:
    family = [BASE_COLOUR_TO_FAMILY[r["baseColour"]] for r in rows]
    hits = [c.family == f for c, f in zip(found, family, strict=True)]
    close = [c.family == f or c.family in CLOSE_FAMILIES[f]
             for c, f in zip(found, family, strict=True)]
    named = [(c, vocabulary_name(r["baseColour"])) for c, r in zip(found, rows, strict=True)]
    named = [(c, n) for c, n in named if n is not None]
    # shade names (maroon, olive, cream...) say more than a family word, and are harder to hit
    shades = [c.name == n for c, n in named if n not in FAMILIES and n != "grey"]
    by_name: dict[str, list[bool]] = {}
    for colour, name in named:
        by_name.setdefault(name, []).append(colour.name == name)
    return {
        "items": len(rows),
        "family_accuracy": round(float(np.mean(hits)), 4) if hits else None,
        "close_family_accuracy": round(float(np.mean(close)), 4) if close else None,
        "name_items": len(named),
        "name_agreement": round(float(np.mean([c.name == n for c, n in named])), 4)
        if named else None,
        "shade_name_items": len(shades),
        "shade_name_agreement": round(float(np.mean(shades)), 4) if shades else None,
        "name_agreement_by_name": {
            n: [len(v), round(float(np.mean(v)), 3)]
            for n, v in sorted(by_name.items(), key=lambda kv: -len(kv[1]))},
    }


def evaluate_products(folder: Path, split: str | None = None, masks: str = "foreground",
                      parser: str = "lite0-fpn", limit: int | None = None) -> dict:
    rows = product_rows(folder)
    if masks == "parser":
        # the shop's cut: the parser's masks (cached per catalogue) for every row, then split
        from training.eval_retrieval import read_catalog
        from training.product_cache import product_masks

        catalog = read_catalog(folder)
        by_id = dict(zip((r["id"] for r in catalog), product_masks(catalog, parser),
                         strict=True))
    rows = [r for r in rows if in_split(r["id"], split)][:limit]
    start = time.perf_counter()
    found = []
    for row in rows:
        image = Image.open(folder / "images" / f"{row['id']}.jpg").convert("RGB")
        if masks == "parser":
            rgb, mask = np.asarray(image), by_id[row["id"]]
            found.append(colours_in_scene(rgb[mask], rgb[~mask] if (~mask).any() else None)[0])
        else:
            found.append(product_colours(image)[0])
    result = {"split": split or "all", "masks": masks, **_score(rows, found),
              "ms_per_photo": round(1000 * (time.perf_counter() - start) / max(len(rows), 1), 1)}
    missed: dict[str, int] = {}
    for row, colour in zip(rows, found, strict=True):
        truth = BASE_COLOUR_TO_FAMILY[row["baseColour"]]
        if colour.family != truth:
            key = f"{truth}->{colour.family}"
            missed[key] = missed.get(key, 0) + 1
    result["top_confusions"] = dict(sorted(missed.items(), key=lambda kv: -kv[1])[:8])
    return result


def evaluate_street(ccp: Path, garments: Path = GARMENTS) -> dict | None:
    """Family agreement of the 153 eye-labelled garments, under their photo's own light and
    under simulated casts, without and with the white-patch correction (the garment's CCP
    photo, background pixels, as the scene); None without the photos."""
    if not (garments / "labels.csv").exists() or not (ccp / "photos").exists():
        return None
    with open(garments / "labels.csv", newline="") as f:
        labelled = list(csv.DictReader(f))
    items = []
    for row in labelled:
        rgba = np.asarray(Image.open(garments / row["file"]).convert("RGBA"))
        photo = np.asarray(Image.open(ccp / "photos" / f"{row['photo_id']}.jpg").convert("RGB"))
        mask_path = ccp / "masks" / f"{row['photo_id']}.png"
        scene = photo[np.asarray(Image.open(mask_path)) == 0] if mask_path.exists() else photo
        items.append((rgba[..., :3][rgba[..., 3] > 127], scene.reshape(-1, 3)[::7],
                      row["colour_family"]))
    result = {}
    for name, cast in CASTS.items():
        factor = np.array(cast)
        raw = corrected = 0
        for pixels, scene, family in items:
            lit = np.clip(pixels * factor, 0, 255).astype(np.uint8)
            lit_scene = np.clip(scene * factor, 0, 255).astype(np.uint8)
            raw += colours_in_scene(lit)[0].family == family
            corrected += colours_in_scene(lit, lit_scene)[0].family == family
        result[name] = {"uncorrected": round(raw / len(items), 4),
                        "white_patch": round(corrected / len(items), 4)}
    result["garments"] = len(items)
    return result

