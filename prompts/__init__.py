"""Reply texts and comment templates as data (YAML), one folder per locale."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).parent


@lru_cache(maxsize=8)
def load(name: str, locale: str = "en") -> dict:
    return yaml.safe_load((ROOT / locale / f"{name}.yaml").read_text(encoding="utf-8"))


def reply(key: str, locale: str = "en", rng: random.Random | None = None, **values: object) -> str:
    """A reply text by key; a list of variants gives a random (or `rng`-chosen) one."""
    text = load("replies", locale)[key]
    if isinstance(text, list):
        text = (rng or random).choice(text)
    return text.format(**values).strip()
