"""One garment cut out of a photo: the parser's mask (or a product photo's foreground), background
whitened, centred on a white square. Street garments and product photos go through the same cut,
so their embeddings are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from inference.core.colour import Colour
from inference.core.colour_light import colours_in_scene
from inference.core.garments import CLASS_INDEX

CROP_SIZE = 224
#: Product categories photographed on a model: the parser finds the garment on the person.
WORN = frozenset({"top", "outer", "dress", "pants", "shorts", "skirt"})
#: Classes the parser confuses with each other, tried together when the exact one is missing.
GROUPS = {
    "top": ("top", "outer", "dress"), "outer": ("outer", "top", "dress"),
    "dress": ("dress", "top", "skirt"), "pants": ("pants", "shorts", "legwear"),
    "shorts": ("shorts", "pants", "skirt"), "skirt": ("skirt", "dress", "shorts"),
}
MAX_COLOUR_PIXELS = 4000


@dataclass
class GarmentCrop:
    image: Image.Image  # CROP_SIZE square, RGB, white outside the garment
    mask: np.ndarray  # bool (CROP_SIZE, CROP_SIZE): the garment's pixels in `image`
    pixels: np.ndarray  # (N, 3) uint8 garment pixels from the full-resolution photo, subsampled


def crop_garment(image: Image.Image, mask: np.ndarray, size: int = CROP_SIZE,
                 margin: float = 0.06) -> GarmentCrop:
    """Cut the masked garment out: box plus a margin, other pixels white, padded to a square."""
    rgb = np.asarray(image.convert("RGB"))
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != rgb.shape[:2]:
        raise ValueError(f"mask {mask.shape} does not match the image {rgb.shape[:2]}")
    if not mask.any():
        mask = np.ones_like(mask)
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    pad = int(round(margin * max(y1 - y0, x1 - x0)))
    y0, x0 = max(0, y0 - pad), max(0, x0 - pad)
    y1, x1 = min(rgb.shape[0], y1 + pad), min(rgb.shape[1], x1 + pad)
    sub, sub_mask = rgb[y0:y1, x0:x1].copy(), mask[y0:y1, x0:x1]
    sub[~sub_mask] = 255
    h, w = sub_mask.shape
    side = max(h, w)
    square = np.full((side, side, 3), 255, dtype=np.uint8)
    square_mask = np.zeros((side, side), dtype=bool)
    oy, ox = (side - h) // 2, (side - w) // 2
    square[oy:oy + h, ox:ox + w] = sub
    square_mask[oy:oy + h, ox:ox + w] = sub_mask
    crop = Image.fromarray(square).resize((size, size), Image.Resampling.BILINEAR)
    crop_mask = np.asarray(
        Image.fromarray(square_mask.astype(np.uint8) * 255).resize((size, size),
                                                                 Image.Resampling.NEAREST)) > 0
    return GarmentCrop(crop, crop_mask, _sample(rgb[mask]))


def _sample(pixels: np.ndarray, limit: int = MAX_COLOUR_PIXELS) -> np.ndarray:
    if len(pixels) <= limit:
        return pixels
    step = len(pixels) / limit
    return pixels[(np.arange(limit) * step).astype(int)]


def foreground_mask(image: Image.Image, threshold: float = 28.0) -> np.ndarray:
    """A product photo's object: pixels unlike the border colour, holes filled, specks dropped.

    Falls back to the central 90% of the photo when the border is busy (a bed, a floor) and no
    clear object stands out from it.
    """
    rgb = np.asarray(image.convert("RGB")).astype(np.int16)
    h, w = rgb.shape[:2]
    band = max(2, min(h, w) // 40)
    border = np.concatenate([rgb[:band].reshape(-1, 3), rgb[-band:].reshape(-1, 3),
                             rgb[:, :band].reshape(-1, 3), rgb[:, -band:].reshape(-1, 3)])
    bg = np.median(border, axis=0)
    spread = float(np.median(np.abs(border - bg).sum(1)))
    distance = np.abs(rgb - bg).sum(-1)
    fg = distance > max(threshold, 2.5 * spread)
    fg = ndimage.binary_opening(fg, iterations=1)
    fg = ndimage.binary_closing(fg, iterations=2)
    fg = ndimage.binary_fill_holes(fg)
    labelled, count = ndimage.label(fg)
    if count:
        sizes = np.bincount(labelled.ravel())[1:]
        fg = np.isin(labelled, 1 + np.nonzero(sizes >= 0.05 * sizes.max())[0])
    share = fg.mean()
    if share < 0.04 or share > 0.97:
        fg = np.zeros((h, w), dtype=bool)
        fg[int(0.05 * h):int(0.95 * h), int(0.05 * w):int(0.95 * w)] = True
    return fg


def person_in(labels: np.ndarray) -> bool:
    """Does a parse show a person (skin or hair), i.e. the product is worn by a model?"""
    person = (labels == CLASS_INDEX["skin"]) | (labels == CLASS_INDEX["hair"])
    return bool(person.mean() > 0.005)


def product_mask(image: Image.Image, category: str | None,
                 labels: np.ndarray | None = None) -> np.ndarray:
    """The garment in a product photo: the parser's region of the product's class when a model
    wears it (`labels` from the parser at the image's size), else the photo's foreground."""
    fg = foreground_mask(image)
    if labels is None or category not in WORN or not person_in(labels):
        return fg
    min_pixels = max(150, 0.03 * fg.sum())
    # The parser often splits one garment between close classes (a shirt read partly as a
    # jacket): take the whole group, then close the gaps.
    region = np.isin(labels, [CLASS_INDEX[c] for c in GROUPS[category]])
    if region.sum() < min_pixels:
        return fg
    region = ndimage.binary_closing(region, iterations=2) & fg
    return ndimage.binary_fill_holes(region)


def product_colours(image: Image.Image, category: str | None = None,
                    labels: np.ndarray | None = None) -> list[Colour]:
    """A product photo's (or a garment crop's) main colours, largest first: the garment's pixels
    (`product_mask`), with the rest of the photo as the scene whose light is undone."""
    rgb = np.asarray(image.convert("RGB"))
    mask = product_mask(image, category, labels)
    return colours_in_scene(_sample(rgb[mask]), _sample(rgb[~mask]) if (~mask).any() else None)
