"""The overlay legend shows each garment's measured colour beside its name."""

from __future__ import annotations

import numpy as np
from PIL import Image

from inference.core.drawing import CLASS_COLOURS, overlay_picture
from inference.core.garments import CLASS_INDEX


def test_the_legend_swatch_is_the_garments_measured_colour() -> None:
    photo = Image.new("RGB", (60, 80), (200, 200, 200))
    labels = np.zeros((80, 60), dtype=np.uint8)
    labels[10:40] = CLASS_INDEX["top"]
    navy = (31, 42, 68)
    overlay = np.asarray(overlay_picture(photo, labels, {CLASS_INDEX["top"]: "navy top"},
                                         measured={CLASS_INDEX["top"]: navy}))
    legend = overlay[:, 60:]
    assert tuple(legend[18, 25]) == navy  # the swatch, inside its outline
    assert tuple(legend[18, 12]) == CLASS_COLOURS[CLASS_INDEX["top"]]  # the tint's key
    without = np.asarray(overlay_picture(photo, labels, {CLASS_INDEX["top"]: "navy top"}))
    assert tuple(without[18, 60 + 20]) == CLASS_COLOURS[CLASS_INDEX["top"]]  # as before


def test_side_by_side_captions_get_a_font_with_their_letters(monkeypatch) -> None:
    """A before/after in Ukrainian ("Зараз" / "Ідея: чорний") must not be drawn in the Latin
    bitmap font, which shows Cyrillic as boxes."""
    from inference.core import drawing

    asked: list[str] = []
    real = drawing.font

    def spy(size: int, text: str = ""):  # noqa: ANN202
        asked.append(text)
        return real(size, text)

    monkeypatch.setattr(drawing, "font", spy)
    photo = Image.new("RGB", (60, 90), "white")
    drawing.side_by_side(photo, photo, ("Зараз", "Ідея: чорний"))
    assert any("Зараз" in t and "чорний" in t for t in asked)
    assert "DejaVu" in str(getattr(real(34, "Зараз"), "path", ""))  # one with Cyrillic letters
