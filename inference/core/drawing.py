"""Pictures the bot sends: colour palette, parse overlay with legend, cut-out, side by side."""

from __future__ import annotations

import importlib.util
import io
import re
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inference.core.colour import Colour
from inference.core.garments import CLASS_INDEX, CLASSES, GARMENT_IDS

#: One distinct colour per class for overlays (background transparent).
CLASS_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (255, 204, 170),
    (90, 60, 40),
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (220, 190, 255),
    (170, 110, 40),
    (128, 0, 0),
)
assert len(CLASS_COLOURS) == len(CLASSES)


def font(size: int, text: str = "") -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in font for Latin `text`; for other scripts (the legends and labels speak
    the user's language) one that has their letters: DejaVu Sans, which matplotlib ships, for
    Cyrillic, and an installed CJK font for Chinese (DejaVu, with boxes, when there is none)."""
    if all(ord(ch) < 0x250 for ch in text):
        return ImageFont.load_default(size=size)
    path = _font_file("cjk") if HAN.search(text) else None
    return ImageFont.truetype(path or _font_file("dejavu"), size)


HAN = re.compile(r"[\u3000-\u9fff\uf900-\ufaff]")
#: Family names of CJK fonts that Linux, macOS and Windows installs commonly have.
CJK_FONTS = ("Noto Sans CJK", "Noto Sans SC", "Source Han Sans", "WenQuanYi",
             "Droid Sans Fallback", "PingFang", "Microsoft YaHei", "SimHei", "AR PL")


@lru_cache(maxsize=2)
def _font_file(kind: str) -> str | None:
    if kind == "dejavu":  # matplotlib's own data folder, found without importing it (11 MB)
        matplotlib = importlib.util.find_spec("matplotlib")
        return str(Path(matplotlib.origin).parent / "mpl-data" / "fonts" / "ttf"
                   / "DejaVuSans.ttf")
    return _fontconfig_cjk() or _matplotlib_cjk()


def _fontconfig_cjk() -> str | None:
    """A font fontconfig says covers Chinese (Linux; sees fonts installed after matplotlib built
    its font cache)."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                               timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.strip().rstrip(":") for line in found.splitlines() if line.strip())
    return next((f for f in files if f.endswith((".ttf", ".ttc", ".otf"))), None)


def _matplotlib_cjk() -> str | None:
    from matplotlib import font_manager

    return next((f.fname for f in font_manager.fontManager.ttflist
                 if any(name in f.name for name in CJK_FONTS)), None)


@lru_cache(maxsize=1)
def plot_fonts() -> list[str]:
    """matplotlib's font.family for text in any of our languages: DejaVu Sans (Latin, Cyrillic)
    first, then the CJK font that Han falls back to glyph by glyph. The CJK file is registered
    by path, as matplotlib's font cache misses fonts installed after it was built."""
    from matplotlib import font_manager

    path = _font_file("cjk")
    if path is None:
        return ["DejaVu Sans"]
    font_manager.fontManager.addfont(path)
    return ["DejaVu Sans", font_manager.FontProperties(fname=path).get_name()]


def png_bytes(image: Image.Image) -> bytes:
    """Flat graphics (charts, swatches, cards) and transparency (the cut-out)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 88) -> bytes:
    """Pictures made of the photo (overlay, before/after, side by side): 1.7 ms and 63 KB for a
    662x512 overlay against PNG's 33 ms and 317 KB (bench.photo_stages); chroma kept at full
    resolution (4:4:4), so the legend's coloured text stays sharp."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality, subsampling=0)
    return buf.getvalue()


def palette_picture(colours: Sequence[Colour], width: int = 600, height: int = 160) -> Image.Image:
    """Swatches sized by share, each labelled with its name where the name fits under it."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    total = sum(c.share for c in colours) or 1.0
    x = 0.0
    label_font = font(15, "".join(c.name for c in colours))
    for colour in colours:
        w = width * colour.share / total
        draw.rectangle([x, 0, x + w, height - 36], fill=colour.rgb)
        if draw.textlength(colour.name, font=label_font) <= w - 8:  # else it runs into the next
            draw.text((x + 6, height - 30), colour.name, fill=(40, 40, 40), font=label_font)
        x += w
    return image


def overlay_picture(
    image: Image.Image,
    labels: np.ndarray,
    names: dict[int, str] | None = None,
    alpha: float = 0.55,
    measured: dict[int, tuple[int, int, int]] | None = None,
) -> Image.Image:
    """The photo with each class tinted, and a legend of the classes tinted on the right.

    With `names` (class id -> the item's name, and the words for skin and hair in the user's
    language), only those classes and the person's skin and hair are tinted and listed: a
    class too small to be an item would be an unnamed legend row for a speck. With `measured`
    (class id -> the item's measured RGB), a legend row shows a thin bar of the tint (to find
    the garment) and a swatch of the garment's own colour beside its name, so "navy top" is
    shown navy, not in the tint that marks tops."""
    present = [int(c) for c in np.flatnonzero(np.bincount(labels.ravel())) if c > 0]
    if names is not None:
        person = {CLASS_INDEX["skin"], CLASS_INDEX["hair"]}
        present = [c for c in present if c in names or c in person]
    # Pillow's C loops, the labels as a palette image: 4 times faster than blending in numpy.
    tints = Image.fromarray(labels.astype(np.uint8, copy=False), "P")
    tints.putpalette([v for c in range(len(CLASSES)) for v in CLASS_COLOURS[c]])
    tinted = np.zeros(256, np.uint8)
    tinted[present] = 255
    photo = image.convert("RGB")
    blended = Image.composite(Image.blend(photo, tints.convert("RGB"), alpha), photo,
                              Image.fromarray(tinted[labels]))
    labels_text = [(names or {}).get(c, CLASSES[c]) for c in present]
    legend_font = font(14, "".join(labels_text))
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_x = 28 if measured else 22  # from the legend's left edge + 10
    legend_w = text_x + 22 + int(
        max([probe.textlength(t, font=legend_font) for t in labels_text] + [60]))
    out = Image.new("RGB", (image.width + legend_w, image.height), "white")
    out.paste(blended, (0, 0))
    draw = ImageDraw.Draw(out)
    x = image.width
    for row, (cls, label) in enumerate(zip(present, labels_text, strict=True)):
        y = 10 + row * 22
        swatch = (measured or {}).get(cls)
        if swatch is None:
            draw.rectangle([x + 10, y, x + 26, y + 16], fill=CLASS_COLOURS[cls])
        else:
            draw.rectangle([x + 10, y, x + 14, y + 16], fill=CLASS_COLOURS[cls])
            # outlined, so a white garment's swatch still shows on the white legend
            draw.rectangle([x + 17, y, x + 33, y + 16], fill=swatch, outline=(150, 150, 150))
        draw.text((x + 10 + text_x, y), label, fill=(30, 30, 30), font=legend_font)
    return out


def outfit_cutout(image: Image.Image, labels: np.ndarray) -> Image.Image:
    """The garments alone (no background, skin or hair), cropped to them: "background cleaning"."""
    return cutout_picture(image, np.isin(labels, GARMENT_IDS))


def cutout_picture(image: Image.Image, keep: np.ndarray) -> Image.Image:
    """RGBA image with everything outside `keep` transparent, cropped to what is kept."""
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.fromarray((keep * 255).astype(np.uint8)))
    ys, xs = np.nonzero(keep)
    if len(ys):
        rgba = rgba.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    return rgba


def side_by_side(
    left: Image.Image,
    right: Image.Image,
    captions: tuple[str, str],
    height: int = 480,
    highlight: int | None = None,
) -> Image.Image:
    """Two photos at the same height with a big caption under each (e.g. "A 64%")."""
    a = left.copy()
    b = right.copy()
    a.thumbnail((height * 2, height))
    b.thumbnail((height * 2, height))
    band = 56
    gap = 16
    out = Image.new("RGB", (a.width + b.width + 3 * gap, height + band + 2 * gap), "white")
    draw = ImageDraw.Draw(out)
    caption_font = font(34, "".join(captions))  # a font with the captions' letters
    for i, (img, caption) in enumerate(((a, captions[0]), (b, captions[1]))):
        x = gap if i == 0 else a.width + 2 * gap
        out.paste(img, (x, gap + (height - img.height) // 2))
        if highlight == i:
            draw.rectangle(
                [x - 4, gap - 4, x + img.width + 3, gap + height + 3],
                outline=(46, 160, 67),
                width=6,
            )
        text_w = draw.textlength(caption, font=caption_font)
        draw.text(
            (x + (img.width - text_w) / 2, gap + height + 10),
            caption,
            fill=(46, 160, 67) if highlight == i else (60, 60, 60),
            font=caption_font,
        )
    return out


def weights_chart(rows: list[tuple[str, float, float]], note: str,
                  width: int = 640) -> Image.Image:
    """Horizontal bars: (label, this user's weight, everyone's starting weight as a tick), and
    `note` (what bars and ticks mean, in the user's language) under them."""
    row_h, left, pad = 26, 220, 12
    height = pad * 2 + row_h * len(rows) + 20
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    label_font = font(14, "".join(label for label, _, _ in rows))
    top = max([abs(w) for _, w, _ in rows] + [abs(p) for _, _, p in rows] + [1e-6])
    zero = left + (width - left - pad) / 2
    scale = (width - left - pad) / 2 / top
    draw.line([zero, pad, zero, height - pad - 14], fill=(180, 180, 180))
    for i, (label, weight, prior) in enumerate(rows):
        y = pad + i * row_h
        draw.text((pad, y + 4), label, fill=(40, 40, 40), font=label_font)
        colour = (46, 160, 67) if weight >= 0 else (207, 34, 46)
        x = zero + weight * scale
        draw.rectangle([min(zero, x), y + 5, max(zero, x), y + row_h - 5], fill=colour)
        px = zero + prior * scale
        draw.line([px, y + 2, px, y + row_h - 2], fill=(30, 30, 30), width=2)
    draw.text((left, height - pad - 12), note, fill=(110, 110, 110), font=font(12, note))
    return image
