"""The clothing parser network: EfficientNet-Lite0 features and a light FPN decoder.

The decoder follows Panoptic-FPN's semantic branch, with depthwise-separable convolutions so
that the stride-4 head (needed for belts, glasses and jewellery) stays cheap on a CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from inference.core.backbone import create_feature_extractor, fold_batch_norms
from inference.core.lite0_spec import FEATURE_CHANNELS


def _separable(channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
        nn.Conv2d(channels, channels, 1, bias=False),
        nn.BatchNorm2d(channels),
        nn.ReLU(inplace=True),
    )


class FPNDecoder(nn.Module):
    """Top-down FPN; every level refined, brought to stride 4 and summed."""

    def __init__(self, in_channels: tuple[int, ...], channels: int, num_classes: int) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, channels, 1) for c in in_channels)
        self.context = nn.Sequential(  # image-level context, as in LR-ASPP
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels[-1], channels, 1), nn.Sigmoid()
        )
        self.refine = nn.ModuleList(_separable(channels) for _ in in_channels)
        self.head = nn.Sequential(_separable(channels), nn.Conv2d(channels, num_classes, 1))

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        laterals = [conv(f) for conv, f in zip(self.lateral, features, strict=True)]
        laterals[-1] = laterals[-1] * self.context(features[-1])
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + F.interpolate(
                laterals[i], size=laterals[i - 1].shape[-2:], mode="nearest"
            )
        size = laterals[0].shape[-2:]
        fused = sum(
            F.interpolate(refine(x), size=size, mode="bilinear", align_corners=False)
            if i
            else refine(x)
            for i, (refine, x) in enumerate(zip(self.refine, laterals, strict=True))
        )
        return self.head(fused)


class ParserNet(nn.Module):
    """Image (N,3,H,W) normalised to [-1, 1] -> class logits (N,C,H,W)."""

    def __init__(self, num_classes: int, channels: int = 96, pretrained: bool = True) -> None:
        super().__init__()
        self.backbone = create_feature_extractor(pretrained=pretrained)
        self.decoder = FPNDecoder(FEATURE_CHANNELS, channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.decoder(self.backbone(x))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def frozen_prefixes(self, frozen_blocks: int) -> tuple[str, ...]:
        """Parameter-name prefixes of the stem and the first blocks (kept as bundled)."""
        return ("backbone.conv_stem", "backbone.bn1") + tuple(
            f"backbone.blocks.{i}." for i in range(frozen_blocks)
        )


def load_parser_net(weights: Path, fold_norms: bool = True) -> tuple[ParserNet, dict]:
    """The trained network from `weights` (the decoder and the trained blocks; the frozen ones
    from the bundled package) and its meta. `fold_norms`: batch norms folded into the
    convolutions (about 30% faster, same labels); False for a model that goes on training
    (training/train_parser.py --init)."""
    checkpoint = torch.load(weights, map_location="cpu", weights_only=True)
    meta: dict = checkpoint["meta"]
    model = ParserNet(len(meta["classes"]), channels=meta["channels"])
    state = {k: v.float() if v.is_floating_point() else v
             for k, v in checkpoint["state_dict"].items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    frozen = tuple(meta["frozen_prefixes"])
    if unexpected or any(not k.startswith(frozen) for k in missing):
        raise ValueError(f"{weights} does not fit the network: {missing=} {unexpected=}")
    if fold_norms:
        fold_batch_norms(model)
    return model.eval(), meta


def save_weights(model: ParserNet, path: Path, meta: dict, frozen: tuple[str, ...]) -> None:
    """Store only what training changed (fp16); frozen stem/blocks come from the package."""
    state = {
        k: (v.half() if v.is_floating_point() else v)
        for k, v in model.state_dict().items()
        if not k.startswith(frozen)
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta": meta, "state_dict": state}, path)


class _LogitsAndDeep(nn.Module):
    """What the runtime reads: stride-4 logits and the backbone's deepest features."""

    def __init__(self, net: ParserNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.net.backbone(x)
        return self.net.decoder(features), features[-1]


def export_parser(weights: Path, path: Path) -> None:
    """The network of `weights` (batch norms folded) as an ONNX graph: x (n, 3, H, W) ->
    logits (n, C, H/4, W/4), deep (n, 320, H/32, W/32); its meta goes in the graph's metadata."""
    from inference.core.onnx_export import export_module

    net, meta = load_parser_net(weights)
    export_module(_LogitsAndDeep(net), (torch.zeros(1, 3, 512, 352),), path,
                  inputs={"x": {0: "n", 2: "height", 3: "width"}},
                  outputs={"logits": {0: "n", 2: "h4", 3: "w4"},
                           "deep": {0: "n", 2: "h32", 3: "w32"}},
                  metadata={"meta": json.dumps(meta)})
