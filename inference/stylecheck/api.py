"""Style Check end to end, as pure functions: two parsed outfits, the feedback so far and the
user's profile in; a verdict with percentages and reasons out (and its side-by-side picture).

`check` is the one entry point: the chat and the command line both call it, so the same user
gets the same verdict and reasons wherever they ask."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from inference.core import drawing as pictures
from inference.stylecheck.explain import explain, headline
from inference.stylecheck.features import features_of
from inference.stylecheck.model import Example, Verdict, global_weights, judge, user_weights
from inference.stylecheck.registry import Look
from prompts import normalise

if TYPE_CHECKING:  # only for types: inference.styles.taste itself reads stylecheck.personal
    from PIL import Image

    from inference.parsing.outfit import Outfit
    from inference.styles.taste import Profile


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


def check(
    outfit_a: dict,
    outfit_b: dict,
    user_rows: list[dict],
    all_rows: list[dict],
    profile: Profile,
    today: date | None = None,
    locale: str = "en",
) -> StyleCheck:
    """outfit_*: Outfit.as_dict(); *_rows: Store.verdict_examples() (the user's, everyone's);
    profile: the user's Profile (inference/styles/taste.py). Its taste drives the personal
    feature and its corrections drop any reason that names something the user avoids. The
    headline and reasons are in `locale` (one of prompts.LANGS); the verdict is the same in
    every language."""
    today = today or date.today()
    locale = normalise(locale)
    taste = profile.taste()
    look_a, look_b = Look(outfit_a, today, taste), Look(outfit_b, today, taste)
    weights = user_weights(
        global_weights(examples_from_rows(all_rows)), examples_from_rows(user_rows)
    )
    verdict = judge(features_of(look_a), features_of(look_b), weights)
    # The headline's wording varies, but the same verdict and history always read the same.
    seed = hash((round(verdict.p_a, 6), len(user_rows))) & 0xFFFF
    # Reasons that would name something the user avoids are dropped, never reworded. What the
    # user avoids is matched in the English reasons (the same features, in the same order, as
    # in any other language), so a correction holds whatever language the reasons are in.
    english = explain(verdict, look_a, look_b)
    allowed = [profile.allows(r["text"], outfit_a, outfit_b) for r in english]
    said = english if locale == "en" else explain(
        verdict, replace(look_a, locale=locale), replace(look_b, locale=locale))
    reasons = [r for r, ok in zip(said, allowed, strict=True) if ok]
    return StyleCheck(verdict, reasons, headline(verdict, seed, locale))


def render_check(a: Outfit, b: Outfit, result: StyleCheck) -> Image.Image:
    """The two photos side by side with their percentages, the winner highlighted."""
    pa, pb = result.verdict.percentages
    winner = 0 if result.verdict.winner == "a" else 1
    return pictures.side_by_side(a.image, b.image, (f"A {pa}%", f"B {pb}%"), highlight=winner)
