"""Comments in four languages: slots from inference.core.wording, keys for any script,
garment nouns and banned words of the locale, and every template of the real files filled."""

from __future__ import annotations

import random
import re
from hashlib import sha1

import pytest

import prompts
from inference.comments.lm import LMCommenter
from inference.comments.templates import (
    _fill,
    _garment_slots,
    _word_slots,
    comment_texts,
    make_comments,
    named_items,
    text_key,
    violations,
)
from inference.core import wording
from inference.core.garments import DISPLAY_NAME


def item(category: str, family: str, colour: str, area: float = 0.3, pattern: str = "solid",
         fine_label: str | None = None) -> dict:
    noun = fine_label or DISPLAY_NAME[category]
    prefix = f"{pattern} " if pattern not in ("solid", "printed") else ""
    return {
        "category": category,
        "colour_family": family,
        "colour_name": colour,
        "name": f"{prefix}{colour} {noun}",
        "pattern": pattern,
        "area": area,
        "fine_label": fine_label,
        "confidence": 0.95,
        "colours": [{"family": family, "name": colour, "rgb": [20, 30, 60], "share": 1.0}],
        "box": [0, 0, 10, 10],
        "rgb": [20, 30, 60],
    }


OUTFIT = {
    "summary": "striped navy top · steel blue jeans · navy dress",
    "items": [
        item("top", "navy", "navy", 0.3, "striped"),
        item("pants", "blue", "steel blue", 0.3, fine_label="jeans"),
        item("dress", "navy", "navy", 0.2),
        item("bag", "yellow", "mustard", 0.05),
    ],
}


def test_text_key_keeps_english_keys_and_reads_any_script() -> None:
    # English keys are what they were (stored ones still match): a-z only, lower-cased
    assert text_key("Love it, 10/10! ✨") == sha1(b"loveit").hexdigest()[:16]
    assert text_key("这件上衣真好看！") != text_key("这条连衣裙真好看！")
    assert text_key("这件上衣真好看！") != text_key("✨")
    assert text_key("Гарна СУКНЯ!") == text_key("гарна сукня 🔥")
    assert text_key("Гарна сукня") != text_key("Гарна куртка")


@pytest.mark.usefixtures("tiny_languages")
def test_violations_catch_a_localised_garment_not_in_the_photo() -> None:
    assert violations("Смугастий темно-синій топ: дуже гарний!", OUTFIT, "uk") == []
    assert violations("Яка гарна спідниця!", OUTFIT, "uk")  # no skirt: a prefs.yaml word
    assert violations("Класна куртка!", OUTFIT, "uk")  # no jacket: a vocab.yaml noun
    assert violations("Гарні кросівки", OUTFIT, "uk")
    assert violations("Ця сукня підкреслює талію", OUTFIT, "uk")  # banned in Ukrainian
    assert violations("So slimming", OUTFIT, "uk")  # English banned words hold everywhere
    assert violations("Полосатый топ и юбка", OUTFIT, "ru")
    # Chinese has no word boundaries: nouns match inside a sentence, longest first
    assert violations("这条连衣裙真好看", OUTFIT, "zh") == []  # a dress, not "裙" (a skirt)
    assert violations("这条裙子真好看", OUTFIT, "zh")
    assert violations("这双运动鞋真好看", OUTFIT, "zh")
    assert violations("身材真好", OUTFIT, "zh")
    assert named_items("这条连衣裙和牛仔裤", OUTFIT["items"], "zh") == OUTFIT["items"][1:3]
    assert named_items("Джинси — вогонь", OUTFIT["items"], "uk") == [OUTFIT["items"][1]]


