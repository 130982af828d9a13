"""Choosing the region vote's share and the listing thresholds on the tuning half of CCP's
tag-only photos, from the raw scores `stylebot eval phantoms --cache FILE` keeps.

    python scripts/tune_phantoms.py --data ../shared/data/ccp --cache var/phantoms_raw.npz

Prints phantom rate, miss rate and fragmentation per setting for one half (the tuning half by
default); the report half is measured once, with the chosen setting, by `stylebot eval phantoms`.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from inference.core.garments import CLASSES, NON_GARMENT
from inference.parsing import outfit as parse
from inference.parsing.lite0 import Lite0Parser
from training.eval_phantoms import half_of, photo_row, split_classes, summarise, tagged_photos

SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0)
CONFIDENCES = (0.0, 0.4, 0.5, 0.6, 0.7)
CARRIED = (0.0, 0.5, 0.6, 0.7, 0.8)
ITEM_SHARES = (0.003, 0.006, 0.01, 0.02)


def candidates(labels: np.ndarray, scores: dict, main: np.ndarray) -> tuple[list, int]:
    """(class name, pixels on the main person, confidence) per garment class, person pixels."""
    person = int(((labels != 0) & main).sum())
    counts = np.bincount(labels[main], minlength=len(CLASSES))
    found = [(CLASSES[c], int(counts[c]), scores.get(c, 0.0)) for c in np.nonzero(counts)[0]
             if CLASSES[c] not in NON_GARMENT]
    return found, person


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--half", default="tune")
    args = ap.parse_args()
    parser = Lite0Parser()
    stored = np.load(args.cache)
    photos = [(i, tags) for i, _, tags in tagged_photos(args.data) if half_of(i) == args.half]
    for share in SHARES:
        parser.vote_share = share
        prepared = []
        for photo_id, tags in photos:
            raw = stored[photo_id].astype(np.float32)
            labels, scores = parser.decode(raw, (raw.shape[3] * 4, raw.shape[2] * 4))
            _, _, main = parse._find_people(labels != 0)
            found, person = candidates(labels, scores, main)
            prepared.append((found, person, split_classes(labels, main), tags))
        grid = itertools.product(CONFIDENCES, CARRIED, ITEM_SHARES)
        for conf, carried, item_share in grid:
            if carried < conf:
                continue
            parse.MIN_ITEM_CONFIDENCE, parse.MIN_CARRIED_CONFIDENCE = conf, carried
            parse.MIN_ITEM_SHARE = item_share
            rows = []
            for found, person, splits, tags in prepared:
                listed = {c for c, px, sure in found if parse._listed(c, px, person, sure)}
                rows.append(photo_row(listed, splits if listed else [], tags))
            r = summarise(rows)
            print(f"share {share:.1f} conf {conf:.1f} carried {carried:.1f} item {item_share} "
                  f"phantom {r['phantom_rate']:.3f} miss {r['miss_rate']:.3f} "
                  f"frag {r['fragmentation']:.3f} unconf {r['unconfirmed_fragmentation']:.3f} "
                  f"| {r['phantoms_by_class']} | {r['missed_by_class']}", flush=True)


if __name__ == "__main__":
    main()
