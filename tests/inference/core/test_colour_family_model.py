"""The learned colour family: shipped weights load, stay within plausible families, and the
trainer's logistic regression learns a family from pixels."""

from __future__ import annotations

import numpy as np

from inference.core.colour import FAMILIES, dominant_colours
from inference.core.colour_family_model import bundled_model, features, plausible
from inference.core.colour_light import colours_in_scene, measured_colours
from training.train_colour import fit


def _patch(rgb: tuple[int, int, int], noise: float = 6.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.array(rgb) + rng.normal(0, noise, (2000, 3)), 0, 255).astype(np.uint8)


def test_the_shipped_weights_load_and_name_clear_colours():
    assert bundled_model() is not None
    for rgb, family in [((200, 30, 40), "red"), ((30, 90, 200), "blue"),
                        ((245, 245, 242), "white"),
                        ((15, 15, 15), "black"), ((60, 140, 70), "green")]:
        main = colours_in_scene(_patch(rgb))[0]
        assert main.family == family, (rgb, main)


def test_a_light_colour_is_never_called_black_or_navy_and_a_dark_one_never_white():
    light = dominant_colours(_patch((170, 172, 178)))
    dark = dominant_colours(_patch((40, 40, 45)))
    assert not {"black", "navy"} & plausible(light)
    assert "white" not in plausible(dark)
    assert colours_in_scene(_patch((170, 172, 178)))[0].family in ("gray", "white")


def test_every_name_stays_within_its_family_after_relabelling():
    from inference.core.colour import names_another_family

    rng = np.random.default_rng(1)
    for _ in range(40):
        for colour in colours_in_scene(_patch(tuple(rng.integers(0, 256, 3)), noise=25)):
            assert not names_another_family(colour.name, colour.family), colour
            assert not names_another_family(colour.css_name, colour.family), colour


def test_the_trainer_learns_a_family_the_rules_miss():
    """Charcoal garments people call black: the rules say gray, the fitted model says black."""
    x, y = [], []
    for seed in range(30):
        for rgb, family in [((82, 82, 84), "black"), ((150, 150, 152), "gray")]:
            pixels, colours = measured_colours(_patch(rgb, seed=seed))
            x.append(features(pixels, colours))
            y.append(FAMILIES.index(family))
    model = fit(np.array(x, dtype=np.float64), np.array(y), c=1.0)
    pixels, colours = measured_colours(_patch((82, 82, 84), seed=99))
    assert colours[0].family == "gray"
    assert model.family(pixels, colours) == "black"
