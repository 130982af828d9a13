"""Choosing the shop's colour bonus and how many nearest items it re-ranks, on CCP training
photos only (the held-out photos of `stylebot eval retrieval --split val` are not read).

    python scripts/tune_shop_ranking.py --photos 150

For each pool size (inference/shop/index.py, PREFERENCE_POOL) and colour bonus
(inference/shop/retrieval.py, COLOUR_BONUS), the street-to-shop evaluation of
training/eval_retrieval.py on the first N training photos against ../shared/data/products
(cached catalogue vectors), the kind bonus as shipped. Prints one JSON line per setting:
category, colour and kind precision. The parser and the kind head trained on these photos, so
their figures run high here; only the differences between settings are read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import inference.shop.index as shop_index  # noqa: E402
from training.eval_retrieval import evaluate  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=150)
    parser.add_argument("--pools", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--bonuses", type=float, nargs="+",
                        default=[0.1, 0.15, 0.2, 0.3, 0.5, 1.0])
    args = parser.parse_args()
    for pool in args.pools:
        shop_index.PREFERENCE_POOL = pool
        for bonus in args.bonuses:
            result = evaluate(DATA / "ccp", DATA / "products", split="train", limit=args.photos,
                              colour_bonus=bonus)
            print(json.dumps({"pool": pool, "colour_bonus": bonus, **result["default"]}),
                  flush=True)


if __name__ == "__main__":
    main()