@pytest.mark.usefixtures("tiny_languages")
def test_ukrainian_comments_name_agreeing_garments() -> None:
    comments = make_comments(OUTFIT, n=5, seed=1, locale="uk")
    assert len(comments) == 5
    phrases = {
        name: {wording.item_phrase(i, "uk"), wording.item_phrase(i, "uk", by_family=True),
               wording.noun_word(wording.noun_key(i), "uk")}
        for name, i in ((i["name"], i) for i in OUTFIT["items"])
    }
    for c in comments:
        assert re.search("[а-яіїєґ]", c.text, re.IGNORECASE), c.text
        assert "{" not in c.text and not violations(c.text, OUTFIT, "uk"), c.text
        assert c.text[0].isupper() or not c.text[0].isalpha(), c.text
        for name in c.items:
            assert any(p in c.text.lower() for p in phrases[name]), c.text
    assert len({text_key(c.text) for c in comments}) == 5
    # the same outfit and seed say the same
    assert [c.text for c in make_comments(OUTFIT, 5, 1, locale="uk")] == [c.text for c in comments]
    # adjectives agree: the dress (feminine) is never "темно-синій" in a dress-only comment
    dress = [c for c in comments if c.items == ["navy dress"]]
    assert all("темно-синій сукня" not in c.text.lower() for c in dress)


@pytest.mark.usefixtures("tiny_languages")
def test_chinese_comments_run_together_and_do_not_collide() -> None:
    comments = make_comments(OUTFIT, n=3, seed=2, locale="zh")
    assert len(comments) == 3 and len({text_key(c.text) for c in comments}) == 3
    for c in comments:
        assert " " not in c.text.strip(), c.text
        assert not violations(c.text, OUTFIT, "zh"), c.text
        assert c.items and re.search("[\u4e00-\u9fff]", c.text), c.text


@pytest.mark.usefixtures("tiny_languages")
def test_a_language_without_templates_comments_in_english() -> None:
    assert comment_texts("ru")[0] == "en"  # the fixture's Russian comments.yaml is empty
    english = [c.text for c in make_comments(OUTFIT, 3, 4)]
    assert [c.text for c in make_comments(OUTFIT, 3, 4, locale="ru")] == english


@pytest.mark.usefixtures("tiny_languages")
def test_lm_prompt_names_garments_in_the_locale() -> None:
    lm = object.__new__(LMCommenter)  # prompt() needs no model
    english = lm.prompt(OUTFIT)
    assert "striped navy top, steel blue jeans, navy dress, mustard bag" in english
    ukrainian = lm.prompt(OUTFIT, "uk")
    assert "смугастий темно-синій топ, сталево-сині джинси, темно-синя сукня і гірчична сумка" in (
        ukrainian)


@pytest.mark.parametrize("lang", prompts.LANGS)
def test_every_template_of_the_real_files_fills(lang: str) -> None:
    """With the real prompts/<lang>/comments.yaml: every template of every family fills
    from the slots that language gets (no KeyError), and comments come out."""
    if not (prompts.ROOT / lang / "comments.yaml").exists():
        pytest.skip(f"prompts/{lang}/comments.yaml is not written yet")
    locale, data, templates = comment_texts(lang)
    assert locale == lang, f"prompts/{lang}/comments.yaml lacks one_item or follow_up templates"
    rng = random.Random(0)
    first, second = OUTFIT["items"][0], OUTFIT["items"][1]
    slots = {
        **_word_slots(data, rng, locale),
        **_garment_slots(first, rng, locale=locale),
        **_garment_slots(second, rng, "2", locale),
        "style": "minimalist" if locale == "en" else wording.style_word("minimalist", locale),
    }
    for family, sentences in templates.items():
        for template in sentences:
            try:
                text = _fill(template, slots, rng)
            except (KeyError, IndexError, ValueError) as error:
                pytest.fail(f"{lang} {family}: {template!r}: {error!r}")
            assert "{" not in text, (family, template)
    comments = make_comments(OUTFIT, n=3, seed=5, locale=lang)
    assert len(comments) == 3
    assert all(not violations(c.text, OUTFIT, lang) for c in comments)
