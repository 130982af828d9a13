"""The catalogue's Annoy index: built into a fresh folder, published by an atomic pointer swap,
memory-mapped when loaded, searched with filters.

Layout under the index root:
    CURRENT                      the name of the live build (replaced atomically with os.replace)
    builds/<stamp>/meta.json     embedder, dimension, trees, the items in index order
    builds/<stamp>/all.ann       every item
    builds/<stamp>/cat-<c>.ann   one per garment class, so a category filter is an exact partition
    builds/<stamp>/text.npy      title embeddings for the text search (optional)

A category filter picks that class's own index; colour-family and price filters over-fetch from
it (k x 10 candidates, growing x4 until enough pass or the class is exhausted) and filter. A
running bot calls `IndexHolder.current()` per query: it notices a new CURRENT and swaps the new
build in between two queries; the old mapping stays valid for queries still using it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from annoy import AnnoyIndex

import prompts
from inference.core import wording
from inference.core.colour import CLOSE_FAMILIES
from inference.core.garments import DISPLAY_NAME

log = logging.getLogger(__name__)

DEFAULT_TREES = 40
#: Nodes Annoy inspects at least per query: 8000 gives recall@10 0.98 at 1M vectors of our
#: dimension in 1.9 ms (python -m bench.annoy_scale; BENCHMARKS.md, "Retrieval").
SEARCH_K_FLOOR = 8000
KEEP_BUILDS = 2
#: Nearest items read before a colour or kind preference re-ranks them: 1000 (about a whole
#: class of the 9.6k products) rather than 100 brings items of the right colour and kind that
#: look a little less alike (scripts/tune_shop_ranking.py, BENCHMARKS.md "Retrieval").
PREFERENCE_POOL = 1000
#: Items carried into meta.json (what a reply needs without the database).
META_FIELDS = ("id", "title", "brand", "category", "kind", "shop_category", "colour_name",
               "colour_family", "price", "currency", "url", "image", "image_path", "demo")


@dataclass
class Filters:
    category: str | None = None
    kind: str | None = None  # strict: only this kind of item (inference/shop/kinds.py)
    colour_family: str | None = None  # strict: only this family
    prefer_family: str | None = None  # soft: this family first (the default shop behaviour)
    prefer_kind: str | None = None  # soft: this kind first
    price_min: float | None = None
    price_max: float | None = None
    exclude: frozenset[str] = frozenset()
    exclude_brands: frozenset[str] = frozenset()  # brand_key()s: "not this brand", "no Nike"

    @property
    def over_fetch(self) -> bool:
        return bool(self.colour_family or self.price_min is not None or self.kind
                    or self.price_max is not None or self.exclude or self.prefer_family
                    or self.prefer_kind or self.exclude_brands)

    def accepts(self, item: dict) -> bool:
        if item["id"] in self.exclude:
            return False
        if self.exclude_brands and brand_key(item.get("brand")) in self.exclude_brands:
            return False
        if self.kind and item.get("kind") != self.kind:
            return False
        if self.colour_family and item.get("colour_family") != self.colour_family:
            return False
        price = item.get("price")
        if self.price_min is not None and (price is None or price < self.price_min):
            return False
        return self.price_max is None or (price is not None and price <= self.price_max)


def brand_key(brand: str | None) -> str:
    """A brand as compared: "Levi's" and "LEVI'S " are one brand; "" for none."""
    return " ".join((brand or "").casefold().split())


#: Why a hit was chosen: a key of the replies' `shop_reasons` and the values it names
#: ("category", "piece": garment classes; "family", "yours", "with": colour families).
Reason = tuple[str, dict[str, str]]
#: The values of a Reason that name a garment class rather than a colour family.
GARMENT_KEYS = frozenset({"category", "piece"})


def reason_text(reason: Reason, locale: str = prompts.DEFAULT) -> str:
    """A reason in words of `locale`: ("same_colour", {"family": "navy"}) -> "same colour
    (navy)"."""
    code, values = reason
    words = {k: wording.noun_word(DISPLAY_NAME.get(v, v), locale) if k in GARMENT_KEYS
             else wording.family_word(v, locale) for k, v in values.items()}
    return str(prompts.load("replies", locale)["shop_reasons"][code]).format(**words)


