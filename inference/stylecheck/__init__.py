"""Style Check: which of two outfits works better, and why, learning from the user's answers.

    api.py        check(): the one entry point (chat and CLI), StyleCheck, render_check()
    features.py   every feature, declared once: name, aspect, prior, definition, computation
                  and explanation slots (wording: prompts/en/stylecheck.yaml, by feature name)
    registry.py   what a feature declaration is (Feature, Look, @feature)
    rules.py      styling knowledge the features read: dress codes, hue templates, trends
    model.py      the Bradley-Terry verdict and its weights, refitted from stored feedback
    explain.py    reasons, headline and /prefs lines in plain words
    personal.py   the taste vector behind the "personal" feature
"""

from inference.stylecheck.api import StyleCheck, check, examples_from_rows, render_check
from inference.stylecheck.explain import learned_taste
from inference.stylecheck.features import ALL_FEATURES, FEATURE_NAMES, FEATURES, outfit_features
from inference.stylecheck.model import PRIOR, global_weights, user_weights
from inference.stylecheck.registry import Feature

__all__ = [
    "ALL_FEATURES",
    "FEATURE_NAMES",
    "FEATURES",
    "PRIOR",
    "Feature",
    "StyleCheck",
    "check",
    "examples_from_rows",
    "global_weights",
    "learned_taste",
    "outfit_features",
    "render_check",
    "user_weights",
]
