"""inference.core.wording: English reads as the parser's own names; Ukrainian and Russian
phrases agree with the noun; Chinese runs together; unknown keys never crash."""

from __future__ import annotations

import pytest

from inference.core import wording
from inference.core.colour import Colour
from inference.core.colour_names import FASHION_COLOURS
from inference.core.garments import DISPLAY_NAME
from inference.parsing.outfit import Item

PATTERNS = ("solid", "striped", "checked", "dotted", "floral", "printed")


def garment(category: str, colour_name: str, family: str, pattern: str = "solid",
            fine_label: str | None = None) -> dict:
    colour = Colour((10, 20, 30), 1.0, colour_name, family)
    return Item(category, [colour], pattern, 0.3, (0, 0, 10, 10), fine_label).as_dict()


def test_english_is_the_parsers_own_name() -> None:
    """Every colour name, pattern and garment: item_phrase is Item.name, summary is
    Outfit.summary's join."""
    items = [
        garment(category, name, family, pattern, fine)
        for name, family, *_ in FASHION_COLOURS
        for pattern in PATTERNS
        for category, fine in [*((c, None) for c in DISPLAY_NAME), ("pants", "jeans")]
    ]
    assert len(items) > 1000
    for item in items:
        assert wording.item_phrase(item, "en") == item["name"]
    assert wording.summary({"items": items[:5]}, "en") == " · ".join(i["name"] for i in items[:5])
    assert wording.list_words(["a", "b", "a", "", "c"], "en") == "a, b and c"
    assert wording.list_words(["a"], "en") == "a" and wording.list_words([], "en") == ""


def test_english_words() -> None:
    assert wording.noun_word("jacket") == "jacket"
    assert wording.colour_word("mustard") == "mustard"
    assert wording.family_word("gray") == "grey"
    assert wording.style_word("pinup") == "pin-up"
    assert wording.indicator_word("black shoes") == "black shoes"
    item = garment("outer", "steel blue", "blue", "striped")
    assert wording.item_phrase(item, "en", by_family=True) == "striped blue jacket"


@pytest.mark.usefixtures("tiny_languages")
def test_ukrainian_phrase_agrees_with_the_noun() -> None:
    assert wording.item_phrase(garment("top", "navy", "navy", "striped"), "uk") == (
        "смугастий темно-синій топ")
    assert wording.item_phrase(garment("dress", "navy", "navy"), "uk") == "темно-синя сукня"
    assert wording.item_phrase(garment("dress", "navy", "navy", "printed"), "uk") == (
        "темно-синя сукня")  # printed, like solid, is not said
    jeans = garment("pants", "steel blue", "blue", fine_label="jeans")
    assert wording.item_phrase(jeans, "uk") == "сталево-сині джинси"
    assert wording.item_phrase(jeans, "uk", by_family=True) == "сині джинси"
    assert wording.colour_word("mustard", "uk", "f") == "гірчична"
    assert wording.pattern_word("striped", "uk", "pl") == "смугасті"
    assert wording.noun_gender("dress", "uk") == "f"
    assert wording.list_words(["a", "b", "c"], "uk-UA") == "a, b і c"
    assert wording.summary({"items": [jeans, garment("bag", "mustard", "yellow")]}, "uk") == (
        "сталево-сині джинси · гірчична сумка")
    assert wording.style_word("goth", "uk") == "готичний стиль"
    assert wording.indicator_word("black shoes", "uk") == "чорне взуття"


@pytest.mark.usefixtures("tiny_languages")
def test_russian_phrase_agrees_with_the_noun() -> None:
    assert wording.item_phrase(garment("dress", "navy", "navy", "striped"), "ru") == (
        "полосатое тёмно-синее платье")
    assert wording.item_phrase(garment("pants", "navy", "navy", fine_label="jeans"), "ru_RU") == (
        "тёмно-синие джинсы")
    assert wording.item_phrase(garment("skirt", "steel blue", "blue"), "ru", by_family=True) == (
        "синяя юбка")


@pytest.mark.usefixtures("tiny_languages")
def test_chinese_phrase_runs_together() -> None:
    assert wording.item_phrase(garment("top", "navy", "navy", "striped"), "zh") == "藏青色条纹上衣"
    assert wording.item_phrase(garment("dress", "steel blue", "blue"), "zh", by_family=True) == (
        "蓝色连衣裙")
    assert wording.list_words(["上衣", "包", "夹克"], "zh") == "上衣、包和夹克"


@pytest.mark.usefixtures("tiny_languages")
def test_unknown_words_fall_back_to_english_then_to_the_key() -> None:
    # burgundy and the hat have no Ukrainian word in the fixture: English fills in
    assert wording.item_phrase(garment("hat", "burgundy", "red"), "uk") == "burgundy hat"
    assert wording.colour_word("ultraviolet", "uk", "f") == "ultraviolet"
    assert wording.noun_word("cape", "zh") == "cape"
    assert wording.noun_gender("cape", "uk") == "m"
    assert wording.style_word("vaporwave", "ru") == "vaporwave"
    assert wording.indicator_word("a new indicator", "zh") == "a new indicator"
    assert wording.pattern_word("paisley", "klingon") == "paisley"  # an unknown locale: English
    odd = {"category": "cape", "colour_name": "ultraviolet", "colour_family": "purple",
           "pattern": "paisley"}
    assert wording.item_phrase(odd, "uk") == "paisley ultraviolet cape"
