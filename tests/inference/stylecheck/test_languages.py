"""Style Check in other languages: the same verdict and the same reasons, their words in the
locale (garments, colour families, styles, indicators, hue templates through wording)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from inference.core.garments import DISPLAY_NAME
from inference.stylecheck import check
from inference.stylecheck.features import FEATURES
from inference.stylecheck.registry import Look
from inference.styles.taste import Corrections, Profile

TODAY = date(2026, 11, 29)


def item(category: str, family: str, colour: str, rgb: tuple[int, int, int], area: float = 0.3,
         pattern: str = "solid", fine_label: str | None = None) -> dict:
    prefix = f"{pattern} " if pattern not in ("solid", "printed") else ""
    return {
        "category": category, "fine_label": fine_label, "colour_family": family,
        "colour_name": colour, "name": f"{prefix}{colour} {fine_label or DISPLAY_NAME[category]}",
        "pattern": pattern, "area": area, "box": [0, 0, 10, 10], "rgb": list(rgb),
        "colours": [{"family": family, "name": colour, "rgb": list(rgb), "share": 1.0}],
    }


LAYERED = {"skin_share": 0.2, "items": [
    item("outer", "black", "black", (20, 20, 20), 0.4),
    item("dress", "navy", "navy", (31, 42, 68), 0.3),
    item("footwear", "black", "black", (20, 20, 20), 0.1),
]}
CHROMATIC = {"skin_share": 0.3, "items": [
    item("top", "navy", "navy", (31, 42, 68), 0.3, "striped"),
    item("pants", "blue", "steel blue", (70, 130, 180), 0.3, fine_label="jeans"),
    item("bag", "yellow", "mustard", (225, 173, 1), 0.05),
]}
OUTFITS = [LAYERED, CHROMATIC, {"skin_share": 0.4, "items": [
    item("skirt", "red", "burgundy", (128, 0, 32), 0.3, "checked"),
    item("top", "gray", "grey", (140, 140, 140), 0.3),
    item("hat", "brown", "brown", (111, 78, 55), 0.03),
]}]


@pytest.mark.usefixtures("tiny_languages")
def test_explanation_slots_are_in_the_locale() -> None:
    win, lose = Look(LAYERED, TODAY, locale="uk"), Look(CHROMATIC, TODAY, locale="uk")
    assert FEATURES["layering"].explain(win, lose) == {
        "outer": "чорна куртка", "inner": "темно-синя сукня"}
    assert FEATURES["colour_count"].explain(win, lose) == {
        "n": 2, "families": "чорний і темно-синій"}
    chromatic = Look(CHROMATIC, TODAY, locale="zh")
    assert FEATURES["neutral_balance"].explain(chromatic, lose) == {
        "accent": "钢蓝色牛仔裤", "neutrals": "藏青色条纹上衣"}
    # English reads as it always has (the family key "gray", the parser's names)
    english = Look(OUTFITS[2], TODAY)
    # the families the feature counts: the brown hat, under 5% of the colour, is not one
    assert FEATURES["colour_count"].explain(english, win)["families"] == "gray and red"


def test_many_colour_families_are_never_called_few() -> None:
    """A winner with fewer families than the loser but still many is not told it "keeps to 5
    colour families, so it reads calm" (said of 7 before, in a Style Check tried as a user)."""
    families = [("red", (200, 0, 0)), ("blue", (0, 0, 200)), ("green", (0, 150, 0)),
                ("yellow", (230, 220, 0)), ("purple", (120, 0, 120)), ("orange", (240, 130, 0)),
                ("pink", (240, 150, 180))]
    kinds = ["top", "pants", "outer", "footwear", "bag", "hat", "scarf"]

    def outfit(n: int) -> dict:
        pieces = zip(kinds[:n], families[:n], strict=True)
        return {"skin_share": 0.3, "items": [item(k, f, f, rgb, 0.14) for k, (f, rgb) in pieces]}

    five, seven = Look(outfit(5), TODAY), Look(outfit(7), TODAY)
    assert FEATURES["colour_count"].compute(five) > FEATURES["colour_count"].compute(seven)
    assert FEATURES["colour_count"].explain(five, seven) is None
    three = Look(outfit(3), TODAY)
    assert FEATURES["colour_count"].explain(three, seven)["n"] == 3


@pytest.mark.usefixtures("tiny_languages")
def test_check_in_ukrainian_gives_the_same_verdict_and_reasons_in_its_words() -> None:
    for a, b in itertools.permutations(OUTFITS, 2):
        english = check(a, b, [], [], Profile(), TODAY)
        ukrainian = check(a, b, [], [], Profile(), TODAY, locale="uk-UA")
        assert ukrainian.verdict == english.verdict
        assert [r["feature"] for r in ukrainian.reasons] == [r["feature"] for r in english.reasons]
        assert ukrainian.headline != english.headline
        for uk, en in zip(ukrainian.reasons, english.reasons, strict=True):
            assert {k: v for k, v in uk.items() if k != "text"} == {
                k: v for k, v in en.items() if k != "text"}
            assert "{" not in uk["text"]
            letter = "A" if english.verdict.winner == "a" else "B"
            if uk["feature"] == "layering":
                assert uk["text"] == f"чорна куртка поверх темно-синя сукня додає {letter} глибини"


@pytest.mark.usefixtures("tiny_languages")
def test_a_correction_holds_in_every_language() -> None:
    """A reason naming what the user avoids is dropped in Ukrainian as in English."""
    profile = Profile(corrections=Corrections(avoid=frozenset({"garment:outer"})))
    english = check(LAYERED, CHROMATIC, [], [], profile, TODAY)
    ukrainian = check(LAYERED, CHROMATIC, [], [], profile, TODAY, locale="uk")
    assert "layering" not in [r["feature"] for r in english.reasons]
    assert [r["feature"] for r in ukrainian.reasons] == [r["feature"] for r in english.reasons]
