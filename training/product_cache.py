"""Cached per-product work for a catalogue folder laid out like ../shared/data/products: the
garment masks (one parser run per worn product) and, for the Lite0 family of embedders, the
backbone features and colour histograms of the clean crops. The evaluation and the projection's
training share them, so the 9.6k product photos are parsed and embedded once per parser.

Cached under var/cache/products/, keyed by the parser (backend, and for the bundled one its
weights and decoding) and the catalogue's rows.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from inference.backends import create_product_parser
from inference.shop.crop import WORN, GarmentCrop, crop_garment, product_mask
from inference.shop.retrieval import product_masks_key, seen_family

log = logging.getLogger(__name__)

CACHE = Path("var/cache/products")


def masks_digest(parser: str) -> str:
    """Short name for what cut the product photos (retrieval.product_masks_key)."""
    return hashlib.sha256(product_masks_key(parser).encode()).hexdigest()[:12]


def rows_digest(rows: list[dict]) -> str:
    text = "|".join(f"{r['id']}:{r['category']}:{r['image_path']}" for r in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def product_masks(rows: list[dict], parser: str = "lite0-fpn", cache: Path | None = CACHE,
                  ) -> list[np.ndarray]:
    """Each product's garment mask (bool, at the photo's size), cut by the `parser` backend
    (loaded only when the cache does not have them)."""
    path = cache / f"masks-{masks_digest(parser)}-{rows_digest(rows)}.npz" if cache else None
    if path is not None and path.exists():
        data = np.load(path)
        shapes, bits = data["shapes"], data["bits"]
        offsets = np.concatenate([[0], np.cumsum([(h * w + 7) // 8 for h, w in shapes])])
        return [np.unpackbits(bits[offsets[i]:offsets[i + 1]])[:h * w].reshape(h, w)
                .astype(bool) for i, (h, w) in enumerate(shapes)]
    segmenter = create_product_parser(parser)
    masks = []
    for row in tqdm(rows, desc="product masks", unit="img"):
        image = Image.open(row["image_path"]).convert("RGB")
        labels = segmenter.segment(image) if row["category"] in WORN else None
        masks.append(product_mask(image, row["category"], labels))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, shapes=np.array([m.shape for m in masks]),
                 bits=np.concatenate([np.packbits(m.ravel()) for m in masks]))
    return masks


def clean_crops(rows: list[dict], masks: list[np.ndarray]):  # noqa: ANN201
    for row, mask in zip(rows, masks, strict=True):
        yield crop_garment(Image.open(row["image_path"]).convert("RGB"), mask)


def lite0_features(rows: list[dict], masks: list[np.ndarray], embedder,  # noqa: ANN001
                   parser: str = "lite0-fpn", cache: Path | None = CACHE, batch: int = 64,
                   ) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Backbone features (n, 1280), colour histograms (n, 64) and seen colour families of the
    clean crops (`masks`, cut by `parser`), for any Lite0Embedder (the projection is applied by
    the caller)."""
    from inference.shop.embedders import colour_descriptor

    path = cache / f"lite0-{masks_digest(parser)}-{rows_digest(rows)}.npz" if cache else None
    if path is not None and path.exists():
        data = np.load(path, allow_pickle=False)
        return (data["pooled"].astype(np.float32), data["colours"].astype(np.float32),
                [f or None for f in data["families"].tolist()])
    pooled, colours, families = [], [], []
    buffer: list[GarmentCrop] = []

    def flush() -> None:
        if buffer:
            pooled.append(embedder.pooled(buffer))
            buffer.clear()

    for crop in tqdm(clean_crops(rows, masks), total=len(rows), desc="product features",
                     unit="img"):
        colours.append(colour_descriptor(crop.pixels))
        families.append(seen_family(crop))
        buffer.append(crop)
        if len(buffer) >= batch:
            flush()
    flush()
    result = (np.concatenate(pooled).astype(np.float32), np.stack(colours), families)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, pooled=result[0].astype(np.float16), colours=result[1].astype(np.float16),
                 families=np.array([f or "" for f in families]))
    return result


def vectors_for(rows: list[dict], embedder, parser: str = "lite0-fpn",  # noqa: ANN001
                cache: Path | None = CACHE,
                progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Catalogue vectors for any embedder, reusing the caches where the embedder allows."""
    from inference.shop.embedders import Lite0Embedder, combine

    masks = product_masks(rows, parser, cache)
    if isinstance(embedder, Lite0Embedder):
        pooled, colours, _ = lite0_features(rows, masks, embedder, parser, cache)
        return combine(embedder.project(pooled), colours, embedder.colour_weight)
    out = []
    crops: list[GarmentCrop] = []
    for crop in clean_crops(rows, masks):
        crops.append(crop)
        if len(crops) >= 32:
            out.append(embedder.embed(crops))
            crops = []
    if crops:
        out.append(embedder.embed(crops))
    return np.concatenate(out) if out else np.zeros((0, embedder.dim), np.float32)
