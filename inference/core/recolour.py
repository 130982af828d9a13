"""Changing a garment's colour on the photo itself: CIELAB edits inside the garment's mask.

Lightness and chroma are kept per pixel (the folds, shading, weave and print stay); only where
the colour sits moves. No generative model: what the bot shows is the user's own photo with one
thing changed. Two edits:
- `turn_hue`: the hue angle of every pixel turned by `degrees` (what the Style Check eval does to
  make plausible fakes);
- `recolour_to`: the garment moved to a target colour: its mean colour becomes the target and
  each pixel keeps its difference from the mean (lightness scaled so dark stays dark), what
  "show it in navy" and a suggested colour change draw.
The mask's edge is feathered over a pixel or two so the change has no hard seam. The parse's
region for a garment is made fit to recolour first: `with_fragments` takes in the touching
pieces the parse gave a rival class although they are the garment's own colour (a magenta dress
read partly as a jacket and a top would come out patchy), and `without_spill` gives back to a
touching garment the part that is plainly its colour (a parsed coat that runs onto the red dress
below it would turn the hem beige).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.color import lab2rgb, rgb2lab

#: A touching garment's pixels inside the mask (`without_spill`): nearer its main colours than
#: the mask's own by this much (CIELAB distance), in a patch that comes within SPILL_REACH
#: pixels of its region.
SPILL_MARGIN = 12.0
SPILL_REACH = 6
#: Only a touching garment's main colours this far (CIELAB) from all of the mask's own count: a
#: navy coat beside navy trousers keeps its whole region.
DISTINCT = 25.0
#: A rival class's pixel joins the garment (`with_fragments`) within this CIELAB distance of
#: one of its main colours, or as that colour in shade: the same hue (within SHADE_HUE degrees),
#: darker by up to SHADE_DARKER and with no more than its chroma.
OWN_DISTANCE = 15.0
SHADE_HUE, SHADE_DARKER = 20.0, 35.0
#: ...and only for a garment of a clear colour: a black coat over a black top is two garments
#: as often as one, a magenta dress beside magenta "top" pieces is one.
FRAGMENT_CHROMA = 15.0
#: Colours that make up at least this share of a region count among its main colours; of the
#: garment's own region a larger share, so that a spill of a tenth or two is not one of them.
MAIN_SHARE, OWN_MAIN_SHARE = 0.15, 0.3
#: Pixels kept around the garment's box: the feathering (a Gaussian of sigma 1, cut at 4 sigma)
#: reaches no further, so editing only the box gives the same picture as editing everything.
MARGIN = 4


def _edit(image: Image.Image, mask: np.ndarray,
          change: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Image.Image:
    """The photo with `change(lab, inside)` applied to the CIELAB pixels of the garment's box
    (`inside`: the mask there), blended in through the feathered mask; the rest untouched.
    Converting only the box to CIELAB and back is what makes this cheap for small garments."""
    rgb = np.asarray(image.convert("RGB"))
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    if not rows.size:
        return Image.fromarray(rgb)
    box = (slice(max(rows[0] - MARGIN, 0), rows[-1] + 1 + MARGIN),
           slice(max(cols[0] - MARGIN, 0), cols[-1] + 1 + MARGIN))
    inside = mask[box]
    original = rgb[box].astype(np.float64)
    lab = change(rgb2lab(original / 255.0), inside)
    soft = ndimage.gaussian_filter(inside.astype(np.float64), 1.0)[..., None]
    with warnings.catch_warnings():  # colours outside sRGB are clipped, as they should be
        warnings.simplefilter("ignore", UserWarning)
        edited = lab2rgb(lab) * 255.0
    out = rgb.copy()
    out[box] = np.clip(np.round(original * (1 - soft) + edited * soft), 0, 255).astype(np.uint8)
    return Image.fromarray(out)


def turn_hue(image: Image.Image, mask: np.ndarray, degrees: float) -> Image.Image:
    """The photo with the hue of the pixels in `mask` turned by `degrees` (a*, b* rotated),
    lightness and chroma kept."""
    theta = np.deg2rad(degrees)

    def turn(lab: np.ndarray, _inside: np.ndarray) -> np.ndarray:
        a, b = lab[..., 1].copy(), lab[..., 2].copy()
        lab[..., 1] = a * np.cos(theta) - b * np.sin(theta)
        lab[..., 2] = a * np.sin(theta) + b * np.cos(theta)
        return lab

    return _edit(image, mask, turn)


def recolour_to(image: Image.Image, mask: np.ndarray, target_rgb: tuple[int, int, int]
                ) -> Image.Image:
    """The garment in `mask` in the colour `target_rgb`, its shading and texture kept."""
    target = rgb2lab(np.array(target_rgb, dtype=np.float64)[None, None] / 255.0)[0, 0]

    def move(lab: np.ndarray, inside: np.ndarray) -> np.ndarray:
        pixels = lab[inside]
        mean = pixels.mean(axis=0)
        out = lab.copy()
        # Lightness: the garment's light and shade around the target's lightness, compressed
        # when the target is near black or white so highlights do not clip into flat patches
        # (the 98th percentile, so one specular highlight does not flatten the rest).
        spread = pixels[:, 0] - mean[0]
        room = 0.8 * min(target[0], 100 - target[0]) / max(
            float(np.percentile(np.abs(spread), 98)), 1e-6)
        out[inside, 0] = np.clip(target[0] + spread * min(1.0, max(room, 0.35)), 0, 100)
        # Colour: the target's a*, b* plus each pixel's own deviation (prints and weave
        # stay), scaled to the target's chroma: a bright red garment's shading swings in a*, b*
        # far more than a beige or white one's can, and at full strength it paints blotches
        # on a neutral.
        chroma_dev = pixels[:, 1:] - mean[1:]
        scale = (np.hypot(*target[1:]) + 4) / (np.hypot(*mean[1:]) + 4)
        out[inside, 1:] = target[1:] + chroma_dev * float(np.clip(scale, 0.15, 1.0))
        return out

    return _edit(image, mask, move)


def before_after(before: Image.Image, after: Image.Image, labels: tuple[str, str],
                 height: int = 640) -> Image.Image:
    """The photo and its changed copy side by side, labelled (the suggestion's picture)."""
    from inference.core import drawing

    return drawing.side_by_side(before, after, labels, highlight=1, height=height)


def _main_lab(rgb_pixels: np.ndarray, min_share: float = MAIN_SHARE) -> np.ndarray:
    """(k, 3) CIELAB of the main colours of (N, 3) uint8 pixels (shadows merged into their
    colour, as the garment's colours are named)."""
    from inference.core.colour import dominant_colours

    colours = dominant_colours(rgb_pixels, min_share=min_share)
    return rgb2lab(np.array([c.rgb for c in colours], np.float64)[None] / 255.0)[0]


def without_spill(rgb: np.ndarray, labels: np.ndarray, mask: np.ndarray,
                  neighbours: Iterable[int]) -> np.ndarray:
    """`mask` less the patches of it that belong, by colour, to a touching garment (label ids
    `neighbours`): pixels nearer that garment's main colours than the mask's own by
    SPILL_MARGIN, in a connected patch that reaches within SPILL_REACH pixels of its region. A
    parse's region often runs a little onto the next garment; recoloured, that part shows as a
    blotch of the new colour on the other garment (CCP 0673: a navy coat's mask on a red dress's
    hem turned it beige-orange). Only the touching garment's colours unlike the mask's own count
    (DISTINCT), so garments of much the same colour are left as they are."""
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    if not rows.size:
        return mask
    pad = SPILL_REACH + 1
    box = (slice(max(rows[0] - pad, 0), rows[-1] + 1 + pad),
           slice(max(cols[0] - pad, 0), cols[-1] + 1 + pad))
    inside, near_labels = mask[box], labels[box]
    lab = rgb2lab(rgb[box].astype(np.float64) / 255.0)
    own = _main_lab(rgb[mask], OWN_MAIN_SHARE)
    own_distance = np.linalg.norm(lab[..., None, :] - own, axis=-1).min(-1)
    keep = inside.copy()
    reach = ndimage.binary_dilation(inside, iterations=SPILL_REACH)
    for label in neighbours:
        region = near_labels == label
        if not (region & reach).any():  # too far from the garment to have a patch reach it
            continue
        other = _main_lab(rgb[labels == label])
        other = other[np.linalg.norm(other[:, None] - own, axis=-1).min(1) > DISTINCT]
        if not len(other):
            continue
        other_distance = np.linalg.norm(lab[..., None, :] - other, axis=-1).min(-1)
        theirs = keep & (other_distance + SPILL_MARGIN < own_distance)
        patches, count = ndimage.label(theirs)
        if not count:
            continue
        touching = ndimage.binary_dilation(region, iterations=SPILL_REACH)
        reached = np.unique(patches[touching & theirs])
        keep &= ~np.isin(patches, reached[reached > 0])
    out = mask.copy()
    out[box] = keep
    return out


def _own_colour(lab: np.ndarray, own: np.ndarray) -> np.ndarray:
    """(...) bool: CIELAB pixels that are one of the `own` (k, 3) colours, lit or in shade."""
    near = np.linalg.norm(lab[..., None, :] - own, axis=-1).min(-1) < OWN_DISTANCE
    chroma = np.hypot(lab[..., 1], lab[..., 2])[..., None]
    own_chroma = np.hypot(own[:, 1], own[:, 2])
    turn = np.abs(np.degrees(np.arctan2(lab[..., 2], lab[..., 1])[..., None]
                             - np.arctan2(own[:, 2], own[:, 1])) % 360)
    darker = own[:, 0] - lab[..., 0][..., None]
    shade = ((np.minimum(turn, 360 - turn) < SHADE_HUE) & (darker >= 0)
             & (darker <= SHADE_DARKER) & (chroma <= own_chroma + 4) & (chroma >= 8)
             & (own_chroma >= 8))
    return near | shade.any(-1)


def with_fragments(rgb: np.ndarray, labels: np.ndarray, mask: np.ndarray,
                   rivals: Iterable[int], within: np.ndarray | None = None) -> np.ndarray:
    """`mask` with the pieces of rival classes (label ids `rivals`: the parse's other readings
    of the same body zone, a top or a jacket for a dress) that are the garment's own main
    colour, lit or in shade (`_own_colour`), when that colour is not a neutral, in connected
    patches that reach within SPILL_REACH pixels of it; `within` (the main person) bounds
    them. The parse often splits one garment among such classes (CCP 0350: a magenta dress
    read as dress, jacket and top); recolouring the dress part alone leaves the rest in patches
    of the old colour."""
    candidates = np.isin(labels, list(rivals)) & ~mask
    if within is not None:
        candidates &= within
    if not mask.any() or not candidates.any():
        return mask
    own = _main_lab(rgb[mask], OWN_MAIN_SHARE)[:1]  # its main colour: a second one may be
    # the piece the parse folded in (a beige camisole in a navy "dress")
    if np.hypot(own[0, 1], own[0, 2]) < FRAGMENT_CHROMA:
        return mask
    patches, count = ndimage.label(candidates)
    touching = ndimage.binary_dilation(mask, iterations=SPILL_REACH) & candidates
    reached = np.unique(patches[touching])
    near = np.isin(patches, reached[reached > 0])
    if not near.any():
        return mask
    grown = np.zeros_like(mask)
    grown[near] = _own_colour(rgb2lab(rgb[near][None].astype(np.float64) / 255.0)[0], own)
    # only the own-coloured parts connected to the garment: not a far piece of the same hue
    joined, _ = ndimage.label(grown | mask)
    keep = np.unique(joined[mask])
    return mask | (grown & np.isin(joined, keep[keep > 0]))
