"""The kind-of-item head: the bundled Lite0 backbone's pooled features (1280) -> one of the kinds
of inference/shop/kinds.py, chosen among the garment class's own kinds (the parser already said
"shoes"; the head says "boots"). Trained by `stylebot train kind` (training/train_kind.py) on
product photos and CCP street crops; weights in inference/shop/weights/kind_head.pt.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from inference.shop.kinds import CLASS_KINDS, kinds_of

KIND_WEIGHTS = Path(__file__).parent / "weights" / "kind_head.pt"


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


def allowed(kinds: list[str], categories: list[str]) -> torch.Tensor:
    """(n, K) bool: which of the head's kinds belong to each row's garment class."""
    return torch.tensor([[k in CLASS_KINDS.get(c, ()) for k in kinds] for c in categories],
                        dtype=torch.bool).reshape(len(categories), len(kinds))


class KindHead:
    """Loaded weights; `predict` names a kind per (features, class) row."""

    def __init__(self, path: Path = KIND_WEIGHTS) -> None:
        #: Names these weights: kinds cached under another digest came from another head.
        self.digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        self.meta: dict = checkpoint["meta"]
        self.kinds: list[str] = list(self.meta["kinds"])
        self.net = KindNet(self.meta["in_dim"], self.meta["hidden"], len(self.kinds))
        self.net.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items()})
        self.net.eval()

    @torch.inference_mode()
    def predict(self, features: np.ndarray, categories: list[str]) -> list[str | None]:
        """The most likely kind of each garment among its class's kinds; a one-kind class is
        that kind without looking; None for classes without kinds ("other")."""
        out: list[str | None] = [None] * len(categories)
        rows = []
        for i, category in enumerate(categories):
            kinds = kinds_of(category)
            if category in CLASS_KINDS:
                rows.append(i)
            elif category != "other":
                out[i] = kinds[0]
        if rows:
            logits = self.net(torch.from_numpy(np.asarray(features, np.float32)[rows]))
            mask = allowed(self.kinds, [categories[i] for i in rows])
            best = logits.masked_fill(~mask, -torch.inf).argmax(1).tolist()
            for i, b in zip(rows, best, strict=True):
                out[i] = self.kinds[b]
        return out


def load_kind_head(path: Path = KIND_WEIGHTS) -> KindHead | None:
    """The bundled head, or None when its weights are missing (kinds then come from words)."""
    return KindHead(path) if Path(path).exists() else None
