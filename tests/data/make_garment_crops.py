"""Cut garments out of CCP photos with their ground-truth masks, for the by-eye labelled set.

For each (photo_id, merged class) the photo and its mask are resized so the longer side is
512 px (bilinear for the photo, nearest for the mask), the pixels of that merged class are
taken (every connected region holding at least 10 % of the largest one's area, so stray
specks of mislabelled pixels are dropped but both shoes or both halves of an open top stay),
the result is cropped to their bounding box and saved as an RGBA PNG whose alpha is the mask
(RGB zeroed where transparent):
tests/data/garments/<photo_id>_<class>.png.  Garments under 400 px at that size are skipped.

Usage (from the repository root):
    python tests/data/make_garment_crops.py                      # every row of labels.csv
    python tests/data/make_garment_crops.py 0042:top 0123:bag    # just these
    python tests/data/make_garment_crops.py --out /tmp/crops 0042:top
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from inference.core.garments import CLASS_INDEX, GARMENT_CLASSES  # noqa: E402
from training.ccp_data import load_merged_mask, merged_mask_lut  # noqa: E402

CCP_ROOT = Path("/work/shared/data/ccp")
HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "garments"
LABELS_CSV = OUT_DIR / "labels.csv"
LONG_SIDE = 512
MIN_PIXELS = 400
MIN_REGION_FRACTION = 0.10


def resize_pair(photo: Image.Image, mask: np.ndarray) -> tuple[Image.Image, np.ndarray]:
    """Resize photo (bilinear) and merged mask (nearest) so the longer side is LONG_SIDE."""
    w, h = photo.size
    scale = LONG_SIDE / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    photo = photo.convert("RGB").resize(size, Image.BILINEAR)
    mask = np.asarray(Image.fromarray(mask).resize(size, Image.NEAREST))
    return photo, mask


def garment_mask(mask: np.ndarray, cls: str) -> np.ndarray:
    """Boolean mask of one merged class, without regions much smaller than the largest."""
    sel = mask == CLASS_INDEX[cls]
    if not sel.any():
        return sel
    regions, n = ndimage.label(sel)
    if n > 1:
        areas = np.bincount(regions.ravel())[1:]
        keep = np.flatnonzero(areas >= MIN_REGION_FRACTION * areas.max()) + 1
        sel = np.isin(regions, keep)
    return sel


def cut_garment(photo_id: str, cls: str, root: Path = CCP_ROOT, lut: np.ndarray | None = None
                ) -> Image.Image | None:
    """The RGBA crop of one garment, or None when it has under MIN_PIXELS pixels."""
    if cls not in GARMENT_CLASSES:
        raise ValueError(f"not a garment class: {cls}")
    if lut is None:
        lut = merged_mask_lut(root)
    photo = Image.open(root / "photos" / f"{photo_id}.jpg")
    mask = load_merged_mask(root / "masks" / f"{photo_id}.png", lut)
    if photo.size != mask.shape[::-1]:
        raise ValueError(f"{photo_id}: photo {photo.size} and mask {mask.shape[::-1]} differ")
    photo, mask = resize_pair(photo, mask)
    sel = garment_mask(mask, cls)
    if sel.sum() < MIN_PIXELS:
        return None
    ys, xs = np.nonzero(sel)
    box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    rgba = np.dstack([np.asarray(photo), sel.astype(np.uint8) * 255])
    rgba[~sel, :3] = 0  # transparent pixels carry no colour: smaller files, nothing to leak
    return Image.fromarray(rgba, "RGBA").crop(box)


def wanted_from_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="") as f:
        return [(row["photo_id"].zfill(4), row["category"]) for row in csv.DictReader(f)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("items", nargs="*", help="photo_id:class pairs (default: rows of labels.csv)")
    ap.add_argument("--root", type=Path, default=CCP_ROOT, help="CCP data folder")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="folder for the PNGs")
    args = ap.parse_args(argv)

    if args.items:
        wanted = [(p.zfill(4), c) for p, c in (s.split(":", 1) for s in args.items)]
    else:
        wanted = wanted_from_csv(LABELS_CSV)
    args.out.mkdir(parents=True, exist_ok=True)
    lut = merged_mask_lut(args.root)
    written = skipped = 0
    for photo_id, cls in wanted:
        crop = cut_garment(photo_id, cls, args.root, lut)
        if crop is None:
            print(f"skip {photo_id}_{cls}: under {MIN_PIXELS} px", file=sys.stderr)
            skipped += 1
            continue
        crop.save(args.out / f"{photo_id}_{cls}.png", optimize=True)
        written += 1
    print(f"wrote {written} crops to {args.out}, skipped {skipped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
