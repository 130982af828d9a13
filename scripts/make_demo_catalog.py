"""Make bot/catalog/demo/ from ../shared/data/demo-catalog (CC0): run once, output committed.

Takes the first 24 photos (by file name) of each of 15 labels, downscales them to 256 pixels on
the long side as JPEG quality 75, and writes items.csv with our class, the shop label and a colour
family seen by our colour rules on the photo's foreground. Titles say what the photo shows
("Navy blazer"); there are no prices or shop links, and every row is marked demo.
"""

from __future__ import annotations

import csv
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference.core.colour import dominant_colours  # noqa: E402
from inference.shop.catalog_terms import category_for  # noqa: E402
from inference.shop.crop import foreground_mask  # noqa: E402

SOURCE = ROOT.parent / "shared" / "data" / "demo-catalog"
OUT = ROOT / "bot" / "demo_catalog"
PER_LABEL = 24
LONG_SIDE = 256
SKIP = {"Body", "Undershirt"}  # one photo; underwear


def _garment_pixels(image: Image.Image) -> np.ndarray:
    """The middle of the photo's foreground: garments are centred, backgrounds are busy."""
    rgb = np.asarray(image)
    h, w = rgb.shape[:2]
    centre = np.zeros((h, w), dtype=bool)
    centre[int(0.3 * h):int(0.7 * h), int(0.3 * w):int(0.7 * w)] = True
    mask = foreground_mask(image) & centre
    return rgb[mask if mask.sum() >= 200 else centre]


def main() -> None:
    rows = list(csv.DictReader(open(SOURCE / "items.csv", newline="")))
    by_label: dict[str, list[str]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["image"]):
        if row["label"] not in SKIP and len(by_label[row["label"]]) < PER_LABEL:
            by_label[row["label"]].append(row["image"])
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "images").mkdir(parents=True)
    shutil.copy(SOURCE / "LICENSE", OUT / "LICENSE")
    out_rows = []
    for label, images in sorted(by_label.items()):
        for name in images:
            image = Image.open(SOURCE / "images" / f"{name}.jpg").convert("RGB")
            image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
            short = name.split("-")[0]
            image.save(OUT / "images" / f"{short}.jpg", "JPEG", quality=75, optimize=True)
            pixels = _garment_pixels(image)
            family = dominant_colours(pixels, k=3, max_points=1500)[0].family
            noun = {"T-Shirt": "T-shirt", "Outwear": "jacket"}.get(label, label.lower())
            out_rows.append({
                "id": short, "title": f"{family.capitalize()} {noun}",
                "category": category_for(label, label), "shop_category": label,
                "colour": family, "image": f"images/{short}.jpg", "demo": 1,
            })
    with open(OUT / "items.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(out_rows[0]))
        writer.writeheader()
        writer.writerows(out_rows)
    (OUT / "README.md").write_text(
        "# Demo catalogue (CC0)\n\n"
        f"{len(out_rows)} photos from the \"clothing dataset\" (CC0 1.0, see LICENSE), taken from "
        "../shared/data/demo-catalog by `scripts/make_demo_catalog.py`: the first "
        f"{PER_LABEL} per label, {LONG_SIDE} px JPEG. Titles name the label and the colour family "
        "our colour rules see; there are no prices and no shop links. Every item is marked demo, "
        "and the bot says so when it shows one.\n")
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"{len(out_rows)} items, {size / 1e6:.1f} MB in {OUT}")


if __name__ == "__main__":
    main()
