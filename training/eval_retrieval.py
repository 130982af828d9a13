"""`stylebot eval retrieval --queries DIR --catalog DIR`: street-to-shop precision.

Queries: a folder laid out like ../shared/data/ccp (photos/, masks/, labels.json). The masks only
say which garments are there and what they truly are: each garment class covering at least 1% of
the person (and 400 pixels) is one query, with its true class and its true colour family (our
colour rules on the ground-truth pixels, as the parser's items get theirs). The query itself is
what the bot would send: the parser runs on the photo; the parser's garment paired with the true
one (`--match`, see `pair_items`: by default one-to-one by IoU) is cut out with the parser's own
mask, embedded, and searched with the parser's class and colour; a true garment left without a
parsed one scores zero.

Catalogue: a folder laid out like ../shared/data/products (catalog.csv with id, articleType,
baseColour, productDisplayName; images/<id>.jpg), mapped to our classes and colour families by
inference/shop/catalog_terms.py.
Relevance: an item is a category match if its class is the garment's
true class, a colour match if its family is the garment's true family, a kind match if its kind
(inference/shop/kinds.py: `articleType` -> kind) is the garment's true kind (its CCP fine label's:
boots, jeans, blouse...). Kind precision counts only garments whose true kind is known (not CCP's
bare "shoes" or "bag") and has at least 10 catalogue items (the products have no boots, coats
or blouses); the others are counted under `kind_skipped`.

Reported: precision@1 and @10 for category, colour and kind, for the default shop behaviour
(class filter + kind and colour preference, what the chat shows), for the same without the
kind preference (the ranking before kinds), and for visual similarity alone (no filters), per
class too; the mean time of a query (cut + embed + search) and of parsing a photo.
"""

from __future__ import annotations

import csv
import json
import logging
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm

from inference import backends
from inference.core.colour_light import colours_in_scene
from inference.core.garments import CLASS_INDEX, GARMENT_CLASSES
from inference.parsing.outfit import garment_colours, parse_outfit
from inference.shop.catalog_terms import category_for, family_for
from inference.shop.crop import crop_garment
from inference.shop.index import CatalogIndex, build_index
from inference.shop.kind_head import KindHead, load_kind_head
from inference.shop.kinds import ccp_kind, kind_for
from inference.shop.retrieval import GarmentQuery, embed_with_kinds, search
from training.ccp_data import labelled_photos, merged_mask_lut, split_photos

log = logging.getLogger(__name__)

MIN_GARMENT_SHARE = 0.01
MIN_GARMENT_PIXELS = 400
MIN_CLASS_ITEMS = 10  # a class with fewer catalogue items cannot reach precision@10


def read_catalog(folder: Path) -> list[dict]:
    rows = []
    with open(folder / "catalog.csv", newline="", encoding="utf-8-sig") as f:
        for raw in csv.DictReader(f):
            image = folder / "images" / f"{raw['id']}.jpg"
            if not image.exists():
                continue
            title = raw.get("productDisplayName") or raw.get("title") or ""
            shop = raw.get("articleType") or raw.get("shop_category")
            category = category_for(shop, title, raw.get("category"))
            rows.append({
                "id": raw["id"], "title": title, "shop_category": shop,
                "category": category, "kind": kind_for(category, shop, title),
                "colour_name": raw.get("baseColour") or raw.get("colour"),
                "colour_family": family_for(raw.get("baseColour") or raw.get("colour")),
                "price": None, "currency": None, "url": None, "image": str(image),
                "image_path": str(image), "demo": 0,
            })
    return rows


def catalog_vectors(items: list[dict], embedder, parser: str,  # noqa: ANN001
                    cache_dir: Path | None) -> tuple[np.ndarray, float]:
    """(n, dim) vectors of the catalogue's photos (masks and backbone features cached by the
    parser and the rows, see training.product_cache); and the seconds spent."""
    from training.product_cache import vectors_for

    started = time.monotonic()
    vectors = vectors_for(items, embedder, parser, cache_dir)
    return vectors, time.monotonic() - started


def true_garments(raw: np.ndarray, lut: np.ndarray, names: list[str], rgb: np.ndarray
                  ) -> list[tuple[str, str, str | None, np.ndarray]]:
    """(class, colour family, kind, mask) of each garment big enough to shop for, from a CCP
    mask of fine label ids (`raw`), the merging table and the fine labels' names."""
    labels = lut[raw]
    person = int((labels != CLASS_INDEX["background"]).sum())
    out = []
    for cls in GARMENT_CLASSES:
        mask = labels == CLASS_INDEX[cls]
        pixels = int(mask.sum())
        if pixels < MIN_GARMENT_PIXELS or pixels < MIN_GARMENT_SHARE * person:
            continue
        family = garment_colours(rgb, mask)[0].family
        kind = ccp_kind(names[int(np.bincount(raw[mask]).argmax())])
        out.append((cls, family, kind, mask))
    return out


