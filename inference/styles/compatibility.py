"""What people wear together, learned from real outfits: colour co-occurrence by garment kind.

Each garment is a (category, colour family) pair, as the parser and the bot's colour code
describe it. From street photos (training/train_compatibility.py, CCP's hand-drawn masks) we
count how often each family is worn for each category, and how often family f of category c
is worn alongside family g of category d. The chance of a colour for one garment given the
rest of the outfit combines the category's own colour habits with what every other garment
says about it (a product of experts, each expert smoothed toward the category's habits, and
pooled over categories first where a pair is rare):

    log P(f | c, outfit) ~ log P(f | c) + sum_j [log P(f | c, d_j, g_j) - log P(f | c)]

Which hue a garment is worn in is a density over CIELAB (`HueHabits`): each garment seen in
street photos is a small Gaussian around its measured colour, and a colour is compared with the
other hues of its own lightness and chroma, so green jeans are rare and a camel coat or a red
dress common, whatever their share of all colours.

One model serves Style Check (how typical the outfit's colours are together), the suggestions
(which colour to change a piece to) and "complete the look" (which colour a missing piece
should be), so the three never disagree.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from inference.core.colour import to_lab

MODEL_PATH = Path(__file__).with_name("compatibility.json")
EMPTY: Counter = Counter()
#: A garment as the model sees it: (category, colour family).
Piece = tuple[str, str]


@dataclass(frozen=True)
class Compatibility:
    """Counts of single pieces and of pairs worn in the same outfit, with the smoothing
    strengths chosen on the training photos (training/train_compatibility.py)."""

    singles: dict[str, Counter]  # category -> Counter(family)
    names: dict[str, Counter]  # category -> Counter(fashion colour name: "denim", "camel")
    pairs: dict[str, Counter]  # "c|d|g" -> Counter(family of c worn with a d in family g)
    pooled: dict[str, Counter]  # "c|g" -> Counter(family of c worn with anything in family g)
    families: tuple[str, ...]
    strength: float = 20.0  # pseudo-counts pulling a pair's estimate toward the pooled one
    pooled_strength: float = 20.0  # ... and the pooled one toward the category's habits
    photos: int = 0
    hues: HueHabits | None = None  # which hue each kind is worn in
    # Estimates already computed: the model never changes once built, and a suggestion asks
    # the same few thousand questions over and over (17 tried outfits a photo).
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    # estimates ---------------------------------------------------------------------------
    def usual(self, category: str, colour_name: str) -> float:
        """How usual a colour (by its fashion name, finer than the family) is for a garment of
        `category` in street photos, relative to the most usual one: 1 for denim jeans, near 0
        for lilac jeans. Half-count smoothed, so an unseen name is rare but possible."""
        counts = self.names.get(category)
        if not counts:
            return 1.0  # nothing known about the category: no opinion
        if "vocabulary" not in self._memo:
            self._memo["vocabulary"] = len({n for c in self.names.values() for n in c}) or 1
        total = sum(counts.values()) + 0.5 * self._memo["vocabulary"]
        top = (max(counts.values()) + 0.5) / total
        return (counts[colour_name] + 0.5) / total / top

    def _total(self, table: str, key: str) -> tuple[Counter, int]:
        """A counter of `table` and its total (the empty counter and 0 when absent)."""
        memo_key = (table, key)
        if memo_key not in self._memo:
            counts = getattr(self, table).get(key) or EMPTY
            self._memo[memo_key] = counts, sum(counts.values())
        return self._memo[memo_key]

    def prior(self, category: str, family: str) -> float:
        """P(family | category), add-one smoothed over the families."""
        counts, total = self._total("singles", category)
        return (counts[family] + 1.0) / (total + len(self.families))

    def given(self, category: str, family: str, other: Piece) -> float:
        """P(family | category, worn with `other`), backed off to the pooled and prior ones."""
        memo_key = (category, family, other)
        if memo_key in self._memo:
            return self._memo[memo_key]
        base = self.prior(category, family)
        pooled, pooled_total = self._total("pooled", f"{category}|{other[1]}")
        p_pooled = (pooled[family] + self.pooled_strength * base) / (
            pooled_total + self.pooled_strength)
        pair, pair_total = self._total("pairs", f"{category}|{other[0]}|{other[1]}")
        p = (pair[family] + self.strength * p_pooled) / (pair_total + self.strength)
        self._memo[memo_key] = p
        return p

    def log_score(self, category: str, family: str, others: Iterable[Piece]) -> float:
        """log P(family | category) plus each other piece's log-ratio for it."""
        if family in self._family_index:
            return float(self.log_scores(category, others)[self._family_index[family]])
        prior = math.log(self.prior(category, family))
        return prior + sum(math.log(self.given(category, family, o)) - prior
                           for o in others if o[0] != category)

    @property
    def _family_index(self) -> dict[str, int]:
        if "index" not in self._memo:
            self._memo["index"] = {f: i for i, f in enumerate(self.families)}
        return self._memo["index"]

    def _log_priors(self, category: str) -> np.ndarray:
        key = ("log_priors", category)
        if key not in self._memo:
            self._memo[key] = np.array([math.log(self.prior(category, f))
                                        for f in self.families])
        return self._memo[key]

    def _log_ratios(self, category: str, other: Piece) -> np.ndarray:
        """log P(f | category, other) - log P(f | category) for every family f."""
        key = ("log_ratios", category, other)
        if key not in self._memo:
            self._memo[key] = np.array([math.log(self.given(category, f, other)) - prior
                                        for f, prior in zip(self.families,
                                                            self._log_priors(category),
                                                            strict=True)])
        return self._memo[key]

    def log_scores(self, category: str, others: Iterable[Piece]) -> np.ndarray:
        """`log_score` of every family (in `families`' order) at once: a suggestion ranks
        every family for every garment of every outfit it tries. The terms are added in the
        same order as one family's sum, so the numbers are the same to the last bit."""
        total = np.zeros(len(self.families))
        for other in others:
            if other[0] != category:
                total += self._log_ratios(category, other)
        return self._log_priors(category) + total

    def lift(self, category: str, family: str, others: Iterable[Piece]) -> float:
        """How much more likely the outfit's other pieces make this colour than the category's
        habits alone (natural log; 0 = no opinion, > 0 = goes together)."""
        prior = math.log(self.prior(category, family))
        return self.log_score(category, family, others) - prior

    def rank(self, category: str, others: Sequence[Piece],
             candidates: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """Colour families for a piece of `category`, most likely first, with their score."""
        if candidates:
            scored = [(f, self.log_score(category, f, others)) for f in candidates]
        else:
            scored = list(zip(self.families, self.log_scores(category, others).tolist(),
                              strict=True))
        return sorted(scored, key=lambda fs: -fs[1])

    def outfit_score(self, pieces: Sequence[Piece]) -> float:
        """How typical the outfit's colours are together: the mean lift of each piece given
        the others (0 when fewer than two pieces)."""
        if len(pieces) < 2:
            return 0.0
        lifts = [self.lift(c, f, [p for j, p in enumerate(pieces) if j != i])
                 for i, (c, f) in enumerate(pieces)]
        return sum(lifts) / len(lifts)

    # building and storing ----------------------------------------------------------------
    @classmethod
    def fit(cls, outfits: Iterable[Sequence[Piece]], families: Sequence[str],
            strength: float = 20.0, pooled_strength: float = 20.0,
            colour_names: Iterable[tuple[str, str]] = (), hues: HueHabits | None = None
            ) -> Compatibility:
        """From each outfit's pieces; `colour_names`: (category, fashion colour name) of every
        garment seen, for `usual`; `hues`: which hue each kind is worn in."""
        singles: dict[str, Counter] = {}
        names: dict[str, Counter] = {}
        pairs: dict[str, Counter] = {}
        pooled: dict[str, Counter] = {}
        photos = 0
        for pieces in outfits:
            photos += 1
            for c, f in pieces:
                singles.setdefault(c, Counter())[f] += 1
            for i, (c, f) in enumerate(pieces):
                for j, (d, g) in enumerate(pieces):
                    if i == j or c == d:
                        continue
                    pairs.setdefault(f"{c}|{d}|{g}", Counter())[f] += 1
                    pooled.setdefault(f"{c}|{g}", Counter())[f] += 1
        for category, name in colour_names:
            names.setdefault(category, Counter())[name] += 1
        return cls(singles, names, pairs, pooled, tuple(families), strength, pooled_strength,
                   photos, hues)

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {"photos": self.photos, "families": list(self.families),
                "strength": self.strength, "pooled_strength": self.pooled_strength,
                "singles": self.singles, "names": self.names, "pairs": self.pairs,
                "pooled": self.pooled, "hues": self.hues.as_dict() if self.hues else None}
        path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Compatibility | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())

        def counters(table: dict) -> dict[str, Counter]:
            return {k: Counter(v) for k, v in table.items()}

        hues = data.get("hues")
        return cls(counters(data["singles"]), counters(data.get("names", {})),
                   counters(data["pairs"]), counters(data["pooled"]),
                   tuple(data["families"]), data["strength"], data["pooled_strength"],
                   data["photos"], HueHabits.from_dict(hues) if hues else None)


