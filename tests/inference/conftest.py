"""Fixtures for the inference tests: a tiny vocabulary in Ukrainian, Russian and Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import prompts
from tests.inference.languages import OWN, use_tiny_languages


@pytest.fixture
def tiny_languages(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """prompts.own / prompts.load read tests/inference/languages.py's texts for uk, ru, zh."""
    use_tiny_languages(monkeypatch)
    yield OWN
    monkeypatch.undo()
    prompts.load.cache_clear()