def evaluate(queries: Path, catalog: Path, embedder_name: str = "lite0",
             parser: str = "lite0-fpn", split: str | None = None, limit: int | None = None,
             cache_dir: Path | None = Path("var/cache/products"), k: int = 10,
             query_masks: str = "parser", colour_bonus: float | None = None,
             match: str = "iou", kind_bonus: float | None = None, from_end: bool = False,
             kind_head_path: Path | None = None) -> dict:
    """`from_end`: the last `limit` photos of the split rather than the first; `kind_head_path`:
    another kind head than the bundled one (both for tuning, scripts/tune_shop_ranking.py)."""
    embedder = backends.create("embedder", embedder_name)
    segmenter = backends.create("parser", parser)
    kind_head = load_kind_head(kind_head_path) if kind_head_path else load_kind_head()
    items = read_catalog(catalog)
    vectors, embed_seconds = catalog_vectors(items, embedder, parser, cache_dir)
    class_sizes: dict[str, int] = defaultdict(int)
    kind_sizes: dict[str | None, int] = defaultdict(int)
    for item in items:
        class_sizes[item["category"]] += 1
        kind_sizes[item["kind"]] += 1
    photos = split_photos(labelled_photos(queries), split)
    photos = photos[-limit:] if from_end and limit else photos[:limit]
    lut = merged_mask_lut(queries)
    names = json.loads((queries / "labels.json").read_text())
    records: list[dict] = []
    parse_times, query_times = [], []
    skipped_classes: dict[str, int] = defaultdict(int)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(Path(tmp), vectors, items, embedder.name)
        from inference.shop.index import current_build

        index = CatalogIndex(current_build(Path(tmp)))  # type: ignore[arg-type]
        for photo in tqdm(photos, desc="queries", unit="photo"):
            image = Image.open(photo.photo).convert("RGB")
            started = time.perf_counter()
            outfit = parse_outfit(image, segmenter)
            parse_times.append(time.perf_counter() - started)
            raw = np.asarray(Image.open(photo.mask).resize(outfit.image.size,
                                                           Image.Resampling.NEAREST))
            rgb = np.asarray(outfit.image)
            garments = []
            for cls, family, kind, mask in true_garments(raw, lut, names, rgb):
                if class_sizes[cls] < MIN_CLASS_ITEMS:
                    skipped_classes[cls] += 1
                else:
                    garments.append((cls, family, kind, mask))
            pairs = pair_items(outfit, [(cls, mask) for cls, _, _, mask in garments], match)
            for (cls, family, kind, mask), paired in zip(garments, pairs, strict=True):
                scored = kind is not None and kind_sizes[kind] >= MIN_CLASS_ITEMS
                record = {"photo": photo.photo_id, "class": cls, "family": family,
                          "kind": kind if scored else None, "true_kind": kind}
                started = time.perf_counter()
                query = _query(outfit, mask, cls, embedder, query_masks, paired, kind_head,
                               index.kinds)
                if query is None:
                    records.append({**record, "found": False})
                    continue
                hits = {"default": search(index, query, "default", k,
                                          colour_bonus=colour_bonus, kind_bonus=kind_bonus)}
                query_times.append(time.perf_counter() - started)  # cut + embed + search
                hits["visual"] = search(index, query, "visual", k)
                hits["no_kind"] = search(index, query, "default", k, colour_bonus=colour_bonus,
                                         kind_bonus=0.0)
                record.update(found=True, parsed_as=query.category,
                              parsed_family=query.colour_family, parsed_kind=query.kind)
                for mode, found in hits.items():
                    record[mode] = [(h.item["category"], h.item["colour_family"],
                                     h.item.get("kind")) for h in found]
                records.append(record)
    summary = _summary(records, len(photos), items, embedder.name, embed_seconds, parse_times,
                       query_times, skipped_classes, query_masks, k)
    summary["match"] = match
    return summary


def _query(outfit, truth_mask: np.ndarray, cls: str, embedder,  # noqa: ANN001
           query_masks: str, best: int | None, kind_head: KindHead | None,
           stocked: frozenset[str]) -> GarmentQuery | None:
    """The query for one true garment: the parser's garment `best` paired with it."""
    if query_masks == "gt":  # diagnostic: the true mask, class and colour
        crop = crop_garment(outfit.image, truth_mask)
        family = colours_in_scene(crop.pixels)[0].family
        vectors, kinds = embed_with_kinds([crop], [cls], embedder, kind_head, stocked)
        return GarmentQuery(0, cls, family, family, cls, vectors[0], kinds[0])
    if best is None:
        return None
    item = outfit.items[best]
    crop = crop_garment(outfit.image, outfit.labels == CLASS_INDEX[item.category])
    vectors, kinds = embed_with_kinds([crop], [item.category], embedder, kind_head, stocked)
    return GarmentQuery(best, item.category, item.colour.family, item.colour.name, item.name,
                        vectors[0], kinds[0])


