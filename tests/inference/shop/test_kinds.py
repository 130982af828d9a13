"""The kind-of-item table and the bundled kind head on real product photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.core.garments import CCP_TO_CLASS, GARMENT_CLASSES
from inference.shop.catalog_terms import ARTICLE_TYPE_TO_CLASS
from inference.shop.kind_head import KIND_WEIGHTS, KindHead, load_kind_head
from inference.shop.kinds import (
    ARTICLE_TYPE_TO_KIND,
    CCP_TO_KIND,
    CLASS_KINDS,
    ccp_kind,
    class_of,
    kind_for,
    kinds_of,
    word_kind,
)
from inference.shop.retrieval import embed_with_kinds, product_crop
from training.eval_retrieval import read_catalog
from training.train_kind import HOLD_OUT_EVERY


def test_every_class_has_kinds_and_the_tables_agree_with_the_classes() -> None:
    assert all(kinds_of(c) for c in GARMENT_CLASSES)
    every = [k for c in GARMENT_CLASSES for k in kinds_of(c)]
    assert len(every) == len(set(every))  # one class per kind
    for article, kind in ARTICLE_TYPE_TO_KIND.items():
        assert class_of(kind) == ARTICLE_TYPE_TO_CLASS[article], article
    for label, kind in CCP_TO_KIND.items():
        assert class_of(kind) == CCP_TO_CLASS[label], label


def test_kinds_from_words() -> None:
    assert kind_for("footwear", "Casual Shoes", "Rockport Men Brown Casual Shoes") == "sneakers"
    assert kind_for("footwear", "Flats", "Clarks Women Black Wedges") == "flats"  # table first
    assert kind_for("footwear", "Shoes", "Black leather ankle boots") == "boots"
    assert kind_for("footwear", "Shoes", "Brown suede derby") == "loafers"
    assert kind_for("footwear", "Shoes", "A nice pair") is None  # the head decides
    assert kind_for("top", "Tops", "Grey hooded sweatshirt") == "top"  # articleType wins
    assert kind_for("top", None, "Grey hooded sweatshirt") == "hoodie"
    assert kind_for("dress", None, None) == "dress" and kind_for("other", "Perfume") is None
    assert word_kind("a denim jacket", "outer") == "jacket"
    assert word_kind("blue denim", "pants") == "jeans"
    assert ccp_kind("pumps") == "heels" and ccp_kind("shoes") is None
    assert ccp_kind("romper") == "dress" and ccp_kind("bag") is None


@pytest.fixture(scope="module")
def head() -> KindHead:
    loaded = load_kind_head()
    assert loaded is not None, f"{KIND_WEIGHTS} is missing: stylebot train kind"
    return loaded


def test_the_head_loads_and_keeps_to_the_class(head) -> None:
    assert set(head.kinds) <= {k for kinds in CLASS_KINDS.values() for k in kinds}
    assert head.meta["held_out"]["products_accuracy"] > 0.8
    assert len(head.digest) == 12 and KIND_WEIGHTS.stat().st_size < 2_000_000
    features = np.zeros((4, head.meta["in_dim"]), np.float32)
    kinds = head.predict(features, ["pants", "bag", "dress", "other"])
    assert kinds[0] in CLASS_KINDS["pants"] and kinds[1] in CLASS_KINDS["bag"]
    assert kinds[2:] == ["dress", None]
    # among the kinds a catalogue stocks, where it has any of the class's
    unsold = next(k for k in CLASS_KINDS["pants"] if k != kinds[0])
    stocked = head.predict(features, ["pants", "bag", "dress", "other"], {unsold, "dress"})
    assert stocked == [unsold, kinds[1], "dress", None]


def test_the_head_names_held_out_product_photos(head, pipeline, shared_data) -> None:
    """Products the head never saw (every 10th of the catalogue): two of each of four kinds."""
    rows = read_catalog(shared_data / "products")
    held = [r for i, r in enumerate(rows) if i % HOLD_OUT_EVERY == 0]
    wanted = {"Heels": "heels", "Casual Shoes": "sneakers", "Jeans": "jeans", "Tshirts": "tee",
              "Backpacks": "backpack", "Sweatshirts": "hoodie"}
    picked = [r for t in wanted for r in [x for x in held if x["shop_category"] == t][:2]]
    crops = [product_crop(Image.open(Path(r["image_path"])), r["category"]) for r in picked]
    _, kinds = embed_with_kinds(crops, [r["category"] for r in picked], pipeline.embedder, head)
    right = sum(k == wanted[r["shop_category"]] for k, r in zip(kinds, picked, strict=True))
    assert len(picked) == 12 and right >= 10, list(zip(kinds, picked, strict=True))
