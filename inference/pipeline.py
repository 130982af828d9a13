"""The models behind the bot, created once from config; every method is blocking (run it in the
ModelRunner)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PIL import Image

from inference import registry
from inference.images import load_photo
from inference.parse import Outfit, parse_outfit

log = logging.getLogger(__name__)


@dataclass
class PipelineConfig:
    parser: str = "lite0-fpn"
    max_pixels: int = 40_000_000


class Pipeline:
    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.parser = registry.create("parser", config.parser)
        log.info("parser backend %s loaded", config.parser)

    def load(self, data: bytes) -> Image.Image:
        return load_photo(data, self.config.max_pixels)

    def parse(self, image: Image.Image) -> Outfit:
        return parse_outfit(image, self.parser)

    def load_and_parse(self, data: bytes) -> tuple[Image.Image, Outfit]:
        image = self.load(data)
        return image, self.parse(image)
