"""Untrusted uploads: EXIF rotation fixed, corrupt, huge and non-image files refused kindly."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from inference.core.decode import WORK_LONG_SIDE, BadImage, load_photo


def test_exif_orientation_is_applied(photo_bytes: list[bytes]) -> None:
    original = Image.open(io.BytesIO(photo_bytes[0]))
    w, h = original.size
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buf = io.BytesIO()
    original.save(buf, "JPEG", exif=exif)
    fixed = load_photo(buf.getvalue())
    assert fixed.size == (h, w)


def test_large_photos_are_downscaled(photo_bytes: list[bytes]) -> None:
    big = Image.open(io.BytesIO(photo_bytes[1])).resize((3000, 4500))
    buf = io.BytesIO()
    big.save(buf, "JPEG")
    image = load_photo(buf.getvalue())
    assert max(image.size) <= WORK_LONG_SIDE and image.mode == "RGB"


def test_sixty_megapixels_refused_before_decoding(huge_photo_bytes: bytes) -> None:
    with pytest.raises(BadImage, match="megapixels"):
        load_photo(huge_photo_bytes, max_pixels=40_000_000)


@pytest.mark.parametrize("data", [b"", b"%PDF-1.4 not an image", b"\x00" * 5000])
def test_non_images_refused(data: bytes) -> None:
    with pytest.raises(BadImage):
        load_photo(data)


def test_truncated_jpeg_refused(corrupt_photo_bytes: bytes) -> None:
    with pytest.raises(BadImage, match="damaged|not_image"):
        load_photo(corrupt_photo_bytes)


def test_transparent_png_gets_a_white_background() -> None:
    image = Image.new("RGBA", (100, 100), (255, 0, 0, 0))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    assert load_photo(buf.getvalue()).getpixel((5, 5)) == (255, 255, 255)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["I;16", "I;16B", "I", "F"])
def test_wide_grey_photos_decode_like_their_8_bit_grey(photo_bytes: list[bytes],
                                                        kind: str) -> None:
    """A real outfit photo as 16-bit grey (PNG: I;16; TIFF: I;16B, 32-bit I and float F)
    decodes to the 8-bit grey version, not to white."""
    grey = load_photo(photo_bytes[0]).convert("L")
    wide = np.asarray(grey, dtype=np.uint16) * 257  # 0-255 spread over 0-65535
    if kind == "I;16":
        data = _png(Image.fromarray(wide))
        assert Image.open(io.BytesIO(data)).mode == "I;16"
    elif kind == "I;16B":
        buf = io.BytesIO()
        Image.fromarray(wide.astype(">u2")).save(buf, "TIFF")
        data = buf.getvalue()
        assert Image.open(io.BytesIO(data)).mode == "I;16B"
    else:  # 32-bit TIFFs: integers over 0-65535, floats over 0-1
        buf = io.BytesIO()
        values = wide.astype(np.int32) if kind == "I" else wide.astype(np.float32) / 65535
        Image.fromarray(values).save(buf, "TIFF")
        data = buf.getvalue()
        assert Image.open(io.BytesIO(data)).mode == kind
    decoded = np.asarray(load_photo(data), dtype=np.float64)
    assert decoded.shape == (*np.asarray(grey).shape, 3)
    difference = np.abs(decoded - np.asarray(grey, dtype=np.float64)[..., None])
    assert difference.mean() < 1.0 and decoded.mean() < 200  # white would be 255


def test_bad_image_pickles_with_its_code_and_values():
    """A Ray Serve replica sends it back pickled: the reason must survive, not just the text."""
    import pickle

    bad = pickle.loads(pickle.dumps(BadImage("too_small", width=3, height=2)))
    assert (bad.code, bad.values) == ("too_small", {"width": 3, "height": 2})
