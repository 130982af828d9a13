"""Make bot/catalog/demo/ from ../shared/data/demo-catalog (CC0): one command, output committed.

    .venv/bin/python scripts/make_demo_catalog.py

Takes up to PER_LABEL photos of each label (a seeded draw, so the output is the same every run),
downscales them to 256 px on the long side as WebP quality 80 (about 6 KB a photo), and writes
items.csv with our class, the shop label and the main colour family the bot's own colour code
(`colours_in_scene`) sees on the item's pixels (`product_mask`: the photo's foreground; these are
garments on hangers or laid flat). The light-cast correction is left out: here the backdrop is a
red bedspread or a wooden floor, not the light, and undoing it turned white shirts green.
Titles say what the item is: the kind and its colour ("Blue jacket"). Photos filed under the
wrong label in the source were looked at by eye and are moved in RELABEL. No prices or shop
links, and every row is marked demo.
"""

from __future__ import annotations

import csv
import random
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference.core.colour_light import colours_in_scene  # noqa: E402
from inference.shop.catalog_terms import category_for  # noqa: E402
from inference.shop.crop import product_mask  # noqa: E402

SOURCE = ROOT.parent / "shared" / "data" / "demo-catalog"
OUT = ROOT / "bot" / "catalog" / "demo"
PER_LABEL = 150  # the source's own cap: every photo of the labels we keep
LONG_SIDE = 256
QUALITY = 80
SEED = 22
SKIP = {"Body", "Undershirt"}  # one photo; underwear
#: The kind each label is, as a title says it.
KIND = {"T-Shirt": "T-shirt", "Outwear": "jacket", "Longsleeve": "long-sleeve top",
        "Polo": "polo shirt", "Pants": "trousers"}
#: Source photos (first 8 hex digits of the name) under the wrong label, seen by eye: denim,
#: leather and bomber jackets filed as blazers.
RELABEL: dict[str, str] = dict.fromkeys((
    "06aaacf1", "0d9f1bf9", "0da0e196", "10114489", "1683afd4", "1745b197", "1a35c834", "1d0b7c61",
    "1de9b9d6", "1fd19366", "262f0622", "28a99fdf", "2ecf75b3", "35969972", "36840ced", "389eac9e",
    "3dfe3cd5", "44640d54", "4cd9a0b0", "54943d06", "6beae365", "6db59125", "6f3dabf0", "71d79b5f",
    "7533182e", "76d97e7e", "77d24853", "77f4bce5", "7a203e8c", "7ac30897", "83eaeb24", "878ff7a3",
    "8ab0ea35", "8b66fa31", "8be7c890", "a04270d0", "a1bfd604", "a58bc314", "b33e2434", "b3af036d",
    "b4ac2cc0", "b9db8288", "c14d5954", "c1d5927b", "cb24db34", "d55fe704", "d581491b", "d595cc6d",
    "e8653193", "ec6e46ad", "f74f364b", "f9949595", "fb772862", "fec21691",
), "Outwear")


def chosen() -> list[tuple[str, str]]:
    """(image name, label) pairs: a seeded draw of up to PER_LABEL per label, relabels applied."""
    rows = sorted(csv.DictReader(open(SOURCE / "items.csv", newline="")),
                  key=lambda r: r["image"])
    by_label: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        short = row["image"].split("-")[0]
        label = RELABEL.get(short, row["label"])
        if label not in SKIP:
            by_label[label].append(row["image"])
    rng = random.Random(SEED)
    return [(name, label) for label, names in sorted(by_label.items())
            for name in sorted(rng.sample(names, min(PER_LABEL, len(names))))]


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "images").mkdir(parents=True)
    shutil.copy(SOURCE / "LICENSE", OUT / "LICENSE")
    out_rows = []
    for name, label in chosen():
        image = Image.open(SOURCE / "images" / f"{name}.jpg").convert("RGB")
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
        short = name.split("-")[0]
        image.save(OUT / "images" / f"{short}.webp", "WEBP", quality=QUALITY, method=6)
        category = category_for(label, label)
        rgb = np.asarray(image)
        mask = product_mask(image, category)
        # a garment as pale as its backdrop leaves no foreground: then the whole photo's colours
        family = colours_in_scene(rgb[mask] if mask.sum() >= 50 else rgb.reshape(-1, 3))[0].family
        kind = KIND.get(label, label.lower())
        out_rows.append({
            "id": short, "title": f"{family.capitalize()} {kind}", "category": category,
            "shop_category": label, "colour": family, "image": f"images/{short}.webp",
            "demo": 1,
        })
    with open(OUT / "items.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(out_rows[0]))
        writer.writeheader()
        writer.writerows(out_rows)
    (OUT / "README.md").write_text(
        "# Demo catalogue (CC0)\n\n"
        f"{len(out_rows)} photos from the \"clothing dataset\" (CC0 1.0, see LICENSE), taken from "
        "../shared/data/demo-catalog by `scripts/make_demo_catalog.py` (seeded; run it again "
        f"to get the same files): up to {PER_LABEL} per label, {LONG_SIDE} px WebP. Titles name "
        "the kind and the main colour the bot's colour code sees on the item; photos filed "
        "under the wrong label were moved by eye. There are no bags, jewellery or other "
        "accessories, no prices and no shop links. Every item is marked demo, and the bot says "
        "so when it shows one.\n")
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"{len(out_rows)} items, {size / 1e6:.1f} MB in {OUT}")


if __name__ == "__main__":
    main()
