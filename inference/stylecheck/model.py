"""Style Check's verdict: a Bradley-Terry model over feature differences that learns in the open.

    P(A beats B) = sigmoid(w . (f(A) - f(B)))

f are the named features of stylecheck/features.py plus "personal" (closeness to what this
user chose before). w starts from documented prior weights; the global weights are the prior
refitted on everyone's feedback, shrunk strongly toward it; each user's weights are refitted on
their own feedback, shrunk toward the global ones (maximum a posteriori logistic regression with
a Gaussian prior, solved by Newton's method: a few 15x15 solves, so it is done afresh from the
stored feedback at every verdict: no hidden state, the same data always gives the same answer).

Swapping A and B negates the difference, so the percentages are exactly complementary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from inference.stylecheck.features import FEATURE_NAMES, FEATURES

ALL_FEATURES: tuple[str, ...] = (*FEATURE_NAMES, "personal")
ASPECT_OF: dict[str, str] = {**{k: v[0] for k, v in FEATURES.items()}, "personal": "personal"}

#: Prior weights: how much a full-scale (0 -> 1) difference moves the log-odds. Colour harmony,
#: proportion, a clear dress code and restraint with patterns are the classic rules; trends and
#: coverage count least (taste, not rules). A user's history can overrule any of them.
PRIOR_WEIGHTS: dict[str, float] = {
    "hue_harmony": 1.2,
    "lightness_contrast": 0.5,
    "colour_count": 0.8,
    "neutral_balance": 0.6,
    "proportion": 0.8,
    "coverage": 0.2,
    "layering": 0.4,
    "formality_match": 0.8,
    "pattern_mixing": 0.7,
    "accessories": 0.5,
    "shoes_match": 0.6,
    "style_clarity": 0.5,
    "trend_colours": 0.4,
    "trend_items": 0.3,
    "personal": 1.0,
}
PRIOR = np.array([PRIOR_WEIGHTS[k] for k in ALL_FEATURES])
#: Prior precision: global weights move slowly (many users), a user's quickly (their own taste).
GLOBAL_STRENGTH = 20.0
USER_STRENGTH = 0.3


def vector(features: dict[str, float]) -> np.ndarray:
    return np.array([features.get(k, 0.0) for k in ALL_FEATURES], dtype=np.float64)


@dataclass(frozen=True)
class Example:
    """One answered Style Check: the two feature dicts and which one the user preferred."""

    a: dict[str, float]
    b: dict[str, float]
    preferred: str  # "a" or "b"


def fit_weights(
    mean: np.ndarray, examples: Sequence[Example], strength: float, iterations: int = 8
) -> np.ndarray:
    """MAP weights under a N(mean, 1/strength) prior given the pairwise choices."""
    if not examples:
        return mean.copy()
    x = np.stack([vector(e.a) - vector(e.b) for e in examples])
    y = np.array([1.0 if e.preferred == "a" else 0.0 for e in examples])
    w = mean.copy()
    eye = np.eye(len(w))
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + strength * (w - mean)
        hess = (x * (p * (1 - p))[:, None]).T @ x + strength * eye
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def global_weights(all_examples: Sequence[Example]) -> np.ndarray:
    return fit_weights(PRIOR, all_examples, GLOBAL_STRENGTH)


def user_weights(global_w: np.ndarray, user_examples: Sequence[Example]) -> np.ndarray:
    return fit_weights(global_w, user_examples, USER_STRENGTH)


@dataclass
class Verdict:
    p_a: float
    features_a: dict[str, float]
    features_b: dict[str, float]
    contributions: dict[str, float]  # w_k * (f_k(A) - f_k(B)); positive favours A
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def winner(self) -> str:
        return "a" if self.p_a >= 0.5 else "b"

    @property
    def percentages(self) -> tuple[int, int]:
        a = int(round(self.p_a * 100))
        return a, 100 - a

    def aspects(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for name, value in self.contributions.items():
            totals[ASPECT_OF[name]] = totals.get(ASPECT_OF[name], 0.0) + value
        return totals

    def top_reasons(self, n: int = 3) -> list[tuple[str, float]]:
        """Features that moved the verdict most toward the winner, strongest first."""
        sign = 1 if self.winner == "a" else -1
        ranked = sorted(self.contributions.items(), key=lambda kv: -sign * kv[1])
        return [(k, v) for k, v in ranked[:n] if sign * v > 0.02]


def judge(
    features_a: dict[str, float], features_b: dict[str, float], weights: np.ndarray
) -> Verdict:
    diff = vector(features_a) - vector(features_b)
    contributions = weights * diff
    logit = float(contributions.sum())
    p_a = float(1 / (1 + np.exp(-logit)))
    return Verdict(
        p_a,
        dict(features_a),
        dict(features_b),
        {k: float(c) for k, c in zip(ALL_FEATURES, contributions, strict=True)},
        {k: float(w) for k, w in zip(ALL_FEATURES, weights, strict=True)},
    )


def taste_vector(outfit: dict) -> dict[str, float]:
    """What an outfit is made of, for the personal feature: colour families and garments."""
    vec: dict[str, float] = {}
    for item in outfit["items"]:
        for colour in item["colours"]:
            key = f"colour:{colour['family']}"
            vec[key] = vec.get(key, 0.0) + item["area"] * colour["share"]
        key = f"garment:{item['category']}"
        vec[key] = vec.get(key, 0.0) + 0.5
    return vec


def personal_score(outfit: dict, taste: dict[str, float]) -> float:
    """Cosine similarity between the outfit and the user's taste, mapped to [0, 1]."""
    vec = taste_vector(outfit)
    dot = sum(v * taste.get(k, 0.0) for k, v in vec.items())
    norm = np.sqrt(sum(v * v for v in vec.values()) * sum(v * v for v in taste.values()))
    return 0.5 + 0.5 * dot / norm if norm > 0 else 0.5


def update_taste(taste: dict[str, float], chosen: dict, other: dict) -> dict[str, float]:
    """Move the taste toward the chosen outfit and away from the other one."""
    out = dict(taste)
    for key, value in taste_vector(chosen).items():
        out[key] = out.get(key, 0.0) + value
    for key, value in taste_vector(other).items():
        out[key] = out.get(key, 0.0) - value
    return out
