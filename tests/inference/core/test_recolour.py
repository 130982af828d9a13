"""Recolouring a garment on the photo itself: only inside its mask, shading and texture kept."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from skimage.color import rgb2lab

from inference.core.colour import FAMILY_RGB, colour_family
from inference.core.garments import CLASS_INDEX
from inference.core.recolour import (
    before_after,
    recolour_to,
    turn_hue,
    with_fragments,
    without_spill,
)


def lab(image: Image.Image) -> np.ndarray:
    return rgb2lab(np.asarray(image, dtype=np.float64) / 255.0)


def test_turning_the_hue_keeps_lightness_chroma_and_the_rest(photo_bytes) -> None:
    photo = Image.open(io.BytesIO(photo_bytes[0])).convert("RGB").resize((200, 300))
    mask = np.zeros((300, 200), bool)
    mask[100:200, 50:150] = True
    turned = turn_hue(photo, mask, 120)
    before, after = lab(photo), lab(turned)
    inner = np.zeros_like(mask)
    inner[104:196, 54:146] = True  # away from the feathered edge
    assert np.abs(after[inner, 0] - before[inner, 0]).mean() < 2.0  # lightness kept
    chroma = np.hypot(before[inner, 1], before[inner, 2])
    turned_chroma = np.hypot(after[inner, 1], after[inner, 2])
    assert np.abs(turned_chroma - chroma).mean() < 3.0
    outside = ~np.pad(mask, 4)[4:-4, 4:-4] & ~mask
    far = np.ones_like(mask)
    far[90:210, 40:160] = False
    assert np.array_equal(np.asarray(turned)[far], np.asarray(photo)[far])
    assert outside.any()


def test_recolouring_to_navy_keeps_the_folds() -> None:
    rng = np.random.default_rng(0)
    shade = np.linspace(120, 220, 120)[None, :, None]  # a red garment lit from one side
    pixels = np.concatenate([shade, shade * 0.25, shade * 0.2], axis=2).repeat(80, axis=0)
    pixels = np.clip(pixels + rng.normal(0, 6, pixels.shape), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    mask = np.ones((80, 120), bool)
    navy = recolour_to(image, mask, FAMILY_RGB["navy"])
    out = lab(navy)
    assert colour_family(out[mask].mean(axis=0)) == "navy"
    assert out[:, 100:, 0].mean() > out[:, :20, 0].mean() + 5  # the light side stays lighter
    picture = before_after(image, navy, ("now", "in navy"))
    assert picture.width >= 2 * image.width and picture.height > image.height


def test_every_family_swatch_is_read_back_as_its_family() -> None:
    """The swatches are what a recolouring aims at: the parser must call them by their name."""
    from inference.core.colour import to_lab

    for family, rgb in FAMILY_RGB.items():
        assert colour_family(to_lab(np.array(rgb, dtype=np.uint8))) == family, family


def test_a_bright_garment_turned_white_has_no_coloured_blotches() -> None:
    rng = np.random.default_rng(1)
    # A saturated red with strong shading and some print in it.
    base = np.array([200, 30, 40], dtype=np.float64)
    light = np.linspace(0.5, 1.1, 100)[None, :, None]
    pixels = np.clip(base * light + rng.normal(0, 20, (80, 100, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels.repeat(1, axis=0))
    white = lab(recolour_to(image, np.ones((80, 100), bool), FAMILY_RGB["white"]))
    chroma = np.hypot(white[..., 1], white[..., 2])
    assert np.percentile(chroma, 95) < 12  # no pink or green patches on the white


def _coat_over(below_rgb: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A shaded navy coat (rows 0-99) over another garment of `below_rgb` (rows 100-159), the
    parse's coat region running 20 rows onto it: (pixels, labels)."""
    rng = np.random.default_rng(2)
    light = np.linspace(0.7, 1.2, 120)[None, :, None]
    coat = np.array([30, 40, 90], np.float64) * light + rng.normal(0, 5, (100, 120, 3))
    below = np.array(below_rgb, np.float64) * light + rng.normal(0, 5, (60, 120, 3))
    pixels = np.clip(np.concatenate([coat, below]), 0, 255).astype(np.uint8)
    labels = np.full((160, 120), CLASS_INDEX["dress"], np.uint8)
    labels[:120] = CLASS_INDEX["outer"]
    return pixels, labels


def test_a_region_that_runs_onto_the_next_garment_gives_that_part_back() -> None:
    """CCP 0673: the parsed coat covered the red dress's hem, which a beige coat turned
    beige-orange; the red part of the region is the dress's and stays red."""
    pixels, labels = _coat_over((190, 30, 40))
    region = labels == CLASS_INDEX["outer"]
    mask = without_spill(pixels, labels, region, [CLASS_INDEX["dress"]])
    assert mask[:100].all() and not mask[100:].any()
    beige = np.asarray(recolour_to(Image.fromarray(pixels), mask, FAMILY_RGB["beige"]))
    assert colour_family(lab(Image.fromarray(beige[:90])).mean(axis=(0, 1))) == "beige"
    assert np.array_equal(beige[105:], pixels[105:])  # the dress untouched past the feathering


def test_garments_of_much_the_same_colour_keep_the_whole_region() -> None:
    """A navy coat over trousers of another navy: no pixel is plainly the other's, and a patchy
    recolouring would be worse than a little spill. Over black tights, the coat's own shadows
    stay with it and only the black rows are given back."""
    pixels, labels = _coat_over((40, 35, 100))
    region = labels == CLASS_INDEX["outer"]
    assert np.array_equal(without_spill(pixels, labels, region, [CLASS_INDEX["dress"]]), region)
    pixels, labels = _coat_over((20, 20, 22))
    mask = without_spill(pixels, labels, region, [CLASS_INDEX["dress"]])
    assert mask[:100].all() and mask[100:].mean() < 0.02  # a few noisy pixels either way


def _split_garment(colour: tuple[int, int, int], other: tuple[int, int, int]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One garment (rows 0-99) the parse read as a dress above and a top below (rows 60-99,
    `colour` in shade there), beside a garment of `other` (columns 80-119): pixels, labels and
    the dress's region."""
    rng = np.random.default_rng(3)
    pixels = np.empty((100, 120, 3))
    pixels[:60, :80] = colour
    pixels[60:, :80] = np.array(colour) * 0.7  # the lower part in shade
    pixels[:, 80:] = other
    pixels = np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255).astype(np.uint8)
    labels = np.full((100, 120), CLASS_INDEX["top"], np.uint8)
    labels[:60, :80] = CLASS_INDEX["dress"]
    return pixels, labels, labels == CLASS_INDEX["dress"]


def test_the_pieces_of_a_garment_read_as_another_class_are_recoloured_with_it() -> None:
    """CCP 0350: a magenta dress read partly as a top came out magenta and beige in patches;
    the top-labelled part of its colour (in shade) joins it, the white top beside it does not."""
    pixels, labels, dress = _split_garment((200, 30, 120), (235, 235, 230))
    mask = with_fragments(pixels, labels, dress, [CLASS_INDEX["top"]])
    assert mask[:, :80].all() and not mask[:, 84:].any()


def test_a_neutral_garment_never_takes_in_its_neighbours() -> None:
    """A black coat over a black top is two garments as often as one: left as parsed."""
    pixels, labels, coat = _split_garment((25, 25, 28), (20, 20, 22))
    assert np.array_equal(with_fragments(pixels, labels, coat, [CLASS_INDEX["top"]]), coat)
