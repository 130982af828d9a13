"""Diary pictures: item cards (no photo needed), thumbnails, the history strip, the weekly summary
(collage plus colour and style charts, matplotlib Agg) and the /prefs taste picture."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ParamSpec

import numpy as np
from PIL import Image, ImageDraw, ImageOps

import prompts
from inference.core import wording
from inference.core.colour import FAMILY_RGB
from inference.core.drawing import font, plot_fonts, png_bytes

P = ParamSpec("P")

CARD = (180, 270)


def _ink(rgb: Sequence[int]) -> tuple[int, int, int]:
    """Black or white text, whichever reads better on `rgb`."""
    r, g, b = rgb[:3]
    return (20, 20, 20) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (250, 250, 250)


def item_card(summary: dict, locale: str = prompts.DEFAULT,
              size: tuple[int, int] = CARD) -> Image.Image:
    """The outfit as colour bands, top to bottom as worn, each named in `locale`: no photo
    involved."""
    width, height = size
    card = Image.new("RGB", size, (250, 250, 248))
    draw = ImageDraw.Draw(card)
    items = sorted(summary.get("items", []), key=lambda i: (i["box"][1] + i["box"][3]) / 2)
    if not items:
        empty = prompts.reply("card_nothing_named", locale)
        draw.text((10, height // 2 - 8), empty, fill=(120, 120, 120), font=font(14, empty))
        return card
    weights = np.sqrt([max(i["area"], 0.01) for i in items])
    heights = np.maximum(20, weights / weights.sum() * (height - 4 * (len(items) + 1)))
    heights = heights * (height - 4 * (len(items) + 1)) / heights.sum()
    names = [wording.item_phrase(item, locale) for item in items]
    y, label_font = 4.0, font(13, "".join(names))
    for item, name, h in zip(items, names, heights, strict=True):
        rgb = tuple(item["rgb"])
        draw.rounded_rectangle([4, y, width - 5, y + h], radius=6, fill=rgb,
                               outline=(200, 200, 200))
        if h >= 16:
            draw.text((10, y + h / 2 - 8), name[:24],
                      fill=_ink(rgb), font=label_font)
        y += h + 4
    return card


def thumbnail(path: Path | str, size: tuple[int, int] = CARD) -> Image.Image:
    """A kept photo fitted into `size` on white."""
    with Image.open(path) as photo:
        image = ImageOps.exif_transpose(photo).convert("RGB")
    image.thumbnail(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, (250, 250, 248))
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return canvas


def history_strip(cards: Sequence[tuple[str, Image.Image]]) -> bytes:
    """Cards side by side (newest first), each with its date under it."""
    gap, band = 12, 28
    width = gap + len(cards) * (CARD[0] + gap)
    strip = Image.new("RGB", (width, CARD[1] + band + 2 * gap), "white")
    draw = ImageDraw.Draw(strip)
    for i, (label, card) in enumerate(cards):
        x = gap + i * (CARD[0] + gap)
        strip.paste(card.resize(CARD), (x, gap))
        label_font = font(15, label)
        text_w = draw.textlength(label, font=label_font)
        draw.text((x + (CARD[0] - text_w) / 2, gap + CARD[1] + 6), label, fill=(50, 50, 50),
                  font=label_font)
    return png_bytes(strip)


@dataclass
class WeekDay:
    day: date
    pictures: list[Image.Image]  # the day's outfits (thumbnails or item cards), latest first


def _in_any_script(draw: Callable[P, bytes]) -> Callable[P, bytes]:
    """Draw with fonts that have Cyrillic and Han glyphs (matplotlib's default has no Han). The
    fonts are rcParams, read as each text is made and drawn, so the whole drawing runs inside."""
    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> bytes:
        import matplotlib

        with matplotlib.rc_context({"font.family": plot_fonts()}):
            return draw(*args, **kwargs)
    return drawn


def _figure(width: float, height: float):  # noqa: ANN202 - matplotlib Figure
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, facecolor="white")


def _png(figure) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    figure.savefig(buf, format="png", facecolor="white")
    return buf.getvalue()


@_in_any_script
def weekly_picture(days: Sequence[WeekDay], colours: dict[str, float],
                   styles: Sequence[tuple[str, int]], title: str, subtitle: str,
                   locale: str = prompts.DEFAULT) -> bytes:
    """Seven day tiles, then the colour distribution and the styles worn as bar charts; days,
    colours and styles worded in `locale`."""
    fig = _figure(12, 8)
    fig.text(0.03, 0.955, title, fontsize=20, fontweight="bold", va="center")
    fig.text(0.03, 0.905, subtitle, fontsize=13, color="#555555", va="center")
    tiles = fig.add_gridspec(1, 7, left=0.03, right=0.98, top=0.84, bottom=0.43, wspace=0.12)
    for i, entry in enumerate(days):
        ax = fig.add_subplot(tiles[0, i])
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#dddddd")
        ax.set_title(prompts.short_date(entry.day, locale, "weekday_day"), fontsize=12)
        if entry.pictures:
            ax.imshow(np.asarray(entry.pictures[0].resize(CARD)))
            if len(entry.pictures) > 1:
                ax.set_xlabel(prompts.reply("week_tile_more", locale, n=len(entry.pictures) - 1),
                              fontsize=10, color="#555555")
        else:
            ax.imshow(np.full((CARD[1], CARD[0], 3), 244, dtype=np.uint8))
            ax.text(CARD[0] / 2, CARD[1] / 2, prompts.reply("week_tile_empty", locale),
                    ha="center", va="center",
                    color="#999999", fontsize=11)
    charts = fig.add_gridspec(1, 2, left=0.09, right=0.97, top=0.33, bottom=0.05, wspace=0.35)
    ax = fig.add_subplot(charts[0, 0])
    ax.set_title(prompts.reply("week_chart_colours", locale), fontsize=12, loc="left")
    names = sorted((n for n in colours if colours[n] >= 0.01), key=lambda n: colours[n])[-7:]
    if names:
        shares = [colours[n] * 100 for n in names]
        ax.barh([wording.family_word(n, locale) for n in names], shares,
                color=[np.array(FAMILY_RGB[n]) / 255 for n in names], edgecolor="#bbbbbb")
        for y, share in enumerate(shares):
            ax.text(share + 1, y, f"{share:.0f}%", va="center", fontsize=10)
        ax.set_xlim(0, max(shares) * 1.2 + 5)
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    ax = fig.add_subplot(charts[0, 1])
    ax.set_title(prompts.reply("week_chart_styles", locale), fontsize=12, loc="left")
    if styles:
        labels = [wording.style_word(s, locale) for s, _ in styles][::-1]
        counts = [n for _, n in styles][::-1]
        ax.barh(labels, counts, color="#2e7d6b", height=0.6)
        ax.set_xlim(0, max(counts) + 0.5)
        ax.set_xticks(range(0, max(counts) + 1))
    else:
        ax.text(0.5, 0.5, prompts.reply("week_chart_no_style", locale), ha="center",
                va="center", color="#999999", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


@dataclass
class TasteRow:
    label: str
    score: float  # -1 (avoid) .. 1 (favourite)
    rgb: tuple[int, int, int] | None = None  # a swatch colour for colour rows
    said: bool = False  # the user said so (not learned)


@_in_any_script
def taste_picture(sections: Sequence[tuple[str, Sequence[TasteRow]]],
                  locale: str = prompts.DEFAULT) -> bytes:
    """/prefs: favourites (right, green or their own colour) and what to avoid (left, red);
    section titles and labels come worded, the rest is worded here in `locale`."""
    sections = [(t, rows) for t, rows in sections if rows]
    row_in, title_in, gap_in, top_in, bottom_in = 0.34, 0.3, 0.45, 0.6, 0.35
    height = top_in + bottom_in + sum(title_in + row_in * len(r) + gap_in for _, r in sections)
    fig = _figure(6.4, height)
    fig.text(0.03, 1 - 0.3 / height, prompts.reply("taste_picture_title", locale), fontsize=12,
             fontweight="bold", va="center")
    y = height - top_in
    for title, rows in sections:
        box = row_in * len(rows)
        # room on the left for labels that run longer in Ukrainian or Russian
        ax = fig.add_axes((0.38, (y - title_in - box) / height, 0.55, box / height))
        ax.set_title(title, fontsize=11, loc="left")
        labels = [prompts.reply("taste_you_said", locale, label=r.label) if r.said else r.label
                  for r in rows][::-1]
        values = [r.score for r in rows][::-1]
        colours = [np.array(r.rgb) / 255 if r.rgb and r.score > 0 else
                   ("#2e7d6b" if r.score > 0 else "#cf222e") for r in rows][::-1]
        ax.barh(labels, values, color=colours, edgecolor="#bbbbbb", height=0.7)
        ax.axvline(0, color="#888888", linewidth=1)
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xticks([-1, 0, 1], [prompts.reply("taste_axis_avoid", locale), "",
                                   prompts.reply("taste_axis_favourite", locale)], fontsize=9)
        ax.tick_params(axis="y", labelsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        y -= title_in + box + gap_in
    return _png(fig)
