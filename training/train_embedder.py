"""Train the garment projection: `stylebot train embedder` (seeded, one command).

The bundled ImageNet EfficientNet-Lite0 stays frozen; a small head (1280 -> 512 -> 128) learns a
space where garments of one kind sit together across the street/shop gap, as in FaceNet-style
metric learning (the seed's "Fashion Style in 128 Floats" / deep-ranking slides):
- street side: garment crops cut from the CCP training photos with their ground-truth masks
  (every 10th photo is held out, as for the parser), 1 clean + `--street-aug` augmented each;
- shop side: product photos from ../shared/data/products cut to the garment (parser on a model,
  foreground otherwise), 1 clean + `--product-aug` augmented each;
- augmentations: flips, mask erosion/dilation (the parser's edges are never exact), box margin,
  brightness/contrast; never hue, because colour is part of what must match;
- loss: batch-hard triplet loss (margin 0.2) over garment classes on P x K batches mixing both
  sides, plus the same loss over the shop's own article types (weight 0.5) so that, inside a
  class, T-shirts stay apart from shirts and heels from sneakers.
The colour weight of the final vector is then chosen on the held-out street crops.
Backbone features are cached in var/cache/embed_train/ so a second run only trains the head.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageEnhance
from scipy import ndimage
from tqdm import tqdm

from inference.core.garments import CLASS_INDEX, CLASSES, GARMENT_CLASSES
from inference.parsing.lite0 import parser_digest
from inference.shop.catalog_terms import OTHER, family_for
from inference.shop.crop import GarmentCrop, crop_garment
from inference.shop.embedders import (
    PROJECTION_WEIGHTS,
    Lite0Embedder,
    colour_descriptor,
    combine,
)
from inference.shop.heads import Projection
from training.ccp_data import labelled_photos, load_merged_mask, merged_mask_lut, train_val_split
from training.train_parser import seed_everything

log = logging.getLogger(__name__)
CACHE = Path("var/cache/embed_train")
#: A ground-truth garment becomes a query/training crop at this share of the person (and pixels).
MIN_GARMENT_SHARE = 0.01
MIN_GARMENT_PIXELS = 400


def street_garments(labels: np.ndarray) -> list[str]:
    """Garment classes present in a merged ground-truth mask, big enough to shop for."""
    person = int((labels != CLASS_INDEX["background"]).sum())
    found = []
    for cls in GARMENT_CLASSES:
        pixels = int((labels == CLASS_INDEX[cls]).sum())
        if pixels >= MIN_GARMENT_PIXELS and pixels >= MIN_GARMENT_SHARE * person:
            found.append(cls)
    return found


def augment(image: Image.Image, mask: np.ndarray, rng: random.Random) -> GarmentCrop:
    if rng.random() < 0.5:
        image, mask = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), mask[:, ::-1]
    steps = rng.choice([0, 1, 2, 3])
    if steps and rng.random() < 0.5:
        grown = ndimage.binary_dilation(mask, iterations=steps)
        mask = grown if rng.random() < 0.5 else ndimage.binary_erosion(mask, iterations=steps)
        if not mask.any():
            mask = grown
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.8, 1.2))
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.85, 1.15))
    return crop_garment(image, np.ascontiguousarray(mask), margin=rng.uniform(0.0, 0.15))


def _street_crops(ccp: Path, split: str, n_aug: int, rng: random.Random,  # noqa: ANN202
                  limit: int | None = None):
    photos = labelled_photos(ccp)
    train, val = train_val_split(photos)
    train, val = train[:limit], val[:limit]
    lut = merged_mask_lut(ccp)
    for photo in tqdm(train if split == "train" else val, desc=f"street {split}", leave=False):
        image = Image.open(photo.photo).convert("RGB")
        labels = load_merged_mask(photo.mask, lut)
        for cls in street_garments(labels):
            mask = labels == CLASS_INDEX[cls]
            crops = [crop_garment(image, mask)]
            crops += [augment(image, mask, rng) for _ in range(n_aug)]
            yield photo.photo_id, cls, crops


class _Features:
    """Backbone features, colour histograms and labels of crops, gathered side by side."""

    def __init__(self, embedder: Lite0Embedder) -> None:
        self.embedder = embedder
        self.cols: dict[str, list] = {k: [] for k in (
            "feats", "colours", "cats", "fine", "domain", "group", "clean")}

    def add(self, crops: list[GarmentCrop], category: str, fine: str, side: int, gid: int,
            clean: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Features of `crops`, the first being the clean one unless `clean` (its cached
        backbone features and colours) is given."""
        feats = self.embedder.pooled(crops)
        cols = np.stack([colour_descriptor(c.pixels) for c in crops])
        if clean is not None:
            feats, cols = np.vstack([clean[0][None], feats]), np.vstack([clean[1][None], cols])
        n = len(feats)
        self.cols["feats"].append(feats.astype(np.float16))
        self.cols["colours"].append(cols.astype(np.float16))
        self.cols["cats"] += [CLASSES.index(category)] * n
        self.cols["fine"] += [fine] * n
        self.cols["domain"] += [side] * n
        self.cols["group"] += [gid] * n
        self.cols["clean"] += [1] + [0] * (n - 1)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if k in ("feats", "colours") else np.array(v)
                for k, v in self.cols.items()}


