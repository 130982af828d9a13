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
"""

from __future__ import annotations

from pathlib import Path

from inference.styles.compatibility import Compatibility, shipped
from training.train_compatibility import blanks, fill_in_the_blank, true_outfits


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