@dataclass
class Hit:
    item: dict
    score: float  # ranking score (similarity plus the colour preference)
    similarity: float  # cosine similarity of the vectors
    why: list[Reason] = field(default_factory=list)

    def as_dict(self) -> dict:
        keep = ("id", "title", "brand", "category", "kind", "shop_category", "colour_name",
                "colour_family", "price", "currency", "url", "demo")
        return {**{k: self.item.get(k) for k in keep},
                "colour": self.item.get("colour_family") or self.item.get("colour_name"),
                "score": round(self.score, 4),
                "similarity": round(self.similarity, 4),
                "why": [reason_text(r) for r in self.why]}


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")


def build_index(root: Path, vectors: np.ndarray, items: list[dict], embedder: str,
                n_trees: int = DEFAULT_TREES, text_vectors: np.ndarray | None = None,
                text_model: str | None = None, made_from: str | None = None) -> Path:
    """Write a new build and make it the current one; returns its folder. `made_from`: what it
    was made from (bot.catalog.build.made_from), kept in its meta."""
    if len(vectors) != len(items):
        raise ValueError(f"{len(vectors)} vectors for {len(items)} items")
    root = Path(root)
    folder = root / "builds" / _stamp()
    folder.mkdir(parents=True)
    dim = int(vectors.shape[1]) if len(vectors) else 0
    categories: dict[str, list[int]] = {}
    for row, item in enumerate(items):
        categories.setdefault(item.get("category") or "other", []).append(row)
    _write_annoy(folder / "all.ann", vectors, range(len(items)), dim, n_trees)
    for category, rows in categories.items():
        _write_annoy(folder / f"cat-{category}.ann", vectors, rows, dim, n_trees)
    if text_vectors is not None:
        np.save(folder / "text.npy", text_vectors.astype(np.float32))
    meta = {"embedder": embedder, "dim": dim, "metric": "angular", "n_trees": n_trees,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "text_model": text_model if text_vectors is not None else None,
            "made_from": made_from,
            "categories": categories,
            "items": [{k: item.get(k) for k in META_FIELDS} for item in items]}
    (folder / "meta.json").write_text(json.dumps(meta))
    publish(root, folder)
    return folder


def _write_annoy(path: Path, vectors: np.ndarray, rows, dim: int, n_trees: int) -> None:  # noqa: ANN001
    index = AnnoyIndex(max(dim, 1), "angular")
    for local, row in enumerate(rows):
        index.add_item(local, vectors[row])
    index.build(n_trees, n_jobs=1)
    index.save(str(path))
    index.unload()


def publish(root: Path, folder: Path) -> None:
    """Point CURRENT at `folder` atomically, then drop builds older than the last KEEP_BUILDS."""
    tmp = root / f"CURRENT.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(folder.name)
    os.replace(tmp, root / "CURRENT")
    builds = sorted((root / "builds").iterdir())
    for old in builds[:-KEEP_BUILDS]:
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)


