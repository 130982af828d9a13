"""The models behind the bot, created once from config; every method is blocking (run it in the
ModelRunner)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from PIL import Image

from inference import registry
from inference.images import load_photo
from inference.parse import Outfit, parse_outfit

log = logging.getLogger(__name__)


@dataclass
class PipelineConfig:
    parser: str = "lite0-fpn"
    comments: str = "templates"
    max_pixels: int = 40_000_000
    hub_models: dict[str, str] = field(default_factory=dict)  # backend name -> hub model id

    @classmethod
    def from_settings(cls, inference) -> PipelineConfig:  # noqa: ANN001 - InferenceSettings
        return cls(inference.parser, inference.comments, inference.max_pixels,
                   dict(inference.hub_models))


class Pipeline:
    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.parser = registry.create("parser", config.parser, **self._options(config.parser))
        self.commenter = registry.create("comments", config.comments,
                                         **self._options(config.comments))
        log.info("backends loaded: parser %s, comments %s", config.parser, config.comments)

    def _options(self, backend: str) -> dict:
        hub = self.config.hub_models
        return {"model_id": hub[backend]} if backend in hub else {}

    def load(self, data: bytes) -> Image.Image:
        return load_photo(data, self.config.max_pixels)

    def parse(self, image: Image.Image) -> Outfit:
        return parse_outfit(image, self.parser)

    def comment(self, outfit: dict, n: int = 3, seed: int = 0,
                recent_keys: frozenset[str] = frozenset(),
                recent_templates: tuple[str, ...] = ()) -> list:
        return self.commenter.comments(outfit, n, seed, recent_keys, recent_templates)

    def load_and_parse(self, data: bytes) -> tuple[Image.Image, Outfit]:
        image = self.load(data)
        return image, self.parse(image)
