"""The models behind the bot, created once from config; every method is blocking (run it in the
ModelRunner)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from inference import backends
from inference.comments import Comment, Commenter
from inference.core.decode import BadImage, load_photo
from inference.core.onnx_models import set_threads
from inference.diary.repeats import OutfitEmbedder
from inference.parsing.outfit import Outfit, Parser, parse_outfit, parse_outfits
from inference.text.understand import Understanding

log = logging.getLogger(__name__)


@dataclass
class PipelineConfig:
    parser: str = "lite0-fpn"
    comments: str = "templates"
    max_pixels: int = 40_000_000
    hub_models: dict[str, str] = field(default_factory=dict)  # backend name -> hub model id
    embedder: str = "lite0"
    threads: int = 1  # each model call's threads (a worker per core, one thread each)

    @classmethod
    def from_settings(cls, inference) -> PipelineConfig:  # noqa: ANN001 - InferenceSettings
        return cls(inference.parser, inference.comments, inference.max_pixels,
                   dict(inference.hub_models), inference.embedder, inference.threads)


class Pipeline:
    """Each model loads on first use (`parser`, the shop's `embedder`), so a process holds only
    what it runs: with worker processes (inference/serve/processes.py) the bot's own process
    never parses and a worker never shops. `load_parser()` loads the parser now."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        set_threads(config.threads)  # before the sessions are made
        self.commenter: Commenter = backends.create("comments", config.comments,
                                                    **self._options(config.comments))
        self.understanding = Understanding()  # free text: intent and slots (a small linear model)
        self.outfit_embedder = OutfitEmbedder()  # "you wore this on Monday"; loads on first use
        self._models_lock = threading.Lock()
        self._parser: Parser | None = None
        # The shop: garment embedder and kind head on first use, as are the product parser,
        # the text model and the indexes.
        self._embedder: object = None
        self._embedder_error: str | None = None
        self._kind_head: object = None
        self._shop_loaded = False
        self._shop_lock = threading.Lock()
        self._catalogs: dict[Path, object] = {}
        self._text_encoder = None
        self.text_encoder_error: str | None = None
        self._product_segmenter = None

    @property
    def parser(self) -> Parser:
        if self._parser is not None:  # every photo asks: no lock once loaded
            return self._parser
        with self._models_lock:
            if self._parser is None:
                self._parser = backends.create("parser", self.config.parser,
                                               **self._options(self.config.parser))
                set_threads(self.config.threads)  # again for torch, if a hub backend brought it
                log.info("parser loaded: %s", self.config.parser)
            return self._parser

    def load_parser(self) -> Pipeline:
        """Load the parser now (a server's first photo is then answered at full speed)."""
        _ = self.parser
        return self

    def _load_shop(self) -> None:
        if self._shop_loaded:
            return
        with self._models_lock:
            if self._shop_loaded:
                return
            try:
                self._embedder = backends.create("embedder", self.config.embedder,
                                                 **self._options(self.config.embedder))
            except Exception as err:  # a missing download must not stop the rest of the bot
                self._embedder_error = f"{self.config.embedder}: {err}"
                log.error("garment embedder unavailable (%s); shopping by photo is off",
                          self._embedder_error)
            from inference.shop.kind_head import load_kind_head

            self._kind_head = load_kind_head()  # boots or sneakers: None leaves kinds to words
            set_threads(self.config.threads)
            self._shop_loaded = True

    @property
    def embedder(self):  # noqa: ANN201 - inference.shop.embedders.Embedder | None
        """The shop's garment embedder; None (why in `embedder_error`) when it cannot load."""
        self._load_shop()
        return self._embedder

    @property
    def embedder_error(self) -> str | None:
        self._load_shop()
        return self._embedder_error

    @property
    def kind_head(self):  # noqa: ANN201 - inference.shop.kind_head.KindHead | None
        self._load_shop()
        return self._kind_head

    def _options(self, backend: str) -> dict:
        hub = self.config.hub_models
        return {"model_id": hub[backend]} if backend in hub else {}

    def load(self, data: bytes) -> Image.Image:
        return load_photo(data, self.config.max_pixels)

    def parse(self, image: Image.Image) -> Outfit:
        return parse_outfit(image, self.parser)

    def comment(self, outfit: dict, n: int = 3, seed: int = 0,
                recent_keys: frozenset[str] = frozenset(),
                recent_templates: tuple[str, ...] = (),
                locale: str = "en") -> list[Comment]:
        return self.commenter.comments(outfit, n, seed, recent_keys, recent_templates,
                                       locale=locale)

    def embed_outfit(self, outfit: Outfit) -> np.ndarray | None:
        return self.outfit_embedder.embed(outfit)

    def load_and_parse(self, data: bytes) -> tuple[Image.Image, Outfit]:
        image = self.load(data)
        return image, self.parse(image)

    def load_and_parse_many(self, uploads: Sequence[bytes]
                            ) -> list[tuple[Image.Image, Outfit] | BadImage]:
        """Several uploads (from several users, batched by the ModelRunner): each decoded on
        its own (a bad one is its own BadImage, not the batch's), then parsed together."""
        loaded: list[Image.Image | BadImage] = []
        for data in uploads:
            try:
                loaded.append(self.load(data))
            except BadImage as bad:
                loaded.append(bad)
        images = [i for i in loaded if not isinstance(i, BadImage)]
        outfits = iter(parse_outfits(images, self.parser) if images else [])
        return [i if isinstance(i, BadImage) else (i, next(outfits)) for i in loaded]

    # shop ----------------------------------------------------------------------------------
    def catalog(self, root: Path):  # noqa: ANN201 - inference.shop.index.IndexHolder
        """The live catalogue index under `root` (swapped when a rebuild publishes)."""
        from inference.shop.index import IndexHolder

        root = Path(root).resolve()
        with self._shop_lock:
            if root not in self._catalogs:
                self._catalogs[root] = IndexHolder(root)
            return self._catalogs[root]

    def garment_queries(self, outfit: Outfit, stocked: frozenset[str] | None = None) -> list:
        """One query vector per garment of a parsed outfit (shop.retrieval.GarmentQuery), its
        kind among those the catalogue `stocked` where it has any of the garment's."""
        from inference.shop.retrieval import garment_queries

        if self.embedder is None:
            raise RuntimeError(self.embedder_error or "no garment embedder")
        return garment_queries(outfit, self.embedder, self.kind_head, stocked)

    def text_encoder(self):  # noqa: ANN201 - inference.shop.text_search.TextEncoder
        from inference.shop.text_search import TextEncoder

        with self._shop_lock:
            if self._text_encoder is None:
                self._text_encoder = TextEncoder()
            return self._text_encoder

    def text_encoder_or_none(self):  # noqa: ANN201 - inference.shop.text_search.TextEncoder | None
        """The title encoder, or None (reason in `text_encoder_error`) when the optional `text`
        extra (the bundled MiniLM) is not installed."""
        try:
            return self.text_encoder()
        except (ImportError, OSError) as exc:
            self.text_encoder_error = f"{type(exc).__name__}: {exc}"
            return None

    def product_segmenter(self):  # noqa: ANN201
        with self._shop_lock:
            if self._product_segmenter is None:
                self._product_segmenter = backends.create_product_parser(self.config.parser)
            return self._product_segmenter