def pair_items(outfit, truths: list[tuple[str, np.ndarray]],  # noqa: ANN001
               match: str) -> list[int | None]:
    """Which of the parser's garments answers each true garment (None: missed).

    "iou" (default): one-to-one, the pairing with the largest total intersection over union
    (Hungarian assignment), as detection and panoptic evaluations pair segments: each parsed
    garment is one button in the chat, so it answers for one true garment; a true garment left
    without an overlapping parsed one is missed. "nearest": each true garment takes the parsed
    garment with its highest IoU, even one already taken (a jacket parsed over the top as well
    answers for both). "class": the parser's garment of the true class, as a user picking the
    garment button by its name would."""
    if match == "class":
        return [next((n for n, i in enumerate(outfit.items) if i.category == cls), None)
                for cls, _ in truths]
    iou = np.zeros((len(truths), len(outfit.items)))
    for n, item in enumerate(outfit.items):
        parsed = outfit.labels == CLASS_INDEX[item.category]
        for t, (_, truth) in enumerate(truths):
            inter = int((truth & parsed).sum())
            iou[t, n] = inter / max(int((truth | parsed).sum()), 1)
    if match == "nearest":
        return [int(row.argmax()) if row.size and row.max() > 0 else None for row in iou]
    if match != "iou":
        raise ValueError(f"unknown pairing {match!r}: iou, nearest or class")
    pairs: list[int | None] = [None] * len(truths)
    for t, n in zip(*linear_sum_assignment(iou, maximize=True), strict=True):
        if iou[t, n] > 0:
            pairs[t] = int(n)
    return pairs


def _precision(records: list[dict], mode: str, field: int, key: str, k: int) -> float:
    values = []
    for r in records:
        if not r["found"]:
            values.append(0.0)
            continue
        got = r[mode][:k]
        values.append(sum(1 for g in got if g[field] == r[key]) / k)
    return round(float(np.mean(values)), 4) if values else 0.0


def _scores(records: list[dict], mode: str, k: int) -> dict:
    kinds = [r for r in records if r["kind"] is not None]
    return {"category_p1": _precision(records, mode, 0, "class", 1),
            f"category_p{k}": _precision(records, mode, 0, "class", k),
            "colour_p1": _precision(records, mode, 1, "family", 1),
            f"colour_p{k}": _precision(records, mode, 1, "family", k),
            "kind_p1": _precision(kinds, mode, 2, "kind", 1),
            f"kind_p{k}": _precision(kinds, mode, 2, "kind", k)}


def _summary(records, photos, items, embedder, embed_seconds, parse_times,  # noqa: ANN001
             query_times, skipped, query_masks, k) -> dict:  # noqa: ANN001
    per_class = {}
    for cls in GARMENT_CLASSES:
        mine = [r for r in records if r["class"] == cls]
        if mine:
            per_class[cls] = {"queries": len(mine),
                              "parser_found": sum(r["found"] for r in mine),
                              "parsed_as_class": round(sum(
                                  r.get("parsed_as") == cls for r in mine) / len(mine), 3),
                              "default": _scores(mine, "default", k),
                              "visual_only": _scores(mine, "visual", k)}
    found = [r for r in records if r["found"]]
    scored = [r for r in found if r["kind"] is not None]
    return {
        "photos": photos, "queries": len(records),
        "kind_queries": sum(r["kind"] is not None for r in records),
        "kind_skipped": dict(sorted(Counter(
            r["true_kind"] or "unknown" for r in records if r["kind"] is None).items())),
        "parsed_kind_agrees": round(float(np.mean(
            [r["parsed_kind"] == r["kind"] for r in scored])), 4) if scored else None,
        "missed_by_parser": len(records) - len(found), "query_masks": query_masks,
        "default": _scores(records, "default", k), "visual_only": _scores(records, "visual", k),
        "default_without_kinds": _scores(records, "no_kind", k),
        "parsed_colour_agrees": round(float(np.mean(
            [r["parsed_family"] == r["family"] for r in found])), 4) if found else None,
        "per_class": per_class,
        "skipped_classes_under_10_items": dict(skipped),
        "timing": {"mean_query_ms": round(1000 * float(np.mean(query_times)), 2)
                   if query_times else None,
                   "mean_parse_ms_per_photo": round(1000 * float(np.mean(parse_times)), 1)
                   if parse_times else None,
                   "catalog_embed_seconds": round(embed_seconds, 1)},
        "catalog": {"items": len(items), "embedder": embedder,
                    "mappings": "inference/shop/catalog_terms.py"},
    }