def _cached(name: str, key: str, make) -> dict[str, np.ndarray]:  # noqa: ANN001
    path = CACHE / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npz"
    if path.exists():
        log.info("backbone features from %s", path)
        return dict(np.load(path, allow_pickle=False))
    data = make()
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **data)
    return data


def extract(products: Path, ccp: Path, street_aug: int, product_aug: int, seed: int,
            limit: int | None = None) -> dict:
    """Backbone features of every crop, street and shop parts cached on disk separately."""
    embedder = Lite0Embedder(projection=None)

    def street() -> dict:
        rng = random.Random(seed)
        out = _Features(embedder)
        for split, side in (("train", 0), ("val", 2)):
            n_aug = street_aug if side == 0 else 0
            for gid, (_, cls, crops) in enumerate(_street_crops(ccp, split, n_aug, rng, limit)):
                out.add(crops, cls, "", side, gid + (0 if side == 0 else 100_000))
        return out.arrays()

    def shop() -> dict:
        from training.product_cache import lite0_features, product_masks

        rng = random.Random(seed + 1)
        from training.eval_retrieval import read_catalog

        # The same rows as `stylebot eval retrieval`, so masks and clean features are shared.
        rows = read_catalog(products)[:limit]
        masks = product_masks(rows)
        pooled, colours, _ = lite0_features(rows, masks, embedder)
        out = _Features(embedder)
        for gid, (row, mask) in enumerate(tqdm(list(zip(rows, masks, strict=True)),
                                               desc="augmented products", leave=False)):
            if row["category"] == OTHER:
                continue
            image = Image.open(row["image_path"]).convert("RGB")
            crops = [augment(image, mask, rng) for _ in range(product_aug)]
            family = row["colour_family"] or ""
            out.add(crops, row["category"], f"{row['shop_category']}|{family}", 1,
                    200_000 + gid, clean=(pooled[gid], colours[gid]))
        return out.arrays()

    a = _cached("street", f"{ccp}|{street_aug}|{seed}|{limit}", street)
    b = _cached("shop", f"{products}|{product_aug}|{seed}|{limit}|{parser_digest()}", shop)
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def batch_hard_triplet(emb: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """FaceNet's batch-hard variant: per anchor the farthest positive and nearest negative."""
    dist = torch.cdist(emb, emb)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool)
    pos = (dist * (same & ~eye)).max(1).values
    neg = dist.masked_fill(same, float("inf")).min(1).values
    valid = (same & ~eye).any(1) & (~same).any(1)
    if not valid.any():
        return emb.sum() * 0
    return torch.relu(pos - neg + margin)[valid].mean()


def _pk_batch(by_class: dict[int, np.ndarray], street: dict[int, np.ndarray], p: int, k: int,
              rng: np.random.Generator) -> np.ndarray:
    classes = rng.choice(list(by_class), size=min(p, len(by_class)), replace=False)
    rows = []
    for c in classes:
        half = k // 2 if c in street else 0
        if half:
            rows.append(rng.choice(street[c], half, replace=len(street[c]) < half))
        rows.append(rng.choice(by_class[c], k - half, replace=len(by_class[c]) < k - half))
    return np.concatenate(rows)


def precision_at(queries: np.ndarray, q_labels: np.ndarray, base: np.ndarray,
                 b_labels: np.ndarray, k: int = 10) -> float:
    sims = queries @ base.T
    top = np.argsort(-sims, axis=1)[:, :k]
    return float((b_labels[top] == q_labels[:, None]).mean())


