"""Style Check end to end, as a pure function: two parsed outfits and the feedback so far in,
a verdict with percentages and reasons out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from inference.stylecheck.explain import explain, headline
from inference.stylecheck.features import outfit_features
from inference.stylecheck.model import (
    Example,
    Verdict,
    global_weights,
    judge,
    personal_score,
    user_weights,
)


@dataclass
class StyleCheck:
    verdict: Verdict
    reasons: list[dict]
    headline: str

    def as_dict(self) -> dict:
        pa, pb = self.verdict.percentages
        return {
            "a": round(self.verdict.p_a, 4),
            "b": round(1 - self.verdict.p_a, 4),
            "percent": {"a": pa, "b": pb},
            "winner": self.verdict.winner,
            "headline": self.headline,
            "reasons": self.reasons,
            "features": {"a": self.verdict.features_a, "b": self.verdict.features_b},
            "contributions": {k: round(v, 4) for k, v in self.verdict.contributions.items()},
            "weights": {k: round(v, 4) for k, v in self.verdict.weights.items()},
        }


def examples_from_rows(rows: list[dict]) -> list[Example]:
    return [
        Example(r["features"]["a"], r["features"]["b"], r["preferred"])
        for r in rows
        if "a" in r["features"] and "b" in r["features"]
    ]


def style_check(
    outfit_a: dict,
    outfit_b: dict,
    user_rows: list[dict],
    all_rows: list[dict],
    taste: dict[str, float],
    today: date | None = None,
) -> StyleCheck:
    """outfit_*: Outfit.as_dict(); *_rows: Store.verdict_examples(); taste: the user's taste."""
    today = today or date.today()
    fa = {**outfit_features(outfit_a, today), "personal": personal_score(outfit_a, taste)}
    fb = {**outfit_features(outfit_b, today), "personal": personal_score(outfit_b, taste)}
    weights = user_weights(
        global_weights(examples_from_rows(all_rows)), examples_from_rows(user_rows)
    )
    verdict = judge(fa, fb, weights)
    seed = hash((round(verdict.p_a, 6), len(user_rows))) & 0xFFFF
    return StyleCheck(
        verdict, explain(verdict, outfit_a, outfit_b, today), headline(verdict, seed)
    )
