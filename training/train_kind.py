"""Train the kind-of-item head: `stylebot train kind` (seeded, one command).

Frozen features: the bundled Lite0 backbone's pooled 1280 features of garment crops (what the shop
embedder computes anyway). Labels, mapped by inference/shop/kinds.py:
- product photos (../shared/data/products): `articleType` -> kind, cut as `stylebot eval
  retrieval` cuts them (features shared through training.product_cache); every 10th product (in
  catalogue order) is held out;
- CCP street photos (../shared/data/ccp): each true garment of a class with several kinds, its
  kind from the fine label covering most of it (boots, jeans, blouse...; "shoes" and "bag" say
  nothing and are left out); cut twice, by the ground-truth mask and by the parser's paired
  garment (what a query is cut by); the parser's held-out photos (every 10th) are held out.
Loss: cross-entropy over the garment class's own kinds only; 3/4 of each batch from the street
(the queries are street photos), 500 steps: chosen on the training photos alone (their last 20%
held out inside the training split: street accuracy 0.55 with 2000 steps and half, 0.60 here).
Reported: accuracy on the held-out products and on the held-out street garments as the bot sees
them (parser crop, parser class; a garment the parser classed otherwise counts as wrong).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from inference.core.garments import CLASS_INDEX
from inference.parsing.lite0 import parser_digest
from inference.parsing.outfit import parse_outfit
from inference.shop.crop import crop_garment
from inference.shop.embedders import Lite0Embedder
from inference.shop.heads import KindNet
from inference.shop.kind_head import KIND_WEIGHTS, allowed
from inference.shop.kinds import CLASS_KINDS, kind_for
from training.ccp_data import labelled_photos, merged_mask_lut, split_photos
from training.train_parser import seed_everything

log = logging.getLogger(__name__)
CACHE = Path("var/cache/kind_train")
HOLD_OUT_EVERY = 10


def street_features(ccp: Path, split: str, embedder: Lite0Embedder, parser: str) -> dict:
    """Per true garment with a known kind (of a class with several kinds): ground-truth crop and
    parser crop features, kind, and the class the parser gave (cached on disk)."""
    from inference import backends
    from training.eval_retrieval import pair_items, true_garments

    key = f"{ccp.resolve()}|{split}|{parser}|{parser_digest()}|photo ids"
    path = CACHE / f"street-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npz"
    if path.exists():
        return dict(np.load(path, allow_pickle=False))
    segmenter = backends.create("parser", parser)
    names = json.loads((ccp / "labels.json").read_text())
    lut = merged_mask_lut(ccp)
    cols: dict[str, list] = {"gt": [], "parsed": [], "kind": [], "category": [], "parsed_as": [],
                             "photo": []}
    for photo in tqdm(split_photos(labelled_photos(ccp), split), desc=f"street {split}"):
        image = Image.open(photo.photo).convert("RGB")
        outfit = parse_outfit(image, segmenter)
        raw = np.asarray(Image.open(photo.mask).resize(outfit.image.size,
                                                       Image.Resampling.NEAREST))
        truths = [(category, kind, mask) for category, _, kind, mask
                  in true_garments(raw, lut, names, np.asarray(outfit.image))
                  if category in CLASS_KINDS and kind is not None]
        pairs = pair_items(outfit, [(c, m) for c, _, m in truths], "iou")
        for (category, kind, mask), paired in zip(truths, pairs, strict=True):
            gt = crop_garment(outfit.image, mask)
            if paired is None:
                parsed, parsed_as = gt, ""
            else:
                parsed_as = outfit.items[paired].category
                parsed = crop_garment(outfit.image, outfit.labels == CLASS_INDEX[parsed_as])
            feats = embedder.pooled([gt, parsed])
            cols["gt"].append(feats[0])
            cols["parsed"].append(feats[1])
            cols["kind"].append(kind)
            cols["category"].append(category)
            cols["parsed_as"].append(parsed_as)
            cols["photo"].append(photo.photo_id)
    data = {k: np.array(v) for k, v in cols.items()}
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **data)
    return data


def product_features(products: Path, embedder: Lite0Embedder, parser: str) -> dict:
    """Pooled features, kind and class of every product of a class with several kinds."""
    from training.eval_retrieval import read_catalog
    from training.product_cache import lite0_features, product_masks

    rows = read_catalog(products)
    pooled, _, _ = lite0_features(rows, product_masks(rows, parser), embedder, parser)
    keep, kinds = [], []
    for i, row in enumerate(rows):
        kind = kind_for(row["category"], row["shop_category"], row["title"]) \
            if row["category"] in CLASS_KINDS else None
        if kind is not None:
            keep.append(i)
            kinds.append(kind)
    return {"feats": pooled[keep], "kind": np.array(kinds),
            "category": np.array([rows[i]["category"] for i in keep]),
            "held_out": np.array([i % HOLD_OUT_EVERY == 0 for i in keep])}


def accuracy(net: KindNet, kinds: list[str], feats: np.ndarray, truth: np.ndarray,
             categories: np.ndarray) -> float:
    """Share of rows whose predicted kind (among `categories`' kinds) is the true one."""
    if not len(truth):
        return 0.0
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(feats.astype(np.float32)))
    mask = allowed(kinds, list(categories))
    pred = np.where(mask, logits.numpy(), -np.inf).argmax(1)
    names = np.array(kinds)[pred]
    ok = (names == truth) & mask.any(1)
    return round(float(ok.mean()), 4)


