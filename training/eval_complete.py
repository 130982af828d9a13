"""`stylebot eval complete --data DIR [--split val] [--json]`: fill in the blank on real outfits.

For each photo with at least three garments (read from its true mask with the bot's own colour
code, training/train_compatibility.true_outfits), each garment is hidden in turn; the hidden
garment is among four candidates of its category: its true colour family and three others
drawn from that category's colour distribution in the data (the true family excluded). The
compatibility model (inference/styles/compatibility.py) picks the most likely one given the
rest of the outfit. Reports chance (0.25), the most-frequent-colour baseline and the model.

The distribution the distractors are drawn from, and the baseline's frequencies, are the
shipped model's (its training photos); with --split val none of the evaluated photos were
trained on.

`--curve`: the same questions answered by models fitted on random subsets of the training
photos (90, 180, 360 and all 723; smoothing chosen by cross-validation inside each subset, as
`stylebot train compatibility` chooses it): how the gain over the baseline grows with the
number of outfits learned from.
"""

from __future__ import annotations

import random
from pathlib import Path

from inference.core.colour import FAMILIES
from inference.styles.compatibility import Compatibility, pieces_of, shipped
from training.train_compatibility import (
    blanks,
    choose_strengths,
    fill_in_the_blank,
    true_outfits,
)

CURVE_SIZES: tuple[int | None, ...] = (90, 180, 360, None)  # None: all of them
CURVE_REPEATS = 4


def evaluate_complete(data: Path, split: str | None = "val", model: Compatibility | None = None,
                      seeds: int = 5) -> dict:
    model = model or shipped()
    if model is None:
        raise SystemExit("no compatibility model: run `stylebot train compatibility`")
    outfits = true_outfits(data, split)
    runs = [fill_in_the_blank(model, blanks(outfits, model, seed)) for seed in range(seeds)]
    mean = {k: round(sum(r[k] for r in runs) / len(runs), 4)
            for k in ("frequency", "ours", "over_frequency")}
    return {"split": split or "all", "photos": len(outfits),
            "questions": runs[0]["questions"], "chance": 0.25, **mean,
            "seeds": seeds, "per_seed_ours": [r["ours"] for r in runs]}


def learning_curve(data: Path, sizes: tuple[int | None, ...] = CURVE_SIZES,
                   repeats: int = CURVE_REPEATS, seeds: int = 5,
                   model: Compatibility | None = None) -> dict:
    """Gain over the frequency baseline on the held-out photos' questions, for models fitted on
    seeded random subsets of the training photos (the distractors and the baseline stay the
    shipped model's, so every point answers the same questions)."""
    model = model or shipped()
    if model is None:
        raise SystemExit("no compatibility model: run `stylebot train compatibility`")
    questions = [q for seed in range(seeds) for q in blanks(true_outfits(data, "val"),
                                                             model, seed)]
    train = true_outfits(data, "train")
    frequency = fill_in_the_blank(model, questions)["frequency"]
    points = []
    for size in (len(train) if s is None else s for s in sizes):
        gains = []
        for repeat in range(repeats if size < len(train) else 1):
            subset = random.Random(repeat).sample(train, size)
            _, strength, pooled = choose_strengths(subset)
            fitted = Compatibility.fit(map(pieces_of, subset), FAMILIES, strength, pooled)
            ours = fill_in_the_blank(fitted, questions)["ours"]
            gains.append(round(ours - frequency, 4))
        points.append({"outfits": size, "over_frequency": round(sum(gains) / len(gains), 4),
                       "per_subset": gains})
    return {"split": "val", "questions": len(questions), "frequency": frequency,
            "points": points}
