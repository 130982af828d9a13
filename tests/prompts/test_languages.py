"""Every text exists in every language, with the same placeholders, and reads as that language."""

from __future__ import annotations

import re
import string

import pytest

import prompts
from inference.text.language import detect

FILES = sorted(p.stem for p in (prompts.ROOT / "en").glob("*.yaml"))
TEXT_FILES = sorted(p.name for p in (prompts.ROOT / "en").glob("*.txt"))
#: Lexicons: each language writes its own words and patterns, not a translation of the keys.
OWN_WORDS = {"intents", "prefs"}


def paths(data: object, prefix: str = "") -> dict[str, object]:
    """key path -> leaf (lists of variants count as one leaf)."""
    if isinstance(data, dict):
        out: dict[str, object] = {}
        for k, v in data.items():
            out.update(paths(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: data}


def fields(text: object) -> set[str]:
    texts = text if isinstance(text, list) else [text]
    return {f for t in texts if isinstance(t, str)
            for _, f, _, _ in string.Formatter().parse(t) if f}


@pytest.mark.parametrize("lang", [lang for lang in prompts.LANGS if lang != "en"])
@pytest.mark.parametrize("name", FILES)
def test_every_key_is_written_in_every_language(lang: str, name: str) -> None:
    english, own = paths(prompts.own(name, "en")), paths(prompts.own(name, lang))
    if name in OWN_WORDS:
        english = {k: v for k, v in english.items() if k.split(".")[0] not in
                   ("patterns", "avoid_patterns", "like_patterns", "colours", "garments",
                    "styles", "occasions", "restyle", "cheaper", "days", "ordinals", "sides")}
    # a word may be written as its forms ({m, f, n, pl}) where English has one string
    missing = sorted(k for k in english if k not in own
                     and not any(o.startswith(k + ".") for o in own))
    assert not missing, f"prompts/{lang}/{name}.yaml lacks {missing[:10]}"


@pytest.mark.parametrize("lang", [lang for lang in prompts.LANGS if lang != "en"])
@pytest.mark.parametrize("name", ["replies", "talk", "page", "web"])
def test_placeholders_match_english(lang: str, name: str) -> None:
    english, own = paths(prompts.own(name, "en")), paths(prompts.own(name, lang))
    wrong = [k for k, v in own.items() if k in english and not fields(v) <= fields(english[k])]
    assert not wrong, f"prompts/{lang}/{name}.yaml uses placeholders English lacks: {wrong[:5]}"


@pytest.mark.parametrize("lang", prompts.LANGS)
@pytest.mark.parametrize("name", TEXT_FILES)
def test_text_prompts_exist(lang: str, name: str) -> None:
    assert prompts.text_file(name, lang).strip()


@pytest.mark.parametrize("lang", prompts.LANGS)
def test_replies_read_as_their_language(lang: str) -> None:
    """Long replies are recognisably in their language (the detector the bot itself uses)."""
    texts = [v for v in paths(prompts.own("replies", lang)).values()
             if isinstance(v, str) and len(re.sub(r"[{].*?[}]|/\w+", "", v)) > 60]
    assert texts
    right = sum(detect(re.sub(r"[{].*?[}]|/\w+", "", t)).lang == lang for t in texts)
    assert right / len(texts) >= 0.95


def test_a_missing_key_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts.load.cache_clear()
    real = prompts.own

    def without_help(name: str, locale: str) -> dict:
        data = dict(real(name, locale))
        if locale == "uk":
            data.pop("help", None)
        return data

    monkeypatch.setattr(prompts, "own", without_help)
    try:
        assert prompts.reply("help", "uk") == prompts.reply("help", "en")
        assert prompts.reply("start", "uk", name="A") != prompts.reply("start", "en", name="A")
    finally:
        prompts.load.cache_clear()
