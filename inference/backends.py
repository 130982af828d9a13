"""The built-in backends. Hub-backed ones import their heavy libraries only when created."""

from __future__ import annotations

from typing import Any

from inference.core.registry import register


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
    from inference.shop.embedders import ClipEmbedder

    return ClipEmbedder.from_pretrained(**options)
