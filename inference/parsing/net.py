"""The clothing parser network: EfficientNet-Lite0 features and a light FPN decoder.

The decoder follows Panoptic-FPN's semantic branch, with depthwise-separable convolutions so
that the stride-4 head (needed for belts, glasses and jewellery) stays cheap on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from inference.core.backbone import FEATURE_CHANNELS, create_feature_extractor


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
