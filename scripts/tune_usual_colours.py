"""Choosing the hue habits' kernel and Style Check's weight for them, by 5-fold
cross-validation on the training photos' real and hue-turned pairs (the protocol of
`stylebot eval recolour`; the held-out photos are not read).

    python scripts/tune_usual_colours.py --data ../shared/data/ccp

Each fold's habits are built without that fold's photos (plus the tag-only street photos, which
the pairs never come from); a pair is won when the real photo's Style Check utility (the prior
weights, the usual-hues feature from the fold's habits at the weight tried) beats the copy's.
Prints the share of pairs won per setting. A few minutes (the pairs: the parser on ~720 photos).
The weight shipped is the largest that keeps `python -m bench.stylecheck` learning varied tastes
as quickly as without the feature (inference/stylecheck/features.py, USUAL_HUES_PRIOR).
"""

from __future__ import annotations

import argparse
import hashlib
import random
from pathlib import Path

from tqdm import tqdm

from inference.pipeline import Pipeline, PipelineConfig
from inference.stylecheck.features import PRIOR_WEIGHTS, outfit_features
from inference.styles.compatibility import HueHabits, largest_of_each_kind
from training.ccp_data import labelled_photos, split_photos
from training.eval_recolour import recoloured_pair
from training.train_compatibility import colours_by_kind, parsed_tagged_outfits, true_outfits

KERNELS = ((10.0, 6.0), (15.0, 4.0), (15.0, 6.0), (15.0, 10.0), (25.0, 6.0), (25.0, 10.0))
WEIGHTS = (1.0, 2.0, 4.0, 8.0)
FOLDS = 5


def fold_of(photo_id: str) -> int:
    return hashlib.md5(photo_id.encode()).digest()[0] % FOLDS


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    args = ap.parse_args()
    train = true_outfits(args.data, "train")
    street = parsed_tagged_outfits(args.data)
    pipeline, rng = Pipeline(PipelineConfig()), random.Random(0)
    pairs = []
    for photo in tqdm(split_photos(labelled_photos(args.data), "train"), desc="pairs"):
        if pair := recoloured_pair(pipeline, photo.photo.read_bytes(), rng):
            a, b = pair
            fa, fb = outfit_features(a), outfit_features(b)
            # everything but the usual hues, at the prior weights
            rest = sum(w * (fa[k] - fb[k]) for k, w in PRIOR_WEIGHTS.items()
                       if k in fa and k != "usual_hues")
            pairs.append((fold_of(photo.photo_id), rest, largest_of_each_kind(a),
                          largest_of_each_kind(b)))
    print(f"{len(pairs)} pairs from the training photos")
    for lightness, chroma in KERNELS:
        won = dict.fromkeys(WEIGHTS, 0)
        for k in range(FOLDS):
            kept = [o for o in train if fold_of(o["photo"]) != k]
            habits = HueHabits.from_colours(colours_by_kind(kept + street),
                                            lightness=lightness, chroma=chroma)
            for fold, rest, a, b in pairs:
                if fold == k:
                    gap = habits.outfit(a) - habits.outfit(b)
                    for w in WEIGHTS:
                        won[w] += rest + w * gap > 0
        shares = "  ".join(f"w {w:g}: {won[w] / len(pairs):.3f}" for w in WEIGHTS)
        print(f"kernel L {lightness:g} ab {chroma:g} | {shares}", flush=True)


if __name__ == "__main__":
    main()
