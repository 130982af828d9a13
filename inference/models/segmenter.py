"""The clothing parser network: EfficientNet-Lite0 features and a light FPN decoder.

The decoder follows Panoptic-FPN's semantic branch, with depthwise-separable convolutions so
that the stride-4 head (needed for belts, glasses and jewellery) stays cheap on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from inference.models.backbone import FEATURE_CHANNELS, create_feature_extractor


def _separable(channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
        nn.Conv2d(channels, channels, 1, bias=False),
        nn.BatchNorm2d(channels),
        nn.ReLU(inplace=True),
    )


class PyramidPooling(nn.Module):
    """PSPNet's pyramid pooling (Zhao et al., CVPR 2017) on the stride-32 features: averages over
    1x1 to 6x6 grids of the photo, so every pixel sees where the rest of the outfit is (a top
    over a skirt vs a dress, legwear under a skirt vs pants). The projection starts at zero, so a
    stage continued from weights without it starts exactly where those weights left off."""

    def __init__(self, in_channels: int, channels: int, bins: tuple[int, ...] = (1, 2, 3, 6)):
        super().__init__()
        branch = channels // len(bins)
        self.branches = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(in_channels, branch, 1),
                          nn.ReLU(inplace=True))
            for b in bins
        )
        self.project = nn.Conv2d(branch * len(bins), channels, 1)
        nn.init.zeros_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        return self.project(torch.cat([
            F.interpolate(branch(x), size=size, mode="bilinear", align_corners=False)
            for branch in self.branches
        ], 1))


class FPNDecoder(nn.Module):
    """Top-down FPN; every level refined, brought to stride 4 and summed.

    `pyramid` adds pyramid pooling to the top level and a head saying which classes the crop
    shows (EncNet's semantic-encoding loss, Zhang et al., CVPR 2018: an image-level target that
    trains the global context directly; used in training only)."""

    def __init__(self, in_channels: tuple[int, ...], channels: int, num_classes: int,
                 pyramid: bool = False) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, channels, 1) for c in in_channels)
        self.context = nn.Sequential(  # image-level context, as in LR-ASPP
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels[-1], channels, 1), nn.Sigmoid()
        )
        self.pyramid = PyramidPooling(in_channels[-1], channels) if pyramid else None
        self.presence = nn.Linear(in_channels[-1], num_classes) if pyramid else None
        self.refine = nn.ModuleList(_separable(channels) for _ in in_channels)
        self.head = nn.Sequential(_separable(channels), nn.Conv2d(channels, num_classes, 1))

    def presence_logits(self, features: list[torch.Tensor]) -> torch.Tensor:
        """(N, C) logits of each class being anywhere in the image."""
        if self.presence is None:
            raise ValueError("this decoder was built without the presence head (pyramid=False)")
        return self.presence(features[-1].mean((2, 3)))

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        laterals = [conv(f) for conv, f in zip(self.lateral, features, strict=True)]
        laterals[-1] = laterals[-1] * self.context(features[-1])
        if self.pyramid is not None:
            laterals[-1] = laterals[-1] + self.pyramid(features[-1])
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


class ClothingSegmenter(nn.Module):
    """Image (N,3,H,W) normalised to [-1, 1] -> class logits (N,C,H,W)."""

    def __init__(self, num_classes: int, channels: int = 96, pretrained: bool = True,
                 pyramid: bool = False) -> None:
        super().__init__()
        self.backbone = create_feature_extractor(pretrained=pretrained)
        self.decoder = FPNDecoder(FEATURE_CHANNELS, channels, num_classes, pyramid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_presence(x)[0]

    def forward_with_presence(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits at the input's size, and the presence logits (None without the pyramid)."""
        features = self.backbone(x)
        logits = F.interpolate(self.decoder(features), size=x.shape[-2:], mode="bilinear",
                               align_corners=False)
        if self.decoder.presence is None:
            return logits, None
        return logits, self.decoder.presence_logits(features)

    def frozen_prefixes(self, frozen_blocks: int) -> tuple[str, ...]:
        """Parameter-name prefixes of the stem and the first blocks (kept as bundled)."""
        return ("backbone.conv_stem", "backbone.bn1") + tuple(
            f"backbone.blocks.{i}." for i in range(frozen_blocks)
        )
