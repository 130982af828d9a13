"""Turning untrusted bytes into a safe RGB image: size guard, EXIF orientation, clear errors."""

from __future__ import annotations

import functools
import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Working size: photos are downscaled to this longer side before any analysis.
WORK_LONG_SIDE = 1024
#: Grey modes wider than 8 bits (16-bit PNGs and TIFFs open as I;16*, 32-bit integer and float
#: images as I and F): Pillow's convert("RGB") clips their values at 255, so a 16-bit photo of an
#: outfit came out white. They are scaled to 8 bits instead (`_to_8bit`).
WIDE_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


class BadImage(ValueError):
    """The bytes are not a photo we can use. `code` names the reason (a key of the replies'
    `bad_image_reasons`, so the bot can say it in the user's language); `values` fill it in."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code if not values else f"{code} {values}")
        self.code = code
        self.values = values

    def __reduce__(self) -> tuple:
        """Pickled with its code and values (a Ray Serve replica sends it back), not as the
        message alone."""
        return functools.partial(BadImage, self.code, **self.values), ()


def load_photo(data: bytes, max_pixels: int = 40_000_000) -> Image.Image:
    """Decode, check the size before decoding pixels, fix EXIF rotation, downscale, RGB."""
    if not data:
        raise BadImage("empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise BadImage(
                    "megapixels", width=width, height=height,
                    megapixels=round(width * height / 1e6), limit=round(max_pixels / 1e6),
                )
            if image.format not in {"JPEG", "PNG", "WEBP", "BMP", "GIF", "MPO", "TIFF"}:
                raise BadImage("format", format=image.format or "?")
            # draft() lets libjpeg decode at 1/2, 1/4 or 1/8 scale: big photos load fast.
            image.draft("RGB", (WORK_LONG_SIDE, WORK_LONG_SIDE))
            image = ImageOps.exif_transpose(image)
            image.load()
    except BadImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage("not_image") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise BadImage("damaged") from err
    if min(image.size) < 32:
        raise BadImage("too_small")
    image = _to_8bit(image)
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    image = image.convert("RGB")
    if max(image.size) > WORK_LONG_SIDE:
        image.thumbnail((WORK_LONG_SIDE, WORK_LONG_SIDE), Image.Resampling.LANCZOS)
    return image


def _to_8bit(image: Image.Image) -> Image.Image:
    """A wide grey image (WIDE_MODES) as 8-bit grey, scaled from its type's full range: 16 bits
    for I;16*; for I and F (which do not say their depth) the smallest of 0-1 (F only), 0-255,
    0-65535 or 0-max that holds the values."""
    if image.mode not in WIDE_MODES:
        return image
    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16"):
        full = 65535.0
    else:
        top = float(values.max(initial=0.0))
        fits = [r for r in (1.0, 255.0, 65535.0) if top <= r and (r > 1 or image.mode == "F")]
        full = fits[0] if fits else top
    return Image.fromarray(np.clip(values * (255.0 / full), 0, 255).round().astype(np.uint8))


def encode_kept(image: Image.Image, quality: int = 90) -> bytes:
    """A decoded photo (orientation applied, longer side capped) as the JPEG that is kept on
    disk: no EXIF (place, time, device), no other metadata, far smaller than most uploads."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True, exif=b"")
    return buf.getvalue()
