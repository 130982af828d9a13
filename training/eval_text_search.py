"""`stylebot eval text-search --catalog DIR [--data CSV]`: text search precision.

Queries: a CSV of query, kind, colour_family (default training/data/text_queries/held_out.csv:
50 queries written before any tuning and held out from it). Catalogue: a folder laid out like
../shared/data/products, mapped by inference/shop/catalog_terms.py and kinds.py, its titles
embedded with the bundled MiniLM (cached in var/cache/products/). For each query, the top k of
`text_search`: kind P@k (the item's kind is the query's; queries whose kind has fewer than 10
catalogue items are left out and listed) and colour P@k (the item's family is the query's).
"""

from __future__ import annotations

import csv
import hashlib
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from inference.shop.index import CatalogIndex, build_index, current_build
from inference.shop.text_search import TextEncoder, item_text, text_search
from training.eval_retrieval import MIN_CLASS_ITEMS, read_catalog

QUERIES = Path(__file__).parent / "data" / "text_queries" / "held_out.csv"


def title_vectors(items: list[dict], encoder: TextEncoder, cache: Path | None) -> np.ndarray:
    texts = [item_text(i) for i in items]
    digest = hashlib.sha256("\n".join([encoder.name, *texts]).encode()).hexdigest()[:12]
    path = cache / f"text-{digest}.npy" if cache else None
    if path is not None and path.exists():
        return np.load(path)
    vectors = encoder.encode(texts)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def evaluate(catalog: Path, queries: Path = QUERIES, k: int = 10, kinds: bool = True,
             cache: Path | None = Path("var/cache/products")) -> dict:
    items = read_catalog(catalog)
    encoder = TextEncoder()
    vectors = title_vectors(items, encoder, cache)
    kind_sizes = Counter(i["kind"] for i in items)
    with open(queries, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    kind_p, colour_p, skipped, misses = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        build_index(Path(tmp), np.zeros((len(items), 1), np.float32), items, "none",
                    n_trees=1, text_vectors=vectors, text_model=encoder.name)
        index = CatalogIndex(current_build(Path(tmp)))  # type: ignore[arg-type]
        for row in rows:
            _, hits = text_search(index, encoder, row["query"], k, kinds=kinds)
            got = [h.item for h in hits] + [{}] * (k - len(hits))
            colour_p.append(np.mean([i.get("colour_family") == row["colour_family"]
                                     for i in got]))
            if kind_sizes[row["kind"]] < MIN_CLASS_ITEMS:
                skipped.append(row["query"])
                continue
            kind_p.append(np.mean([i.get("kind") == row["kind"] for i in got]))
            if kind_p[-1] < 1:
                misses.append(f"{row['query']}: {Counter(i.get('kind') for i in got)}")
    return {"queries": len(rows), "kind_queries": len(kind_p),
            f"kind_p{k}": round(float(np.mean(kind_p)), 4) if kind_p else None,
            f"colour_p{k}": round(float(np.mean(colour_p)), 4) if colour_p else None,
            "kind_skipped_not_in_catalogue": skipped, "kind_misses": misses,
            "kinds_used": kinds, "catalog_items": len(items), "queries_file": str(queries)}
