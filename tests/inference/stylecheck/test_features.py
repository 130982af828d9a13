"""Each Style Check feature is declared once (inference/stylecheck/features.py): the feature list,
prior vector, aspects and explainer are derived from the declarations, and every declared
feature has its wording in prompts/en/stylecheck.yaml (and no wording is left without one)."""

from __future__ import annotations

import pytest

import prompts
from inference.stylecheck import model
from inference.stylecheck.features import (
    ALL_FEATURES,
    ASPECT_OF,
    FEATURE_NAMES,
    FEATURES,
    PRIOR_WEIGHTS,
)
from inference.stylecheck.registry import ASPECTS, feature


@pytest.mark.parametrize("section", ["reasons", "feature_words"])
def test_every_declared_feature_has_wording_and_every_wording_a_feature(section: str) -> None:
    wording = set(prompts.load("stylecheck")[section])
    declared = set(FEATURES)
    assert not declared - wording, f"declared without wording in stylecheck.yaml {section}"
    assert not wording - declared, f"wording in stylecheck.yaml {section} for no declared feature"


def test_everything_else_is_derived_from_the_declarations() -> None:
    assert ALL_FEATURES == tuple(FEATURES)
    assert FEATURE_NAMES == tuple(n for n, f in FEATURES.items() if not f.from_taste)
    assert [n for n in ALL_FEATURES if n not in FEATURE_NAMES] == ["personal"]
    assert model.PRIOR.tolist() == [f.prior for f in FEATURES.values()]
    assert PRIOR_WEIGHTS == {n: f.prior for n, f in FEATURES.items()}
    assert ASPECT_OF == model.ASPECT_OF == {n: f.aspect for n, f in FEATURES.items()}
    for f in FEATURES.values():
        assert f.aspect in ASPECTS and f.doc and f.prior > 0, f.name


def test_a_feature_is_declared_once_with_a_known_aspect() -> None:
    with pytest.raises(ValueError, match="twice"):
        feature("hue_harmony", "colour", prior=1.0, doc="again")
    with pytest.raises(ValueError, match="aspect"):
        feature("mood", "vibes", prior=1.0, doc="not an aspect")
    assert "mood" not in FEATURES and len(FEATURES) == 18
