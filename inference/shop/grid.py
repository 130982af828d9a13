"""Shop results as one picture: numbered tiles (photo, short title, price when the feed has one, a
colour chip), three to a row, at most 1080 px wide so a phone shows it whole without scrolling.
The numbers are what "more like the 2nd one" refers to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from inference.core.drawing import HAN, font

WIDTH = 1080
GAP = 12
COLUMNS = 3
TITLE_SIZE = 26
BACKGROUND = (236, 236, 232)
CARD = (255, 255, 255)
INK = (30, 30, 30)
BADGE = (25, 25, 25)


@dataclass(frozen=True)
class Tile:
    image_path: str | Path | None
    title: str
    price: str | None = None  # already formatted ("12.50 EUR"); None when the feed has none
    colour: tuple[int, int, int] | None = None  # the colour chip


def tile_size(n: int, width: int = WIDTH) -> tuple[int, int, int]:
    """(columns, rows, side of a tile's photo) for n tiles."""
    columns = min(COLUMNS, max(n, 1))
    side = (width - GAP * (columns + 1)) // columns
    return columns, -(-n // columns), side


def _fit(text: str, face: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: float,
         draw: ImageDraw.ImageDraw) -> str:
    """`text` cut (with …) to fit `width` pixels."""
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _lines(text: str, face: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: float,
           draw: ImageDraw.ImageDraw, most: int = 2) -> list[str]:
    """Words wrapped to `width`, at most `most` lines, the last cut with … when it runs over.
    Chinese, written without spaces, wraps between any two characters."""
    sep = "" if HAN.search(text) else " "
    lines: list[str] = []
    for word in (text if sep == "" else text.split()):
        if lines and draw.textlength(lines[-1] + sep + word, font=face) <= width:
            lines[-1] += sep + word
        elif word.strip():
            lines.append(word)
    if len(lines) > most:
        lines = lines[:most - 1] + [sep.join(lines[most - 1:])]
    return [_fit(line, face, width, draw) for line in lines]


def _photo(path: str | Path | None, side: int) -> Image.Image:
    """The item's photo filling a white square (a grey square when it cannot be read)."""
    try:
        if path is None:
            raise FileNotFoundError
        with Image.open(path) as image:
            image.draft("RGB", (side, side))
            image = image.convert("RGB")
    except (OSError, ValueError):
        return Image.new("RGB", (side, side), (220, 220, 220))
    square = Image.new("RGB", (side, side), CARD)
    image = ImageOps.contain(image, (side, side), Image.Resampling.LANCZOS)  # small ones grow
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return square


def results_grid(tiles: Sequence[Tile], width: int = WIDTH) -> Image.Image:
    """The tiles numbered from 1, left to right, top to bottom."""
    columns, rows, side = tile_size(len(tiles), width)
    text_face = font(TITLE_SIZE, "".join(t.title + (t.price or "") for t in tiles))
    badge_face = font(30, "0123456789")
    line = TITLE_SIZE + 6
    text_h = 2 * line + (line if any(t.price for t in tiles) else 0) + 14
    card_h = side + text_h
    width = GAP + columns * (side + GAP)
    canvas = Image.new("RGB", (width, GAP + rows * (card_h + GAP)), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    chip = TITLE_SIZE - 4
    for n, tile in enumerate(tiles):
        x = GAP + (n % columns) * (side + GAP)
        y = GAP + (n // columns) * (card_h + GAP)
        draw.rectangle((x, y, x + side - 1, y + card_h - 1), fill=CARD)
        canvas.paste(_photo(tile.image_path, side), (x, y))
        draw.ellipse((x + 8, y + 8, x + 62, y + 62), fill=BADGE, outline=CARD, width=3)
        draw.text((x + 35, y + 35), str(n + 1), fill=(255, 255, 255), font=badge_face,
                  anchor="mm")
        text_x, text_y = x + 12, y + side + 8
        if tile.colour is not None:  # a chip before the title, outlined so white shows
            draw.rounded_rectangle((text_x, text_y + 4, text_x + chip, text_y + 4 + chip),
                                   radius=5, fill=tile.colour, outline=(150, 150, 150))
            text_x += chip + 10
        for i, words in enumerate(_lines(tile.title, text_face, x + side - 12 - text_x, draw)):
            draw.text((text_x, text_y + i * line), words, fill=INK, font=text_face)
        if tile.price:
            draw.text((x + 12, text_y + 2 * line), _fit(tile.price, text_face, side - 24, draw),
                      fill=(170, 30, 40), font=text_face)
    return canvas
