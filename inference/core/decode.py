"""Turning untrusted bytes into a safe RGB image: size guard, EXIF orientation, clear errors."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

#: Working size: photos are downscaled to this longer side before any analysis.
WORK_LONG_SIDE = 1024


class BadImage(ValueError):
    """The bytes are not a photo we can use; `reason` is a short phrase for the reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_photo(data: bytes, max_pixels: int = 40_000_000) -> Image.Image:
    """Decode, check the size before decoding pixels, fix EXIF rotation, downscale, RGB."""
    if not data:
        raise BadImage("the file was empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise BadImage(
                    f"it is {width}×{height} ({width * height / 1e6:.0f} megapixels), more than "
                    f"I can take ({max_pixels / 1e6:.0f})"
                )
            if image.format not in {"JPEG", "PNG", "WEBP", "BMP", "GIF", "MPO", "TIFF"}:
                raise BadImage(f"{image.format or 'this'} files are not photos I can read")
            # draft() lets libjpeg decode at 1/2, 1/4 or 1/8 scale: big photos load fast.
            image.draft("RGB", (WORK_LONG_SIDE, WORK_LONG_SIDE))
            image = ImageOps.exif_transpose(image)
            image.load()
    except BadImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage("it doesn't look like an image file") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise BadImage("the image seems damaged or cut off") from err
    if min(image.size) < 32:
        raise BadImage("it is too small to see an outfit")
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    image = image.convert("RGB")
    if max(image.size) > WORK_LONG_SIDE:
        image.thumbnail((WORK_LONG_SIDE, WORK_LONG_SIDE), Image.Resampling.LANCZOS)
    return image
