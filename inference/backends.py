"""Backends registered by name and created from config (timm / open_clip style): the only
place the pipeline, training and tests get a parser, commenter or embedder from.

    create("parser", "lite0-fpn")  # unknown names fail listing the known ones

Each built-in factory imports its implementation (and hub-backed ones their heavy libraries)
only when it is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {}


class UnknownBackend(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def register(kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY.setdefault(kind, {})[name] = factory
        return factory

    return decorate


def names(kind: str) -> list[str]:
    return sorted(_REGISTRY.get(kind, {}))


def create(kind: str, name: str, **options: Any) -> Any:
    try:
        factory = _REGISTRY[kind][name]
    except KeyError:
        known = ", ".join(names(kind)) or "none"
        raise UnknownBackend(f"unknown {kind} backend {name!r}; known: {known}") from None
    return factory(**options)



def create_product_parser(parser: str = "lite0-fpn") -> Any:
    """The parser used on product photos (smaller input: one person on a 224-pixel photo)."""
    from inference.shop.retrieval import PRODUCT_PARSE_SIDE

    options = {"long_side": PRODUCT_PARSE_SIDE} if parser == "lite0-fpn" else {}
    return create("parser", parser, **options)

@register("parser", "lite0-fpn")
def lite0_parser(**options: Any) -> Any:
    """Default: bundled EfficientNet-Lite0 + FPN decoder trained on CCP (offline)."""
    from inference.parsing.lite0 import Lite0Parser

    return Lite0Parser(**options)


@register("parser", "segformer-clothes")
def segformer_parser(**options: Any) -> Any:
    """SegFormer-b2 clothes parsing (mattmdjaga/segformer_b2_clothes) through transformers."""
    from inference.parsing.segformer import SegformerParser

    return SegformerParser.from_pretrained(**options)


@register("comments", "templates")
def template_comments(**options: Any) -> Any:
    """Default: templates and word lists from prompts/en/comments.yaml."""
    from inference.comments.templates import TemplateCommenter

    return TemplateCommenter(**options)


@register("comments", "causal-lm")
def lm_comments(**options: Any) -> Any:
    """Any causal language model through transformers (model_id from inference.hub_models)."""
    from inference.comments.lm import LMCommenter

    return LMCommenter.from_pretrained(**options)


@register("embedder", "lite0")
def lite0_embedder(**options: Any) -> Any:
    """Default: bundled Lite0 pooled features + the triplet-trained projection + colour."""
    from inference.shop.embedders import Lite0Embedder

    return Lite0Embedder(**options)


@register("embedder", "lite0-raw")
def lite0_raw_embedder(**options: Any) -> Any:
    """Bundled Lite0 ImageNet pooled features (no projection) + colour: the baseline."""
    from inference.shop.embedders import Lite0Embedder

    return Lite0Embedder(projection=None, **options)


@register("embedder", "fashion-clip")
def clip_embedder(**options: Any) -> Any:
    """FashionCLIP (or any CLIP, model_id from inference.hub_models) through transformers."""
    from inference.shop.clip import ClipEmbedder

    return ClipEmbedder.from_pretrained(**options)
