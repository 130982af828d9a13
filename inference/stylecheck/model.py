"""Style Check's verdict: a Bradley-Terry model over feature differences that learns in the open.

    P(A beats B) = sigmoid(w . (f(A) - f(B)))

f are the named features declared in stylecheck/features.py, "personal" (closeness to what
this user chose before) among them. w starts from the prior weights declared with them; the
global weights are the prior refitted on everyone's feedback, shrunk strongly toward it; each
user's weights are refitted on their own feedback, shrunk toward the global ones (maximum a
posteriori logistic regression with a Gaussian prior, solved by Newton's method: a few 15x15
solves, so it is done afresh from the stored feedback at every verdict: no hidden state, the
same data always gives the same answer).

Swapping A and B negates the difference, so the percentages are exactly complementary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from inference.stylecheck.features import ALL_FEATURES, ASPECT_OF, PRIOR_WEIGHTS

#: The prior weights declared with each feature, in the weight vector's order.
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