def current_build(root: Path) -> Path | None:
    try:
        name = (Path(root) / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    folder = Path(root) / "builds" / name
    return folder if (folder / "meta.json").exists() else None


class CatalogIndex:
    """One build, memory-mapped (Annoy's load maps the file; pages load on demand)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        meta = json.loads((self.folder / "meta.json").read_text())
        self.embedder: str = meta["embedder"]
        self.dim: int = meta["dim"]
        self.n_trees: int = meta["n_trees"]
        self.built_at: str = meta["built_at"]
        self.text_model: str | None = meta.get("text_model")
        self.items: list[dict] = meta["items"]
        self.categories: dict[str, list[int]] = meta["categories"]
        #: the kinds of item it has (a query's kind is chosen among them)
        self.kinds: frozenset[str] = frozenset(i["kind"] for i in self.items if i.get("kind"))
        self._indexes: dict[str, AnnoyIndex] = {}
        self._lock = threading.Lock()
        self._text: np.ndarray | None = None
        # Map every file now (cheap: pages load on demand), so a later prune of this build's
        # folder by a newer build cannot pull a file from under a query.
        for name in ["all", *(f"cat-{c}" for c in self.categories)]:
            self._index(name)
        self.text_vectors()

    def __len__(self) -> int:
        return len(self.items)

    def _index(self, name: str) -> AnnoyIndex:
        with self._lock:
            if name not in self._indexes:
                index = AnnoyIndex(max(self.dim, 1), "angular")
                index.load(str(self.folder / f"{name}.ann"))  # mmap
                self._indexes[name] = index
            return self._indexes[name]

    def text_vectors(self) -> np.ndarray | None:
        if self._text is None and (self.folder / "text.npy").exists():
            self._text = np.load(self.folder / "text.npy", mmap_mode="r")
        return self._text

    def vector(self, row: int) -> np.ndarray:
        return np.asarray(self._index("all").get_item_vector(row), dtype=np.float32)

    def search(self, vector: np.ndarray, k: int = 10, filters: Filters | None = None,
               offset: int = 0, colour_bonus: float = 0.15, kind_bonus: float = 0.0,
               ) -> list[Hit]:
        """The k best items after `offset`, filtered; `prefer_family` adds `colour_bonus` for the
        same family (half of it for a close one), `prefer_kind` `kind_bonus` for the same kind,
        before ranking."""
        filters = filters or Filters()
        if filters.category is not None:
            rows = self.categories.get(filters.category)
            if not rows:
                return []
            index, to_row, size = self._index(f"cat-{filters.category}"), rows, len(rows)
        else:
            index, to_row, size = self._index("all"), None, len(self.items)
        want = k + offset
        n = min(size, want * 10 if filters.over_fetch else want + 5)
        if filters.prefer_family or filters.prefer_kind:
            n = min(size, max(n, PREFERENCE_POOL, want * 10))
        while True:
            local, dist = index.get_nns_by_vector(
                vector, n, search_k=max(n * self.n_trees, SEARCH_K_FLOOR),
                include_distances=True)
            hits = []
            for i, d in zip(local, dist, strict=True):
                item = self.items[to_row[i] if to_row is not None else i]
                if filters.accepts(item):
                    similarity = 1.0 - d * d / 2.0
                    bonus = _bonus(item, filters, colour_bonus)
                    if filters.prefer_kind and item.get("kind") == filters.prefer_kind:
                        bonus += kind_bonus
                    hits.append(Hit(item, similarity + bonus, similarity))
            if len(hits) >= want or n >= size:
                break
            n = min(size, n * 4)
        hits.sort(key=lambda h: -h.score)
        return hits[offset:want]


def _bonus(item: dict, filters: Filters, bonus: float) -> float:
    family = filters.prefer_family
    if not family or not item.get("colour_family"):
        return 0.0
    if item["colour_family"] == family:
        return bonus
    return bonus / 2 if item["colour_family"] in CLOSE_FAMILIES.get(family, ()) else 0.0


class IndexHolder:
    """The live build of one index root, swapped when CURRENT changes (checked at most 1/s)."""

    def __init__(self, root: Path, check_every: float = 1.0) -> None:
        self.root = Path(root)
        self.check_every = check_every
        self._index: CatalogIndex | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def current(self) -> CatalogIndex | None:
        now = time.monotonic()
        if self._index is not None and now - self._checked < self.check_every:
            return self._index
        with self._lock:
            self._checked = now
            folder = current_build(self.root)
            if folder is None:
                return self._index
            if self._index is None or self._index.folder != folder:
                log.info("catalogue index %s loaded (%s)", folder.name, self.root)
                self._index = CatalogIndex(folder)
            return self._index

    def refresh(self) -> CatalogIndex | None:
        self._checked = 0.0
        return self.current()
