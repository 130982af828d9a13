"""The kind-of-item head: the bundled Lite0 backbone's pooled features (1280) -> one of the kinds
of inference/shop/kinds.py, chosen among the garment class's own kinds (the parser already said
"shoes"; the head says "boots"). Trained by `stylebot train kind` (training/train_kind.py) on
product photos and CCP street crops; weights in inference/shop/weights/kind_head.pt, the network
in inference/shop/heads.py, run here from its exported graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path

import numpy as np

from inference.core.onnx_models import compiled, shared_model
from inference.shop.kinds import CLASS_KINDS, kinds_of

KIND_WEIGHTS = Path(__file__).parent / "weights" / "kind_head.pt"


def allowed(kinds: list[str], categories: list[str]) -> np.ndarray:
    """(n, K) bool: which of the head's kinds belong to each row's garment class."""
    return np.array([[k in CLASS_KINDS.get(c, ()) for k in kinds] for c in categories],
                    dtype=bool).reshape(len(categories), len(kinds))


class KindHead:
    """Loaded weights; `predict` names a kind per (features, class) row."""

    def __init__(self, path: Path = KIND_WEIGHTS) -> None:
        #: Names these weights: kinds cached under another digest came from another head.
        self.digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]

        def export(target: Path) -> None:
            from inference.shop.heads import export_kind_net

            export_kind_net(path, target)

        self.net = shared_model(compiled("kind-head", [Path(path)], export))
        self.meta: dict = self.net.meta
        self.kinds: list[str] = list(self.meta["kinds"])

    def predict(self, features: np.ndarray, categories: list[str],
                stocked: Collection[str] | None = None) -> list[str | None]:
        """The most likely kind of each garment among its class's kinds, and among those of
        them the catalogue `stocked` when it has any (a sweater the head half takes for a
        blouse is better searched as a sweater than as a kind with no items); a one-kind class
        is that kind without looking; None for classes without kinds ("other")."""
        out: list[str | None] = [None] * len(categories)
        rows = []
        for i, category in enumerate(categories):
            kinds = kinds_of(category)
            if category in CLASS_KINDS:
                rows.append(i)
            elif category != "other":
                out[i] = kinds[0]
        if rows:
            (logits,) = self.net.run(features=np.asarray(features, np.float32)[rows])
            mask = allowed(self.kinds, [categories[i] for i in rows])
            if stocked is not None:
                sold = mask & np.isin(self.kinds, list(stocked))[None]
                mask = np.where(sold.any(1, keepdims=True), sold, mask)
            best = np.where(mask, logits, -np.inf).argmax(1).tolist()
            for i, b in zip(rows, best, strict=True):
                out[i] = self.kinds[b]
        return out


def load_kind_head(path: Path = KIND_WEIGHTS) -> KindHead | None:
    """The bundled head, or None when its weights are missing (kinds then come from words)."""
    return KindHead(path) if Path(path).exists() else None
