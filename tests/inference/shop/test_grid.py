"""The shop's results grid: one picture, numbered tiles counted on its pixels, phone-sized."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from inference.core.drawing import jpeg_bytes
from inference.shop.grid import Tile, results_grid, tile_size

DEMO = Path(__file__).resolve().parents[3] / "bot" / "catalog" / "demo"


def numbered_discs(jpeg: bytes) -> int:
    """The tiles in a grid picture: each tile's number sits in a dark disc about 50 px across,
    ringed in white so that no dark photo runs into it."""
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG" and image.width <= 1080
    dark = (np.asarray(image.convert("RGB")).astype(int) < 60).all(axis=2)
    found, _ = ndimage.label(dark)
    return sum(44 <= box[0].stop - box[0].start <= 52 and 44 <= box[1].stop - box[1].start <= 52
               for box in ndimage.find_objects(found))


def demo_tiles(n: int) -> list[Tile]:
    photos = sorted((DEMO / "images").iterdir())[:n]
    return [Tile(p, f"Black jacket number {i} with a title too long for one tile",
                 "12.50 EUR" if i % 2 else None, (25, 25, 25)) for i, p in enumerate(photos)]


@pytest.mark.parametrize("n", [1, 2, 5, 6, 10])
def test_one_numbered_tile_per_result(n: int) -> None:
    picture = results_grid(demo_tiles(n))
    assert picture.width <= 1080 and picture.height <= 1080 * 2
    assert numbered_discs(jpeg_bytes(picture)) == n


def test_a_missing_photo_still_gets_its_tile_and_titles_in_any_script() -> None:
    tiles = [Tile(None, "Чорна куртка"), Tile("/nowhere.jpg", "黑色夹克", "99.00 CNY")]
    picture = results_grid(tiles)
    assert numbered_discs(jpeg_bytes(picture)) == 2
    columns, rows, side = tile_size(2)
    assert (columns, rows) == (2, 1) and picture.width <= 1080
    centre = picture.getpixel((12 + side // 2, 12 + side // 2))
    assert centre == (220, 220, 220)  # a plain grey square where the photo would be
    text = np.asarray(picture.crop((12, 12 + side, 12 + side, picture.height - 12)))
    assert (text.astype(int).sum(axis=2) < 200).sum() > 300  # the title's letters are drawn