def _as_queries(net: KindNet, kinds: list[str], garments: dict) -> float:
    """Accuracy on street garments as the shop sees them: the parser's crop and class (a
    garment the parser classed otherwise counts as wrong)."""
    parsed_as = np.where(garments["parsed_as"] == "", garments["category"],
                         garments["parsed_as"])
    wrong_class = garments["parsed_as"] != garments["category"]
    return accuracy(net, kinds, garments["parsed"], np.where(wrong_class, "", garments["kind"]),
                    parsed_as)


def train(args: argparse.Namespace) -> dict:
    seed_everything(args.seed)
    embedder = Lite0Embedder(projection=None)
    shop = product_features(args.products, embedder, args.parser)
    street = street_features(args.ccp, "train", embedder, args.parser)
    tuning = None
    if args.hold_out_last:  # leave the last training photos to choose settings on
        photos = split_photos(labelled_photos(args.ccp), "train")
        kept = np.isin(street["photo"], [p.photo_id for p in photos[:-args.hold_out_last]])
        tuning = {k: v[~kept] for k, v in street.items()}
        street = {k: v[kept] for k, v in street.items()}
    held = street_features(args.ccp, "val", embedder, args.parser)
    kinds = sorted({str(k) for k in [*shop["kind"], *street["kind"]]})
    index = {k: i for i, k in enumerate(kinds)}
    train_shop = ~shop["held_out"]
    x_shop = torch.from_numpy(shop["feats"][train_shop].astype(np.float32))
    x_street = torch.from_numpy(
        np.concatenate([street["gt"], street["parsed"]]).astype(np.float32))
    y_shop = torch.tensor([index[k] for k in shop["kind"][train_shop]])
    y_street = torch.tensor([index[k] for k in np.concatenate([street["kind"]] * 2)])
    m_shop = torch.from_numpy(allowed(kinds, list(shop["category"][train_shop])))
    m_street = torch.from_numpy(allowed(kinds, list(np.concatenate([street["category"]] * 2))))
    log.info("%d product crops, %d street crops (%d garments), %d kinds: %s", len(y_shop),
             len(y_street), len(street["kind"]), len(kinds), dict(Counter(street["kind"])))

    net = KindNet(x_shop.shape[1], args.hidden, len(kinds))
    both = torch.cat([x_shop, x_street])
    net.mean.copy_(both.mean(0))
    net.std.copy_(both.std(0) + 1e-6)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    gen = torch.Generator().manual_seed(args.seed)
    n_street = round(args.batch * args.street_share)
    started = time.time()
    for step in range(1, args.steps + 1):
        net.train()
        a = torch.randint(len(y_shop), (args.batch - n_street,), generator=gen)
        b = torch.randint(len(y_street), (n_street,), generator=gen)
        x = torch.cat([x_shop[a], x_street[b]])
        y = torch.cat([y_shop[a], y_street[b]])
        mask = torch.cat([m_shop[a], m_street[b]])
        loss = torch.nn.functional.cross_entropy(net(x).masked_fill(~mask, -1e4), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            log.info("step %d loss %.3f", step, loss.item())
    net.eval()
    wrong_class = held["parsed_as"] != held["category"]
    meta = {
        "in_dim": int(x_shop.shape[1]), "hidden": args.hidden, "kinds": kinds,
        "seed": args.seed, "steps": args.steps, "street_share": args.street_share,
        "held_out_last_training_photos": args.hold_out_last,
        # their garments as queries (parser crop and class): what settings are chosen on
        "last_training_photos_parser_accuracy": _as_queries(net, kinds, tuning)
        if tuning is not None else None,
        "train_seconds": round(time.time() - started, 1),
        "trained_on": {"products": int(len(y_shop)), "street_garments": int(len(street["kind"]))},
        "held_out": {
            "products": int(shop["held_out"].sum()),
            "products_accuracy": accuracy(net, kinds, shop["feats"][shop["held_out"]],
                                          shop["kind"][shop["held_out"]],
                                          shop["category"][shop["held_out"]]),
            "street_garments": int(len(held["kind"])),
            "street_gt_crop_accuracy": accuracy(net, kinds, held["gt"], held["kind"],
                                                held["category"]),
            # as a query: parser crop, parser class (a garment classed otherwise is wrong)
            "street_parser_accuracy": _as_queries(net, kinds, held),
            "street_parser_class_right": int((~wrong_class).sum()),
            "street_parser_accuracy_class_right": accuracy(
                net, kinds, held["parsed"][~wrong_class], held["kind"][~wrong_class],
                held["category"][~wrong_class]),
            "street_majority_baseline": round(float(np.mean(
                [k == Counter(street["kind"][street["category"] == c]).most_common(1)[0][0]
                 for k, c in zip(held["kind"], held["category"], strict=True)])), 4)
            if len(held["kind"]) else 0.0,
        },
    }
    state = {k: v.half() if v.is_floating_point() else v for k, v in net.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta": meta, "state_dict": state}, args.out)
    log.info("saved %s: %s", args.out, meta)
    return meta


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="stylebot train kind",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=Path, default=Path("../shared/data/products"))
    parser.add_argument("--ccp", type=Path, default=Path("../shared/data/ccp"))
    parser.add_argument("--parser", default="lite0-fpn")
    parser.add_argument("--out", type=Path, default=KIND_WEIGHTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--street-share", type=float, default=0.75,
                        help="share of each batch from the street crops")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--hold-out-last", type=int, default=0,
                        help="leave out the street garments of the last N training photos (for "
                        "choosing the shop's ranking on them: scripts/tune_shop_ranking.py)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    return train(args)


if __name__ == "__main__":
    main()
