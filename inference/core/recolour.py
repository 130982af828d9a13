"""Changing a garment's colour on the photo itself: CIELAB edits inside the garment's mask.

Lightness and chroma are kept per pixel (the folds, shading, weave and print stay); only where
the colour sits moves. No generative model: what the bot shows is the user's own photo with one
thing changed. Two edits:
- `turn_hue`: the hue angle of every pixel turned by `degrees` (what the Style Check eval does to
  make plausible fakes);
- `recolour_to`: the garment moved to a target colour: its mean colour becomes the target and
  each pixel keeps its difference from the mean (lightness scaled so dark stays dark), what
  "show it in navy" and a suggested colour change draw.
The mask's edge is feathered over a pixel or two so the change has no hard seam.
"""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.color import lab2rgb, rgb2lab


def _lab(image: Image.Image) -> np.ndarray:
    return rgb2lab(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0)


def _blend(image: Image.Image, lab: np.ndarray, mask: np.ndarray) -> Image.Image:
    """The edited CIELAB pixels inside a feathered `mask`, the photo's own outside."""
    soft = ndimage.gaussian_filter(mask.astype(np.float64), 1.0)[..., None]
    original = np.asarray(image.convert("RGB"), dtype=np.float64)
    with warnings.catch_warnings():  # colours outside sRGB are clipped, as they should be
        warnings.simplefilter("ignore", UserWarning)
        edited = lab2rgb(lab) * 255.0
    out = original * (1 - soft) + edited * soft
    return Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8))


def turn_hue(image: Image.Image, mask: np.ndarray, degrees: float) -> Image.Image:
    """The photo with the hue of the pixels in `mask` turned by `degrees` (a*, b* rotated),
    lightness and chroma kept."""
    lab = _lab(image)
    theta = np.deg2rad(degrees)
    a, b = lab[..., 1].copy(), lab[..., 2].copy()
    lab[..., 1] = a * np.cos(theta) - b * np.sin(theta)
    lab[..., 2] = a * np.sin(theta) + b * np.cos(theta)
    return _blend(image, lab, mask)


def recolour_to(image: Image.Image, mask: np.ndarray, target_rgb: tuple[int, int, int]
                ) -> Image.Image:
    """The garment in `mask` in the colour `target_rgb`, its shading and texture kept."""
    if not mask.any():
        return image.convert("RGB")
    lab = _lab(image)
    inside = lab[mask]
    mean = inside.mean(axis=0)
    target = rgb2lab(np.array(target_rgb, dtype=np.float64)[None, None] / 255.0)[0, 0]
    out = lab.copy()
    # Lightness: the garment's light and shade around the target's lightness, compressed
    # when the target is near black or white so highlights do not clip into flat patches.
    # (the 98th percentile, so one specular highlight does not flatten the rest).
    spread = inside[:, 0] - mean[0]
    room = 0.8 * min(target[0], 100 - target[0]) / max(float(np.percentile(np.abs(spread), 98)),
                                                       1e-6)
    out[mask, 0] = np.clip(target[0] + spread * min(1.0, max(room, 0.35)), 0, 100)
    # Colour: the target's a*, b* plus each pixel's own deviation (prints and weave stay),
    # scaled to the target's chroma: a bright red garment's shading swings in a*, b* far more
    # than a beige or white one's can, and at full strength it paints blotches on a neutral.
    chroma_dev = inside[:, 1:] - mean[1:]
    scale = (np.hypot(*target[1:]) + 4) / (np.hypot(*mean[1:]) + 4)
    out[mask, 1:] = target[1:] + chroma_dev * float(np.clip(scale, 0.15, 1.0))
    return _blend(image, out, mask)


def before_after(before: Image.Image, after: Image.Image, labels: tuple[str, str],
                 height: int = 640) -> Image.Image:
    """The photo and its changed copy side by side, labelled (the suggestion's picture)."""
    from inference.core import drawing

    return drawing.side_by_side(before, after, labels, highlight=1, height=height)
