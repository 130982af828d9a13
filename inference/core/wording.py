"""What the parser saw, in words of a language: the one place that names garments, colours,
patterns, styles and style indicators for people (prompts/<locale>/vocab.yaml).

The parser and every rule speak English keys ("top", "mustard", "yellow", "striped", "pinup");
these functions turn them into words of `locale`. Ukrainian and Russian adjectives agree with
the noun's gender ({m, f, n, pl} forms in vocab.yaml; "темно-синя сукня", "темно-сині джинси"),
Chinese puts the words together without spaces ("藏青色条纹上衣"). A key the locale has no word
for falls back to the English word (prompts.load fills it in), and a key English has no word
for is said as itself: nothing here raises on unknown input.

English reads exactly as the parser's own names do (`Item.name`, `Outfit.summary`).
"""

from __future__ import annotations

import re
from typing import Any

import prompts
from inference.core.garments import DISPLAY_NAME

#: Patterns a garment's name leaves out ("navy top", not "solid navy top").
UNNAMED_PATTERNS = frozenset({"solid", "printed"})
#: Grammatical genders vocab.yaml's adjective forms are keyed by.
GENDERS = ("m", "f", "n", "pl")
DEFAULT_GENDER = "m"


def _vocab(locale: str) -> dict:
    return prompts.load("vocab", locale)


def _entry(table: str, key: str, locale: str) -> Any:
    """vocab.yaml's entry for `key` under `table` (English filled in), or None."""
    entries = _vocab(locale).get(table) or {}
    return entries.get(key)


def _form(entry: Any, gender: str) -> str | None:
    """A plain word as it is; of an adjective's forms the one for `gender` (else masculine,
    else any); of a noun entry its word."""
    if entry is None:
        return None
    if isinstance(entry, dict):
        if "word" in entry:
            return str(entry["word"])
        for key in (gender, DEFAULT_GENDER, *GENDERS):
            if entry.get(key):
                return str(entry[key])
        return next((str(v) for v in entry.values() if v), None)
    return str(entry)


def noun_key(item: dict) -> str:
    """The English vocab key of a garment: its fine label ("jeans") or its class's display
    name ("jacket" for outer)."""
    return item.get("fine_label") or DISPLAY_NAME.get(item["category"], item["category"])


def noun_word(noun: str, locale: str = prompts.DEFAULT) -> str:
    """A garment noun ("top", "jacket", "jeans": an English vocab key) in `locale`."""
    return _form(_entry("nouns", noun, locale), DEFAULT_GENDER) or noun


def noun_gender(noun: str, locale: str = prompts.DEFAULT) -> str:
    """The noun's grammatical gender in `locale` (m, f, n or pl); "m" where the language or
    the entry says none."""
    entry = _entry("nouns", noun, locale)
    gender = entry.get("gender") if isinstance(entry, dict) else None
    return gender if gender in GENDERS else DEFAULT_GENDER


def colour_word(colour_name: str, locale: str = prompts.DEFAULT,
                gender: str = DEFAULT_GENDER) -> str:
    """A fashion colour name ("mustard", "steel blue") as an adjective agreeing with `gender`."""
    return _form(_entry("colours", colour_name, locale), gender) or colour_name


def family_word(family: str, locale: str = prompts.DEFAULT, gender: str = DEFAULT_GENDER) -> str:
    """A colour family ("gray", "navy") in words ("grey"), agreeing with `gender` where the
    language inflects."""
    return _form(_entry("families", family, locale), gender) or family


def pattern_word(pattern: str, locale: str = prompts.DEFAULT, gender: str = DEFAULT_GENDER) -> str:
    """A pattern ("striped", "checked") as an adjective agreeing with `gender`."""
    return _form(_entry("patterns", pattern, locale), gender) or pattern


def style_word(style: str, locale: str = prompts.DEFAULT) -> str:
    """A style key of prompts/styles.yaml ("pinup") as people say it ("pin-up")."""
    return _form(_entry("styles", style, locale), DEFAULT_GENDER) or style


def indicator_word(text: str, locale: str = prompts.DEFAULT) -> str:
    """A style indicator's English text (prompts/styles.yaml, "black shoes") in `locale`."""
    return _form(_entry("indicators", text, locale), DEFAULT_GENDER) or text


def item_phrase(item: dict, locale: str = prompts.DEFAULT, by_family: bool = False) -> str:
    """A garment (Outfit.as_dict()["items"][i]) named by pattern, colour and noun, in the
    locale's word order and agreeing with the noun: "striped navy top", "смугастий темно-синій
    топ", "藏青色条纹上衣". Solid and printed garments have no pattern word; `by_family` names
    the colour family ("blue top") instead of the fashion name ("steel blue top")."""
    noun = noun_key(item)
    gender = noun_gender(noun, locale)
    colour = (family_word(item["colour_family"], locale, gender) if by_family
              else colour_word(item["colour_name"], locale, gender))
    pattern = item.get("pattern") or "solid"
    words = {
        "pattern": "" if pattern in UNNAMED_PATTERNS else pattern_word(pattern, locale, gender),
        "colour": colour,
        "noun": noun_word(noun, locale),
    }
    template = _vocab(locale).get("phrase") or "{pattern} {colour} {noun}"
    return re.sub(r"\s+", " ", template.format(**words)).strip()


def joined(words: list[str], locale: str = prompts.DEFAULT) -> str:
    """Words as a list without "and" ("khaki, black" / "卡其色、黑色"): vocab.yaml's list_sep."""
    return str(_vocab(locale).get("list_sep", ", ")).join(w for w in words if w)


def sentences(parts: list[str], locale: str = prompts.DEFAULT) -> str:
    """Sentences of one reply run together: with a space, without one in Chinese ("很搭。也就是
    换掉..."), vocab.yaml's sentence_sep."""
    return str(_vocab(locale).get("sentence_sep", " ")).join(p for p in parts if p)


def bullet(text: str, locale: str = prompts.DEFAULT) -> str:
    """A reason as a list line: "• The black shoes in A tie in....", "• B 只用了 3 个色系。"
    (capitalised, and the locale's full stop, vocab.yaml's full_stop)."""
    return f"• {text[:1].upper()}{text[1:]}{_vocab(locale).get('full_stop', '.')}"


def list_words(words: list[str], locale: str = prompts.DEFAULT) -> str:
    """Words in prose, repeats and blanks dropped: "a", "a and b", "a, b and c" (vocab.yaml's
    list_sep and list_and)."""
    words = list(dict.fromkeys(w for w in words if w))
    if len(words) <= 1:
        return "".join(words)
    vocab = _vocab(locale)
    sep = vocab.get("list_sep", ", ")
    last = vocab.get("list_and") or "{rest} and {last}"
    return last.format(rest=sep.join(words[:-1]), last=words[-1])


def summary(outfit: dict, locale: str = prompts.DEFAULT) -> str:
    """The outfit's garments named and joined by " · ", as Outfit.summary does in English."""
    return " · ".join(item_phrase(item, locale) for item in outfit.get("items", []))
