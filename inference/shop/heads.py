"""The shop's small trained heads as torch modules: what training builds and fits, and what is
exported for the runtime (inference/shop/embedders.py and kind_head.py run the exported graphs).
Imported only to train or export: it brings in torch."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from inference.core.lite0_spec import POOLED_CHANNELS


class Projection(nn.Module):
    """1280 -> hidden -> out, the small head trained by training.train_embedder."""

    def __init__(self, in_dim: int = POOLED_CHANNELS, hidden: int = 512,
                 out_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                 nn.Dropout(0.1), nn.Linear(hidden, out_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.net(x), dim=-1)


def load_projection(path: Path) -> tuple[Projection, dict]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    meta = checkpoint["meta"]
    head = Projection(meta["in_dim"], meta["hidden"], meta["out_dim"])
    head.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items()})
    return head.eval(), meta


class KindNet(nn.Module):
    """Standardised features -> hidden -> kind logits (a small MLP on frozen features)."""

    def __init__(self, in_dim: int, hidden: int, n_kinds: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("std", torch.ones(in_dim))
        self.net = nn.Sequential(nn.Dropout(0.2), nn.Linear(in_dim, hidden), nn.ReLU(),
                                 nn.Dropout(0.2), nn.Linear(hidden, n_kinds))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


def load_kind_net(path: Path) -> tuple[KindNet, dict]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    meta = checkpoint["meta"]
    net = KindNet(meta["in_dim"], meta["hidden"], len(meta["kinds"]))
    net.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items()})
    return net.eval(), meta


def _export_head(module: nn.Module, meta: dict, path: Path, output: str) -> None:
    from inference.core.onnx_export import export_module

    export_module(module, (torch.zeros(2, meta["in_dim"]),), path,
                  inputs={"features": {0: "n"}}, outputs={output: {0: "n"}},
                  metadata={"meta": json.dumps(meta)})


def export_projection(weights: Path, path: Path) -> None:
    """features (n, 1280) -> unit vectors (n, out_dim); the meta in the graph."""
    head, meta = load_projection(weights)
    _export_head(head, meta, path, "vectors")


def export_kind_net(weights: Path, path: Path) -> None:
    """features (n, 1280) -> kind logits (n, K); the meta (kinds) in the graph."""
    net, meta = load_kind_net(weights)
    _export_head(net, meta, path, "logits")


class _Pooled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        from inference.core.backbone import create_classifier, fold_batch_norms

        self.backbone = create_classifier()
        self.backbone.reset_classifier(0)
        fold_batch_norms(self.backbone)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)


def export_pooled_backbone(path: Path) -> None:
    """The bundled ImageNet Lite0 without its classifier: x (n, 3, H, W) -> (n, 1280)."""
    from inference.core.onnx_export import export_module

    export_module(_Pooled(), (torch.zeros(2, 3, 224, 224),), path,
                  inputs={"x": {0: "n", 2: "height", 3: "width"}},
                  outputs={"pooled": {0: "n"}})