def train(args: argparse.Namespace) -> dict:
    seed_everything(args.seed)
    data = extract(args.products, args.ccp, args.street_aug, args.product_aug, args.seed,
                   args.limit)
    feats = torch.from_numpy(data["feats"].astype(np.float32))
    cats, domain, clean = data["cats"], data["domain"], data["clean"]
    fine_names, fine = np.unique(data["fine"], return_inverse=True)
    train_rows = np.nonzero(domain < 2)[0]
    by_class = {c: train_rows[cats[train_rows] == c] for c in np.unique(cats[train_rows])}
    street = {c: r[domain[r] == 0] for c, r in by_class.items() if (domain[r] == 0).any()}
    products = np.nonzero((domain == 1) & (clean == 1))[0]
    val_q = np.nonzero(domain == 2)[0]
    col = data["colours"].astype(np.float32)
    fam_names = [family_for(f.split("|")[1]) if "|" in f else None for f in fine_names]
    log.info("%d crops (%d street train, %d products, %d street val)", len(cats),
             int((domain == 0).sum()), len(products), len(val_q))

    def evaluate(head: torch.nn.Module | None) -> float:
        with torch.no_grad():
            z = feats if head is None else head.eval()(feats)
        z = torch.nn.functional.normalize(z, dim=-1).numpy()
        return precision_at(z[val_q], cats[val_q], z[products], cats[products])

    baseline = evaluate(None)
    head = Projection(feats.shape[1], args.hidden, args.dim)
    opt = torch.optim.AdamW(head.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps)
    rng = np.random.default_rng(args.seed)
    fine_t, cats_t = torch.from_numpy(fine), torch.from_numpy(cats)
    best = {"val_category_p10": -1.0}
    started = time.time()
    for step in range(1, args.steps + 1):
        head.train()
        rows = torch.from_numpy(_pk_batch(by_class, street, args.p, args.k, rng))
        emb = head(feats[rows])
        loss = batch_hard_triplet(emb, cats_t[rows], args.margin)
        shop = domain[rows.numpy()] == 1
        if shop.sum() > 2:
            loss = loss + 0.5 * batch_hard_triplet(emb[shop], fine_t[rows][shop], args.margin)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % args.eval_every == 0 or step == args.steps:
            p10 = evaluate(head)
            log.info("step %d loss %.3f val category P@10 %.3f (raw %.3f)", step, loss.item(),
                     p10, baseline)
            if p10 > best["val_category_p10"]:
                best = {"val_category_p10": p10, "step": step,
                        "state": {k: v.clone() for k, v in head.state_dict().items()}}
    head.load_state_dict(best.pop("state"))
    head.eval()
    with torch.no_grad():
        z = head(feats).numpy()
    # Colour weight: the best colour-family P@10 whose class P@10 stays within 0.02 of the top.
    fam = np.array([fam_names[f] if domain[i] == 1 else None for i, f in enumerate(fine)])
    q_fam = _street_families(args.ccp, args.limit)
    choices = []
    for wc in (0.0, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6):
        v = combine(z, col, wc)
        cat_p = precision_at(v[val_q], cats[val_q], v[products], cats[products])
        fam_p = precision_at(v[val_q], q_fam, v[products], fam[products]) if len(q_fam) else 0.0
        choices.append((wc, cat_p, fam_p))
        log.info("colour weight %.2f: val category P@10 %.3f, colour family P@10 %.3f",
                 wc, cat_p, fam_p)
    top_cat = max(c for _, c, _ in choices)
    colour_weight = max((c for c in choices if c[1] >= top_cat - 0.02), key=lambda c: c[2])[0]
    meta = {"in_dim": int(feats.shape[1]), "hidden": args.hidden, "out_dim": args.dim,
            "colour_weight": colour_weight, "seed": args.seed, "steps": args.steps,
            "best_step": best["step"], "val_category_p10": round(best["val_category_p10"], 4),
            "raw_val_category_p10": round(baseline, 4), "colour_choices": choices,
            "train_seconds": round(time.time() - started, 1),
            "trained_on": "CCP train split (GT masks) + ../shared/data/products"}
    state = {k: v.half() if v.is_floating_point() else v for k, v in head.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta": meta, "state_dict": state}, args.out)
    log.info("saved %s: %s", args.out, meta)
    return meta


def _street_families(ccp: Path, limit: int | None = None) -> np.ndarray:
    """Colour family of each held-out street crop, in the order extract() wrote them."""
    from inference.parsing.outfit import garment_colours

    photos = labelled_photos(ccp)
    val = train_val_split(photos)[1][:limit]
    lut = merged_mask_lut(ccp)
    out = []
    for photo in val:
        rgb = np.asarray(Image.open(photo.photo).convert("RGB"))
        labels = load_merged_mask(photo.mask, lut)
        for cls in street_garments(labels):
            mask = labels == CLASS_INDEX[cls]
            out.append(garment_colours(rgb, mask)[0].family)
    return np.array(out, dtype=object)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="stylebot train embedder",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=Path, default=Path("../shared/data/products"))
    parser.add_argument("--ccp", type=Path, default=Path("../shared/data/ccp"))
    parser.add_argument("--out", type=Path, default=PROJECTION_WEIGHTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--street-aug", type=int, default=4)
    parser.add_argument("--product-aug", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--p", type=int, default=14, help="classes per batch")
    parser.add_argument("--k", type=int, default=16, help="crops per class in a batch")
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--margin", type=float, default=0.2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None,
                        help="only the first N products and photos (a smoke test)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    return train(args)


if __name__ == "__main__":
    main()
