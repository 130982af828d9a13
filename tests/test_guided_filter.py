"""Edge-aware upsampling of the parser's probabilities (inference.guided_filter)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from inference.guided_filter import box_mean, guided_upsample


def test_box_mean_is_the_window_mean_with_replicated_edges() -> None:
    x = torch.rand(1, 3, 9, 7)
    for radius in (1, 2):
        size = 2 * radius + 1
        padded = F.pad(x, (radius,) * 4, mode="replicate")
        expected = F.avg_pool2d(padded, size, stride=1)
        assert torch.allclose(box_mean(x, radius), expected, atol=1e-5)


def test_boundaries_snap_to_the_photo_edge() -> None:
    """A dark left part and a bright right part meet at x = 29. The stride-4 probabilities put
    the boundary 3 pixels too far right and soft, as a net's coarse scores do: bilinear
    upsampling keeps those 3 columns wrong; the guided filter moves the boundary to within a
    column of the brightness edge."""
    height, width, edge, net_edge = 64, 64, 29, 32
    guide = torch.full((1, 1, height, width), 0.2)
    guide[..., edge:] = 0.8
    truth = torch.zeros(height, width, dtype=torch.long)
    truth[:, edge:] = 1
    said = torch.zeros(height, width, dtype=torch.long)
    said[:, net_edge:] = 1
    probs = F.avg_pool2d(F.one_hot(said, 2).permute(2, 0, 1)[None].float(), 4)  # (1, 2, 16, 16)
    probs = F.avg_pool2d(F.pad(probs, (1, 1, 0, 0), mode="replicate"), (1, 3), stride=1)
    bilinear = F.interpolate(probs, size=(height, width), mode="bilinear", align_corners=False)
    guided = guided_upsample(probs, guide)
    assert guided.shape == (1, 2, height, width)
    assert int((bilinear[0].argmax(0) != truth).sum()) == 3 * height
    assert int((guided[0].argmax(0) != truth).sum()) <= height
