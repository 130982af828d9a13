"""What people wear together, learned from real outfits: colour co-occurrence by garment kind.

Each garment is a (category, colour family) pair, as the parser and the bot's colour code
describe it. From street photos (training/train_compatibility.py, CCP's hand-drawn masks) we
count how often each family is worn for each category, and how often family f of category c
is worn alongside family g of category d. The chance of a colour for one garment given the
rest of the outfit combines the category's own colour habits with what every other garment
says about it (a product of experts, each expert smoothed toward the category's habits, and
pooled over categories first where a pair is rare):

    log P(f | c, outfit) ~ log P(f | c) + sum_j [log P(f | c, d_j, g_j) - log P(f | c)]

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
            colour_names: Iterable[tuple[str, str]] = ()) -> Compatibility:
        """From each outfit's pieces; `colour_names`: (category, fashion colour name) of every
        garment seen, for `usual`."""
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
                   photos)

    def save(self, path: Path = MODEL_PATH) -> None:
        data = {"photos": self.photos, "families": list(self.families),
                "strength": self.strength, "pooled_strength": self.pooled_strength,
                "singles": self.singles, "names": self.names, "pairs": self.pairs,
                "pooled": self.pooled}
        path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Compatibility | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())

        def counters(table: dict) -> dict[str, Counter]:
            return {k: Counter(v) for k, v in table.items()}

        return cls(counters(data["singles"]), counters(data.get("names", {})),
                   counters(data["pairs"]), counters(data["pooled"]),
                   tuple(data["families"]), data["strength"], data["pooled_strength"],
                   data["photos"])


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
