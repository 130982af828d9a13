"""Colour names, families and patterns against garments labelled by eye (tests/data/garments)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.core import pattern
from inference.core.colour import (
    FAMILIES,
    Colour,
    colour_family,
    colour_name,
    css_name,
    dominant_colours,
    names_another_family,
    to_lab,
)

GARMENTS = Path(__file__).resolve().parents[2] / "data" / "garments"


def labelled() -> list[dict]:
    with open(GARMENTS / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def garment(row: dict) -> tuple[np.ndarray, np.ndarray]:
    rgba = np.asarray(Image.open(GARMENTS / row["file"]).convert("RGBA"))
    return rgba[..., :3], rgba[..., 3] > 127


@cache
def main_colours() -> list[tuple[Colour, str]]:
    """(the garment's main colour, its family by eye) for every labelled garment."""
    return [(dominant_colours(rgb[mask])[0], r["colour_family"])
            for r in labelled() for rgb, mask in [garment(r)]]


@pytest.mark.parametrize(
    ("rgb", "name", "family", "css"),
    [
        ((70, 130, 180), "steel blue", "blue", "steel blue"),
        ((205, 92, 92), "red", "red", "indian red"),
        ((255, 228, 196), "cream", "beige", "bisque"),
        ((128, 128, 128), "grey", "gray", "gray"),
        ((255, 255, 255), "white", "white", "white"),
        ((15, 15, 15), "black", "black", "black"),
        ((128, 0, 32), "burgundy", "red", "maroon"),
        ((225, 173, 1), "mustard", "yellow", "goldenrod"),
        ((60, 80, 120), "dark denim", "blue", "dark slate blue"),
        # CSS names that used to be the name are only the detail now
        ((220, 220, 220), "off-white", "white", "gainsboro"),
        ((216, 191, 216), "lilac", "purple", "thistle"),
        ((189, 183, 107), "gold", "yellow", "dark khaki"),
    ],
)
def test_named_colours(rgb: tuple[int, int, int], name: str, family: str, css: str) -> None:
    lab = to_lab(np.array(rgb))
    assert colour_name(lab) == name
    assert colour_family(lab) == family
    assert css_name(lab) == css


def test_the_set_is_big_and_varied() -> None:
    rows = labelled()
    assert len(rows) >= 100
    assert {r["colour_family"] for r in rows} == set(FAMILIES)
    assert {r["pattern"] for r in rows} == set(pattern.PATTERNS)


def test_colour_family_agrees_with_the_eye() -> None:
    colours = main_colours()
    hits = sum(colour.family == eye for colour, eye in colours)
    # Measured 0.752 (0.765 before the family constants were re-chosen on product photos; many
    # misses are shades a person could call either way: burgundy, taupe, a shaded white).
    assert hits / len(colours) >= 0.72


def test_colour_names_do_not_contradict_the_eye() -> None:
    """A garment's colour name carries no family word the eye disagrees with ("black" for navy
    pants, "brown" for a red top). Measured 13 of 153 with fashion names (17 with the CSS names
    that kept to the family, 55 with the plain nearest CSS name; the rest are family misses,
    which the test above bounds)."""
    said_otherwise = sum(names_another_family(colour.name, eye) for colour, eye in main_colours())
    assert said_otherwise <= 20


def test_pattern_agrees_with_the_eye() -> None:
    rows = labelled()
    predicted = [pattern.detect(*garment(r))[0] for r in rows]
    truth = [r["pattern"] for r in rows]
    exact = np.mean([p == t for p, t in zip(predicted, truth, strict=True)])
    solid = np.mean(
        [(p == "solid") == (t == "solid") for p, t in zip(predicted, truth, strict=True)]
    )
    stripes = [p for p, t in zip(predicted, truth, strict=True) if t == "striped"]
    # Measured 0.67 exact, 0.81 solid-vs-patterned, 9 of 12 stripes.
    assert exact >= 0.6
    assert solid >= 0.78
    assert stripes.count("striped") / len(stripes) >= 0.6


def test_dominant_colours_are_deterministic_and_sorted() -> None:
    rgb, mask = garment(labelled()[0])
    first = dominant_colours(rgb[mask])
    assert first == dominant_colours(rgb[mask])
    assert [c.share for c in first] == sorted((c.share for c in first), reverse=True)
    assert abs(sum(c.share for c in first) - 1) < 1e-6 or len(first) < 3


def test_two_shades_with_one_name_are_one_colour() -> None:
    """Near-black and charcoal-black (CIEDE2000 10.2 apart, both "black") are one black, not
    "black, black"; a clearly different colour stays apart."""
    pixels = np.concatenate([
        np.tile([[5, 5, 10]], (500, 1)), np.tile([[45, 40, 45]], (400, 1)),
        np.tile([[222, 192, 152]], (200, 1)),
    ]).astype(np.uint8)
    colours = dominant_colours(pixels)
    assert [c.name for c in colours] == ["black", "tan"]
    assert abs(colours[0].share - 900 / 1100) < 1e-6
