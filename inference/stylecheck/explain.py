"""Style Check explanations in plain words, naming the real garments and colours of each outfit."""

from __future__ import annotations

import random

import numpy as np

import prompts
from inference.stylecheck.features import ASPECT_OF, FEATURES
from inference.stylecheck.model import PRIOR, Verdict
from inference.stylecheck.registry import Look


def explain(verdict: Verdict, a: Look, b: Look, n: int = 3) -> list[dict]:
    """Up to n reasons, strongest first: {"aspect", "feature", "text", "weight"}.

    Each reason is the feature's sentence in prompts/<locale>/stylecheck.yaml (the looks'
    `locale`) filled by the feature's own explanation slots; a feature whose slots are None (the
    winner lacks what the sentence would name) is skipped, so a few more candidates than n are
    tried. Which reasons are given does not depend on the language, only their words."""
    texts = prompts.load("stylecheck", a.locale)
    winner, loser = ("A", "B") if verdict.winner == "a" else ("B", "A")
    win, lose = (a, b) if verdict.winner == "a" else (b, a)
    reasons = []
    for feature, value in verdict.top_reasons(n + 3):
        slots = FEATURES[feature].explain(win, lose)
        if slots is None:
            continue
        text = texts["reasons"][feature].format(W=winner, L=loser, **slots)
        reasons.append(
            {
                "aspect": ASPECT_OF[feature],
                "feature": feature,
                "text": text,
                "weight": round(abs(value), 3),
            }
        )
        if len(reasons) == n:
            break
    if not reasons:
        aspect = max(verdict.aspects().items(), key=lambda kv: abs(kv[1]))[0]
        reasons.append(
            {
                "aspect": aspect,
                "feature": None,
                "weight": 0.0,
                "text": texts["fallback_reason"].format(
                    W=winner, aspect=(texts.get("aspect_words") or {}).get(aspect, aspect)),
            }
        )
    return reasons


def headline(verdict: Verdict, seed: int, locale: str = "en") -> str:
    texts = prompts.load("stylecheck", locale)
    pa, pb = verdict.percentages
    win, lose = (pa, pb) if verdict.winner == "a" else (pb, pa)
    if abs(pa - pb) <= 8:
        return texts["close_call"].format(pa=pa, pb=pb)
    letter = "A" if verdict.winner == "a" else "B"
    return random.Random(seed).choice(texts["headline"]).format(W=letter, pa=win, pb=lose)


def learned_taste(
    weights: np.ndarray, names: tuple[str, ...], threshold: float = 0.3, locale: str = "en"
) -> list[str]:
    """Plain-words differences between a user's weights and the prior (for /prefs)."""
    texts = prompts.load("stylecheck", locale)
    lines = []
    for name, w, prior in sorted(
        zip(names, weights, PRIOR, strict=True), key=lambda t: -abs(t[1] - t[2])
    ):
        delta = w - prior
        if abs(delta) < threshold:
            continue
        key = "learned_more" if delta > 0 else "learned_less"
        lines.append(texts[key].format(what=texts["feature_words"][name]))
    return lines[:4]
