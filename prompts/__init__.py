"""Every text people read, as data: one folder per language (en, uk, ru, zh).

English is complete by definition; another language may lack a key while it is being written,
and then that key's English text is used (tests/prompts/test_languages.py fails in CI when one
does). `reply()` looks a key up in replies.yaml, then talk.yaml.
"""

from __future__ import annotations

import random
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent
LANGS: tuple[str, ...] = ("en", "uk", "ru", "zh")
DEFAULT = "en"
#: The files `reply()` reads keys from, in order (a key must not be in both).
REPLY_FILES = ("replies", "talk")


def read_yaml(path: Path) -> Any:
    """A YAML file's data, parsed by libyaml's C loader where PyYAML was built with it (the
    prompts took 0.9 s to read in pure Python, 10 times as long; the same data)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe


def normalise(locale: str | None) -> str:
    """'uk-UA', 'ru_RU', 'zh-hans', 'ZH' -> a language we speak; anything else -> English."""
    lang = (locale or "").replace("_", "-").split("-")[0].lower()
    return lang if lang in LANGS else DEFAULT


def _merged(base: Any, over: Any) -> Any:
    """`over` with whatever it lacks taken from `base` (dicts merged key by key)."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {k: _merged(base[k], over[k]) if k in over and k in base
                else over.get(k, base.get(k)) for k in dict.fromkeys([*base, *over])}
    return base if over is None else over


@lru_cache(maxsize=64)
def own(name: str, locale: str) -> dict:
    """The file as written for that language ({} when it has none): what the tests check."""
    path = ROOT / locale / f"{name}.yaml"
    return read_yaml(path) or {} if path.exists() else {}


@lru_cache(maxsize=64)
def load(name: str, locale: str = DEFAULT) -> dict:
    """A prompts file in `locale`, any key it lacks filled in from English."""
    locale = normalise(locale)
    english = own(name, DEFAULT)
    return english if locale == DEFAULT else _merged(english, own(name, locale))


def text_file(name: str, locale: str = DEFAULT) -> str:
    """A plain-text prompt (the LM's instructions), in `locale` when written, else English."""
    path = ROOT / normalise(locale) / name
    return (path if path.exists() else ROOT / DEFAULT / name).read_text(encoding="utf-8")


def reply(key: str, locale: str = DEFAULT, rng: random.Random | None = None,
          **values: object) -> str:
    """A reply text by key; a list of variants gives a random (or `rng`-chosen) one."""
    text = raw(key, locale)
    if isinstance(text, list):
        text = (rng or random).choice(text)
    return text.format(**values).strip()


def raw(key: str, locale: str = DEFAULT) -> Any:
    """A reply's text, list of variants or table, unformatted."""
    for name in REPLY_FILES:
        texts = load(name, locale)
        if key in texts:
            return texts[key]
    raise KeyError(key)


def short_date(day: date, locale: str = DEFAULT, form: str = "short", year: bool = False) -> str:
    """`day` as people of `locale` write it briefly (talk.yaml's date_<form>: short "Mon 3 Nov",
    day_month "3 Nov", weekday_day "Mon 3"), with the year where asked: strftime's names are
    English whatever the locale."""
    texts = load("talk", locale)
    text = texts[f"date_{form}"].format(weekday=texts["weekdays_short"][day.weekday()],
                                        day=day.day, month=texts["months_short"][day.month - 1])
    return texts["date_year"].format(date=text, year=day.year) if year else text
