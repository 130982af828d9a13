"""Colour constancy: the light's colour estimated from the scene around a garment, undone before
the garment's colours are named.

White patch: the brightest scene pixels (top 5%, clipped ones left out) are taken to be white,
and the channel gains that make them grey are applied to the garment's pixels. Measured on the
153 street garments labelled by eye (tests/data/garments) with their CCP photo's background as
the scene (`stylebot eval colours` prints the same rows):

- under the photos' own light, correcting every photo lowers family agreement (white patch
  0.765 -> 0.752, grey-world 0.725): people name the colour they see, and CCP's daylight casts
  are mild. So a correction is applied only when the cast is strong (a gain at least 8% away
  from 1): under own light that touches a few photos (agreement 0.771 -> 0.765, one garment);
- under simulated street light (the photo and garment multiplied by a cast), the correction
  brings agreement back: tungsten 0.49 -> 0.65, sodium 0.40 -> 0.62, blue shade 0.56 -> 0.69.

Gains are clipped to 0.6-1.7, a sodium lamp's range; beyond it the estimate is more likely a
coloured wall than a light.
"""

from __future__ import annotations

import numpy as np

from inference.core.colour import Colour, describe, dominant_colours, to_lab
from inference.core.colour_family_model import bundled_model

MAX_POINTS = 1000

MIN_CAST = 0.08
GAIN_RANGE = (0.6, 1.7)
MIN_SCENE_PIXELS = 200


def white_patch_gains(scene: np.ndarray) -> np.ndarray | None:
    """Per-channel gains (3,) that make the scene's brightest pixels grey; None when the scene
    is too small to tell or its cast is too weak to correct (`MIN_CAST`)."""
    scene = np.asarray(scene, dtype=np.float64).reshape(-1, 3)
    if len(scene) < MIN_SCENE_PIXELS:
        return None
    luminance = scene.sum(1)
    bright = scene[luminance >= np.percentile(luminance, 95)]
    unclipped = bright[bright.max(1) < 250]
    if len(unclipped) >= 20:  # clipped pixels say nothing about the light's colour
        bright = unclipped
    white = np.maximum(bright.mean(0), 1.0)
    gains = np.clip(white.mean() / white, *GAIN_RANGE)
    return gains if np.abs(gains - 1).max() >= MIN_CAST else None


class Light:
    """The light's gains estimated once from a scene, for all the objects in it (a photo's
    garments share one background: estimating it per garment cost 16 ms a photo)."""

    def __init__(self, scene: np.ndarray | None) -> None:
        self.gains = None if scene is None else white_patch_gains(scene)


def balanced(pixels: np.ndarray, gains: np.ndarray | None) -> np.ndarray:
    """(N,3) uint8 pixels under the estimated light made neutral (unchanged without gains)."""
    if gains is None:
        return pixels
    return np.clip(np.asarray(pixels, dtype=np.float64) * gains, 0, 255).astype(np.uint8)


def measured_colours(pixels: np.ndarray, scene: np.ndarray | Light | None = None,
                     ) -> tuple[np.ndarray, list[Colour]]:
    """The pixels measured (light undone, at most `MAX_POINTS` by a fixed stride) and their
    main colours by the family rules, largest first: what the learned family reads. `scene`:
    the pixels around the object, or their Light already estimated."""
    pixels = np.asarray(pixels).reshape(-1, 3)
    if len(pixels) > MAX_POINTS:  # a fixed stride keeps the result deterministic
        pixels = pixels[:: len(pixels) // MAX_POINTS + 1]
    light = scene if isinstance(scene, Light) else Light(scene)
    pixels = balanced(pixels, light.gains)
    return pixels, dominant_colours(pixels, k=3, max_points=MAX_POINTS)


def colours_in_scene(pixels: np.ndarray, scene: np.ndarray | Light | None = None
                     ) -> list[Colour]:
    """An object's main colours, largest first, after undoing a strong light cast estimated
    from `scene` (the pixels around it); the main colour's family is the learned one
    (`colour_family_model`), named within it. Garments from the parser, product photos and
    `stylebot colour` all go through here."""
    pixels, colours = measured_colours(pixels, scene)
    model = bundled_model()
    if model is None or not colours:
        return colours
    main = colours[0]
    family = model.family(pixels, colours)
    if family == main.family:
        return colours
    return [describe(to_lab(np.array(main.rgb, dtype=np.uint8)), main.share, family),
            *colours[1:]]
