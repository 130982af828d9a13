"""Friendly netizen-style comments on an outfit, grounded in its parse.

Two backends behind one protocol, chosen by `inference.comments` in config.yaml: `templates`
(the default grammar, templates.py) and `causal-lm` (any transformers causal LM, lm.py, held to
the templates' rules and filled in by them when it fails).
"""

from __future__ import annotations

from typing import Protocol

from inference.comments.templates import Comment


class Commenter(Protocol):
    def comments(self, outfit: dict, n: int = 3, seed: int = 0,
                 recent_keys: frozenset[str] = frozenset(),
                 recent_templates: tuple[str, ...] = (),
                 locale: str = "en") -> list[Comment]:
        """Up to `n` comments on `outfit` (Outfit.as_dict()), none repeating `recent_*`, in
        `locale` (one of prompts.LANGS)."""


__all__ = ["Comment", "Commenter"]
