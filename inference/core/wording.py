"""What the parser saw, in words of a language (prompts/<lang>/vocab.yaml).

The parser's own names (Item.name "striped navy top", Outfit.summary) stay English: they are data,
stored and matched on. Replies turn them into the user's language here, with Ukrainian and
Russian adjectives agreeing with their noun ("темно-синя сукня", "темно-сині джинси").
"""

from __future__ import annotations

import prompts
from inference.core.garments import DISPLAY_NAME

PLAIN_PATTERNS = frozenset({"solid", "printed"})


def _vocab(locale: str) -> dict:
    return prompts.load("vocab", locale)


def _form(word: object, gender: str) -> str:
    """An adjective's form for the noun's gender ({m, f, n, pl}), or the word itself."""
    if isinstance(word, dict):
        return str(word.get(gender) or word.get("m") or next(iter(word.values()), ""))
    return str(word)


def _noun_entry(noun: str, locale: str) -> tuple[str, str]:
    entry = _vocab(locale).get("nouns", {}).get(noun, noun)
    if isinstance(entry, dict):
        return str(entry.get("word", noun)), str(entry.get("gender", "m"))
    return str(entry), "pl" if noun in ("pants", "shorts", "shoes", "glasses", "tights", "jeans") \
        else "m"


def noun_word(noun: str, locale: str) -> str:
    return _noun_entry(noun, locale)[0]


def noun_gender(noun: str, locale: str) -> str:
    return _noun_entry(noun, locale)[1]


def colour_word(colour_name: str, locale: str, gender: str = "m") -> str:
    return _form(_vocab(locale).get("colours", {}).get(colour_name, colour_name), gender)


def family_word(family: str, locale: str, gender: str = "m") -> str:
    return _form(_vocab(locale).get("families", {}).get(family, family), gender)


def pattern_word(pattern: str, locale: str, gender: str = "m") -> str:
    return _form(_vocab(locale).get("patterns", {}).get(pattern, pattern), gender)


def style_word(style: str, locale: str) -> str:
    return str(_vocab(locale).get("styles", {}).get(style, style))


def indicator_word(text: str, locale: str) -> str:
    return str(_vocab(locale).get("indicators", {}).get(text, text))


def item_noun(item: dict) -> str:
    """The vocab key of an item's noun: its fine label ("jeans") or its class's display name."""
    return item.get("fine_label") or DISPLAY_NAME[item["category"]]


def item_phrase(item: dict, locale: str, by_family: bool = False) -> str:
    """'striped navy top' / 'смугастий темно-синій топ' / '藏青色条纹上衣' for an item of
    Outfit.as_dict()["items"]; with `by_family`, the colour family instead of the colour name."""
    noun = item_noun(item)
    word, gender = _noun_entry(noun, locale)
    colour = (family_word(item["colour_family"], locale, gender) if by_family
              else colour_word(item["colour_name"], locale, gender))
    pattern = "" if item.get("pattern", "solid") in PLAIN_PATTERNS \
        else pattern_word(item["pattern"], locale, gender)
    phrase = _vocab(locale).get("phrase", "{pattern} {colour} {noun}")
    return " ".join(phrase.format(pattern=pattern, colour=colour, noun=word).split())


def list_words(words: list[str], locale: str) -> str:
    """'a, b and c' as the language joins a list."""
    vocab = _vocab(locale)
    if len(words) < 2:
        return "".join(words)
    rest = vocab.get("list_sep", ", ").join(words[:-1])
    return vocab.get("list_and", "{rest} and {last}").format(rest=rest, last=words[-1])


def summary(outfit: dict, locale: str) -> str:
    """The outfit's garments, as Outfit.summary, in `locale`."""
    return " · ".join(item_phrase(i, locale) for i in outfit.get("items", []))
