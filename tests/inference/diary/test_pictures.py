"""Diary pictures speak the user's language, and Chinese and Cyrillic render (no glyph is
missing from the fonts matplotlib draws with)."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import pytest

from inference.diary import pictures as pics

NAVY_TOP = {"category": "top", "fine_label": None, "colour_name": "navy", "colour_family": "navy",
            "rgb": [30, 40, 90], "pattern": "striped", "area": 0.4, "box": [0, 0, 1, 0.5]}


def missing_glyphs(draw) -> list[str]:  # noqa: ANN001 - a drawing callable
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw()
    assert png.startswith(b"\x89PNG")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize("lang", ["zh", "uk"])
def test_the_weekly_picture_renders_every_glyph(lang: str) -> None:
    card = pics.item_card({"items": [NAVY_TOP]}, lang)
    monday = date(2026, 1, 5)
    week = [pics.WeekDay(monday + timedelta(days=i), [card, card] if i == 0 else [])
            for i in range(7)]
    assert missing_glyphs(lambda: pics.weekly_picture(
        week, {"navy": 0.7, "white": 0.3}, [("casual", 2)], "你的一周：1月5日 至 1月11日",
        "Твій тиждень", lang)) == []


def test_the_taste_picture_renders_every_glyph() -> None:
    rows = [pics.TasteRow("藏青色", 0.8, (30, 40, 90), said=True), pics.TasteRow("条纹", -0.5)]
    assert missing_glyphs(lambda: pics.taste_picture([("颜色", rows)], "zh")) == []


def test_words_on_the_pictures_follow_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    from matplotlib.axes import Axes

    for method in ("set_title", "set_xlabel", "text"):
        original = getattr(Axes, method)
        monkeypatch.setattr(Axes, method, lambda self, *a, _o=original, **k: (
            drawn.extend(str(x) for x in a if isinstance(x, str)), _o(self, *a, **k))[1])
    monday = date(2026, 1, 5)
    week = [pics.WeekDay(monday + timedelta(days=i), [pics.item_card({"items": []}, "uk")] * 2
                         if i == 0 else []) for i in range(7)]
    pics.weekly_picture(week, {"navy": 1.0}, [], "", "", "uk")
    assert "Пн, 5" in drawn and "ще +1" in drawn and "без образу" in drawn
    assert not any(w in " ".join(drawn) for w in ("Mon", "more", "no outfit", "Colours"))
