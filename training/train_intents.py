"""Train the free-text intent classifier: `stylebot train intents` (seeded, one command, seconds).

Data: training/data/utterances/<lang>.jsonl, written by the team (README there), is the training
part; training/data/utterances/heldout/<lang>.jsonl (a fifth of the whole set, written
separately by other writers who never saw the training part) is never trained or tuned on: the
`eval talk` command reports on it. The model is a linear softmax over hashed character and word
n-grams and the conversation's context (inference.text.understand.features), fitted by full-
batch gradient descent with L2; the confidence floor below which the bot asks instead of
guessing is chosen by 4-fold cross-validation on the training part only.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from inference.text.understand import (
    INTENTS,
    MODEL_PATH,
    IntentModel,
    features,
    model_slots,
    normalise,
    read_slots,
)

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data" / "utterances"
DIMS = 1 << 14


def load(data: Path = DATA) -> list[dict]:
    """The utterances of every <lang>.jsonl directly in `data` (not its heldout/ folder)."""
    rows = []
    for path in sorted(data.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append({**json.loads(line), "lang": path.stem})
    return rows


def split(data: Path = DATA) -> tuple[list[dict], list[dict]]:
    """The training part and the held-out part."""
    return load(data), load(data / "heldout")


def slot_names(row: dict) -> tuple[str, ...]:
    """The slots the lexicons find in a row's text, as the bot sees them at run time."""
    text = normalise(row["text"])
    found, _ = read_slots(text, row["text"], tuple(dict.fromkeys((row["lang"], "en"))))
    return model_slots(found)


def _matrix(rows: list[dict], dims: int) -> np.ndarray:
    return np.stack([features(r["text"], r.get("context", "none"), dims, slot_names(r))
                     for r in rows])


def fit(rows: list[dict], dims: int = DIMS, l2: float = 1e-5, seed: int = 0,
        x: np.ndarray | None = None) -> IntentModel:
    """Multinomial logistic regression, fitted to convergence by L-BFGS (full batch: a few
    hundred rows)."""
    import torch

    torch.manual_seed(seed)
    x_t = torch.from_numpy(_matrix(rows, dims) if x is None else x)
    y = torch.tensor([INTENTS.index(r["intent"]) for r in rows])
    w = torch.zeros(dims, len(INTENTS), requires_grad=True)
    b = torch.zeros(len(INTENTS), requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=300, history_size=20,
                            line_search_fn="strong_wolfe")

    def loss_fn() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x_t @ w + b, y) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(loss_fn)
    return IntentModel(w.detach().numpy(), b.detach().numpy(), INTENTS)


def choose_floor(rows: list[dict], folds: int = 4) -> float:
    """The confidence floor that maximises accuracy on held-out folds of the training part, a
    guess below it counting as right only for out-of-scope ("other") messages."""
    order = sorted(rows, key=lambda r: hashlib.md5(r["text"].encode()).hexdigest())
    x = _matrix(order, DIMS)
    probs, gold = [], []
    for k in range(folds):
        test = order[k::folds]
        keep = [i for i in range(len(order)) if i % folds != k]
        model = fit([order[i] for i in keep], x=x[keep])
        probs += [model.probabilities(r["text"], r.get("context", "none"), slot_names(r))
                  for r in test]
        gold += [r["intent"] for r in test]
    best, best_acc = 0.0, -1.0
    for floor in np.arange(0.1, 0.65, 0.05):
        right = sum((INTENTS[int(p.argmax())] == g) if p.max() >= floor else g == "other"
                    for p, g in zip(probs, gold, strict=True))
        if right / len(gold) > best_acc:
            best, best_acc = float(floor), right / len(gold)
    log.info("confidence floor %.2f (cross-validated accuracy %.3f)", best, best_acc)
    return round(best, 2)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="stylebot train intents", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train, test = split(args.data)
    floor = choose_floor(train)
    model = dataclasses.replace(fit(train), floor=floor)
    model.save(args.out)
    return {"train": len(train), "held_out": len(test), "floor": floor, "out": str(args.out)}


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
