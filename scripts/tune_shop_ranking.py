"""Choosing the shop's ranking (how many nearest items it re-ranks, the colour bonus, the kind
bonus) on CCP training photos only (the held-out photos of `stylebot eval retrieval --split val`
are not read).

    # the pool and the colour bonus, on the first 150 training photos (session 18)
    python scripts/tune_shop_ranking.py --photos 150
    # the kind bonus: a kind head trained without the last 150 training photos, judged on them
    stylebot train kind --hold-out-last 150 --out var/kind_head_tune.pt
    python scripts/tune_shop_ranking.py --photos 150 --last --kind-head var/kind_head_tune.pt \
        --pools 1000 --bonuses 0.3 --kind-bonuses 0.05 0.1 0.2 0.3

For each pool size (inference/shop/index.py, PREFERENCE_POOL), colour bonus
(inference/shop/retrieval.py, COLOUR_BONUS) and kind bonus (KIND_BONUS), the street-to-shop
evaluation of training/eval_retrieval.py against ../shared/data/products (cached catalogue
vectors). Prints one JSON line per setting: category, colour and kind precision. The parser
trained on these photos (and the bundled kind head too, unless --kind-head names one trained
without them), so their levels run high here; only the differences between settings are read.
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
    parser.add_argument("--last", action="store_true",
                        help="the last N training photos rather than the first")
    parser.add_argument("--kind-head", type=Path, default=None)
    parser.add_argument("--pools", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--bonuses", type=float, nargs="+",
                        default=[0.1, 0.15, 0.2, 0.3, 0.5, 1.0])
    parser.add_argument("--kind-bonuses", type=float, nargs="+", default=[None])
    args = parser.parse_args()
    for pool in args.pools:
        shop_index.PREFERENCE_POOL = pool
        for bonus in args.bonuses:
            for kind_bonus in args.kind_bonuses:
                result = evaluate(DATA / "ccp", DATA / "products", split="train",
                                  limit=args.photos, from_end=args.last, colour_bonus=bonus,
                                  kind_bonus=kind_bonus, kind_head_path=args.kind_head)
                print(json.dumps({"pool": pool, "colour_bonus": bonus, "kind_bonus": kind_bonus,
                                  **result["default"]}), flush=True)


if __name__ == "__main__":
    main()