#: The hue habits' kernel: standard deviations in CIELAB lightness and in a/b (at a strong
#: colour's chroma, a hue step of about 10 degrees), and the pseudo-count of every kind's colours
#: mixed into a kind's. Chosen by 5-fold cross-validation on the training photos' real and
#: hue-turned pairs (scripts/tune_usual_colours.py; BENCHMARKS.md, "Advice").
HUE_LIGHTNESS, HUE_CHROMA, HUE_POOLED = 10.0, 6.0, 5.0
#: Below this chroma a colour is grey, black, white or near them: it has no hue to judge.
HUE_MIN_CHROMA = 8.0
#: The hues a colour is compared with: every 10 degrees round the circle.
HUE_TURNS = np.deg2rad(np.arange(10, 360, 10))


@dataclass(frozen=True)
class HueHabits:
    """Which hue each kind of garment is worn in: its garments' colours (CIELAB, one point a
    garment) as a kernel density, a kind's points mixed with every kind's so that a kind seen
    rarely still has an opinion. A colour's hue is as usual as its density over the highest
    density round the hue circle at the same lightness and chroma: the question is which hue,
    not how much colour (that is `Compatibility.usual`'s), so a camel coat or a red dress is as
    usual as the likeliest hue of its strength, green jeans are not, and neutrals have no hue
    to judge."""

    points: dict[str, tuple[tuple[int, int, int], ...]]  # category -> CIELAB, rounded
    lightness: float = HUE_LIGHTNESS
    chroma: float = HUE_CHROMA
    pooled: float = HUE_POOLED
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_colours(cls, colours: Iterable[tuple[str, Sequence[int]]], **kernel: float
                     ) -> HueHabits:
        """From (category, sRGB) of every garment seen."""
        by_kind: dict[str, list] = {}
        for category, rgb in colours:
            by_kind.setdefault(category, []).append(rgb)
        return cls({c: tuple(map(tuple, np.round(to_lab(np.array(v, np.uint8))).astype(int)
                                 .tolist())) for c, v in sorted(by_kind.items())}, **kernel)

    def _tables(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Every garment's colour in kernel units and its chroma, and per kind each garment's
        weight in that kind's density: 1 for its own, `pooled` shared among all (once;
        float32: 4x quicker than float64, the same figures to 1e-5)."""
        if "tables" not in self._memo:
            scale = np.array([self.lightness, self.chroma, self.chroma])
            every = np.concatenate([np.asarray(p, np.float64) for p in self.points.values()])
            every = (every / scale).astype(np.float32)
            weights, start = {}, 0
            for c, p in self.points.items():
                weights[c] = np.full(len(every), self.pooled / len(every), np.float32)
                weights[c][start:start + len(p)] += 1.0
                start += len(p)
            self._memo["tables"] = every, np.hypot(every[:, 1], every[:, 2]), weights
        return self._memo["tables"]

    def usual(self, category: str, rgb: Sequence[int]) -> float:
        """In [0.001, 1]: 1 for the kind's likeliest hue at this lightness and chroma (and for
        near-neutral colours, and for a kind never seen), near 0 for a hue people do not wear
        it in."""
        if category not in self.points:
            return 1.0
        key = (category, *(int(v) for v in rgb))
        if key not in self._memo:
            if len(self._memo) > 50_000:  # a long-running bot sees ever new colours
                self._memo.clear()
            self._memo[key] = self._usual(category, *to_lab(np.array(key[1:], np.uint8)))
        return self._memo[key]

    def _usual(self, category: str, lightness: float, a: float, b: float) -> float:
        chroma, hue = math.hypot(a, b), math.atan2(b, a)
        if chroma < HUE_MIN_CHROMA:
            return 1.0
        every, every_chroma, weights = self._tables()
        turns = np.r_[0.0, HUE_TURNS] + hue
        ring = np.stack([np.full(len(turns), lightness / self.lightness),
                         chroma * np.cos(turns) / self.chroma,
                         chroma * np.sin(turns) / self.chroma], 1).astype(np.float32)
        # Garments over three deviations from the ring's lightness or chroma add under 1% (an
        # a/b distance is at least the chroma difference): left out, 5-10x less work.
        near = np.flatnonzero((np.abs(every[:, 0] - ring[0, 0]) < 3)
                              & (np.abs(every_chroma - np.float32(chroma / self.chroma)) < 3))
        # Element-wise, not a matrix product: OpenBLAS would wake its threads for these sizes,
        # and in worker processes their spinning cost more CPU than the product itself.
        close = every[near]
        kernel = (ring[:, None, 1] - close[None, :, 1]) ** 2
        kernel += (ring[:, None, 2] - close[None, :, 2]) ** 2
        kernel += (ring[0, 0] - close[None, :, 0]) ** 2
        kernel *= -0.5
        np.exp(kernel, out=kernel)
        kernel *= weights[category][near][None]
        density = kernel.sum(1)
        return max(float(density[0] / max(density.max(), 1e-30)), 1e-3)

    def outfit(self, kinds: dict[str, dict]) -> float:
        """How usual an outfit's hues are for their kinds, in (0, 1]: the geometric mean of
        `usual` over its garments (`largest_of_each_kind`), so one odd piece counts; 0.5 when
        no garment has a measured colour (a piece only named in words)."""
        logs = [math.log(self.usual(c, rgb)) for c, i in kinds.items()
                if (rgb := i.get("rgb") or next(iter(i.get("colours") or []), {}).get("rgb"))]
        return math.exp(sum(logs) / len(logs)) if logs else 0.5

    def as_dict(self) -> dict:
        return {"lightness": self.lightness, "chroma": self.chroma, "pooled": self.pooled,
                "points": {c: list(p) for c, p in self.points.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> HueHabits:
        return cls({c: tuple(map(tuple, p)) for c, p in data["points"].items()},
                   data["lightness"], data["chroma"], data["pooled"])


def largest_of_each_kind(outfit: dict) -> dict[str, dict]:
    """An outfit's (Outfit.as_dict()) largest garment of each category, largest first: the one
    garment a kind is judged by."""
    kept: dict[str, dict] = {}
    for item in sorted(outfit.get("items", []), key=lambda i: -i.get("area", 0)):
        kept.setdefault(item["category"], item)
    return kept


def pieces_of(outfit: dict) -> list[Piece]:
    """An outfit as the model's pieces, largest first, one per category."""
    return [(c, i["colour_family"]) for c, i in largest_of_each_kind(outfit).items()]


@lru_cache(maxsize=1)
def shipped() -> Compatibility | None:
    """The model trained on CCP that ships with the package (None if it was removed)."""
    return Compatibility.load()
