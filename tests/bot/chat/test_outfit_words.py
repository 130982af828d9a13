"""The overlay's legend and the palette's swatches are worded in the user's language."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from bot.chat.flows import outfit as flow
from inference.core.colour import Colour
from inference.core.garments import CLASS_INDEX


def test_legend_and_palette_words_follow_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict = {}
    real_overlay, real_palette = flow.pictures.overlay_picture, flow.pictures.palette_picture
    monkeypatch.setattr(flow.pictures, "overlay_picture", lambda image, labels, names, **kw: (
        seen.setdefault("names", names), real_overlay(image, labels, names, **kw))[1])
    monkeypatch.setattr(flow.pictures, "palette_picture", lambda colours: (
        seen.setdefault("palette", [c.name for c in colours]), real_palette(colours))[1])
    labels = np.zeros((40, 30), dtype=np.uint8)
    labels[:10], labels[10:20] = CLASS_INDEX["hair"], CLASS_INDEX["skin"]
    parsed = SimpleNamespace(image=Image.new("RGB", (30, 40)), labels=labels, items=[],
                             palette=lambda: [Colour((30, 40, 90), 1.0, "navy", "navy")])
    flow.render_outfit(parsed, "uk")
    assert seen["names"][CLASS_INDEX["skin"]] == "шкіра"
    assert seen["names"][CLASS_INDEX["hair"]] == "волосся"
    assert seen["palette"] == ["темно-синій"]
