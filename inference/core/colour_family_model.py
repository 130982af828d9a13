"""A garment's main colour family learned from people's own colour labels.

The family rules (`colour.colour_family`) read one k-means centre; people name a garment from all
of it: a charcoal knit is "black", a white tee with a navy print "white", faded jeans "blue". A
multinomial logistic regression over a description of the garment's pixels (a lightness histogram
of its near-grey pixels, a hue x lightness x chroma histogram of the rest, lightness percentiles,
the main cluster and the rules' families) learns
those habits from the product photos' human `baseColour` (8.6k training items, each also under a
random street light; `stylebot train colour`). Held-out products: family accuracy 0.62 -> 0.67
(parser cut) and 0.60 -> 0.64 (foreground cut); the 153 street garments labelled by eye: 0.765 ->
0.752 in their own light, 0.62-0.69 -> 0.67-0.68 under simulated street lamps and shade
(BENCHMARKS.md "Colour and pattern"). A small network did better on products (0.69) but worse on
the street garments (0.63): it learned the studio, not the colour.

Only the main colour's family is replaced; its name is then the nearest fashion name within the
new family, so a name still never contradicts its family. Runs on NumPy alone (~1 ms).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from inference.core.colour import CLOSE_FAMILIES, FAMILIES, Colour, to_lab

WEIGHTS = Path(__file__).parent / "weights" / "colour_family.npz"
#: Bumped whenever `features` changes: weights made for other features are not used.
FEATURES_VERSION = 1
NEUTRAL_CHROMA = 8.0


def features(pixels: np.ndarray, colours: list[Colour]) -> np.ndarray:
    """(144,) description of (N,3) uint8 pixels and their `dominant_colours` (largest first)."""
    lab = to_lab(np.asarray(pixels).reshape(-1, 3))
    lightness, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a)) % 360
    n = max(len(lab), 1)
    neutral = chroma < NEUTRAL_CHROMA
    grey_lightness = np.bincount(np.clip((lightness[neutral] / 10).astype(int), 0, 9),
                                 minlength=10) / n
    cell = (((hue // 20).astype(int) % 18) * 3 + np.digitize(lightness, [35, 65])) * 2 \
        + (chroma >= 25)
    chromatic = np.bincount(cell[~neutral], minlength=108) / n
    spread = np.percentile(lightness, [10, 50, 90]) / 100
    medians = np.array([np.median(a), np.median(b), np.median(chroma)]) / 50
    top = colours[0]
    top_lab = to_lab(np.array(top.rgb, dtype=np.uint8))
    top_chroma = float(np.hypot(top_lab[1], top_lab[2]))
    angle = float(np.arctan2(top_lab[2], top_lab[1]))
    weight = min(top_chroma, 20.0) / 20.0  # a grey's hue angle is noise
    main = np.array([top_lab[0] / 100, top_lab[1] / 50, top_lab[2] / 50, top_chroma / 50,
                     np.cos(angle) * weight, np.sin(angle) * weight, top.share])
    rule_main = np.zeros(len(FAMILIES))
    rule_main[FAMILIES.index(top.family)] = 1
    rule_shares = np.zeros(len(FAMILIES))
    for colour in colours:
        rule_shares[FAMILIES.index(colour.family)] += colour.share
    return np.concatenate([grey_lightness, chromatic, spread, medians, main, rule_main,
                           rule_shares]).astype(np.float32)


def plausible(colours: list[Colour]) -> set[str]:
    """Families the main colour may take: its rules' family and the close ones
    (`CLOSE_FAMILIES`), never black or navy for a light colour nor white for a dark one, so the
    swatch beside the name does not contradict it. Held-out products (a model trained without
    street light): parser cut 0.687 free -> 0.680 limited, foreground 0.670 -> 0.644; a grey
    shirt in tungsten light is no longer "black". Also allowing the families of the other
    measured colours (a white tee with a big navy print sold as navy) scored 0.687 / 0.664, but
    on the demo catalogue's home photos a floor or bedspread left in the cut is such a colour:
    of 40 changed titles by eye, 11 better and 19 worse, against 15 and 10 with this limit."""
    main = colours[0]
    allowed = {main.family, *CLOSE_FAMILIES[main.family]}
    lightness = float(to_lab(np.array(main.rgb, dtype=np.uint8))[0])
    if lightness > 55:
        allowed -= {"black", "navy"}
    if lightness < 60:
        allowed.discard("white")
    return allowed or {main.family}


@dataclass(frozen=True)
class FamilyModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (families, features)
    intercept: np.ndarray

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        logits = self.coef @ ((x - self.mean) / self.scale) + self.intercept
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def family(self, pixels: np.ndarray, colours: list[Colour]) -> str:
        """The most likely family among the `plausible` ones."""
        allowed = plausible(colours)
        p = self.probabilities(features(pixels, colours))
        return max(allowed, key=lambda f: p[FAMILIES.index(f)])

    def save(self, path: Path, meta: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, mean=self.mean, scale=self.scale, coef=self.coef,
                 intercept=self.intercept, version=FEATURES_VERSION,
                 families=np.array(FAMILIES), meta=np.array(meta))


@lru_cache(maxsize=1)
def bundled_model() -> FamilyModel | None:
    """The shipped weights, or None (the rules alone) when missing or made for other
    features or families."""
    if not WEIGHTS.exists():
        return None
    data = np.load(WEIGHTS)
    if int(data["version"]) != FEATURES_VERSION or tuple(data["families"]) != FAMILIES:
        return None
    return FamilyModel(*(data[k].astype(np.float64)
                         for k in ("mean", "scale", "coef", "intercept")))


@lru_cache(maxsize=1)
def model_digest() -> str:
    """Names the colour code in use: families cached under another digest came from another."""
    model = bundled_model()
    return hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()[:12] if model else "rules"
