"""Train the bundled clothing parser on CCP: `stylebot train parser --data ../shared/data/ccp`.

Seeded and single-command. Every 10th photo (by id) is held out for validation; the best epoch by
garment mean IoU on it is saved. Recipe, and why:
- crops (352x256 unless `--crop H W`) from photos rescaled around the 512-pixel inference size
  (x0.7-1.3), so the net sees people at the scales it meets at run time, plus flips and mild
  colour jitter;
- cross-entropy weighted by inverse square-root class frequency plus a soft Dice term: the
  garment classes that matter most (belts, scarves, glasses, jewellery) are tiny; the weights
  are saved with the net, and the parser divides them back out of its scores at run time;
- photos drawn with class-balanced weights (a photo with a belt, scarf or jewellery comes up more
  often), so the rare small garments get enough gradient;
- the stem and first block stay as bundled (they are generic edges; freezing them also saves the
  costly high-resolution backward pass), everything else is fine-tuned with AdamW + cosine;
- `--init` continues from earlier weights (a second, lower-rate cosine cycle), so a schedule can be
  run in stages on a small machine; the weights' meta records every stage;
- `--ema` judges and saves a moving average of the weights instead (smoother from epoch to epoch;
  session 6 found it no better on the held-out photos, see BENCHMARKS.md), and `--scales`,
  `--max-tilt`, `--weight-decay` set the augmentation and regularisation tried with it;
- `--region-loss lovasz` replaces the Dice term by the Lovasz-softmax IoU surrogate (session 7:
  no better than Dice on the held-out photos, see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from PIL import Image
from tqdm import tqdm

from inference.core.garments import CLASSES, NUM_CLASSES
from inference.core.lite0_spec import MEAN, STD
from inference.core.onnx_models import compiled_into
from inference.parsing.lite0 import DEFAULT_WEIGHTS, Lite0Parser
from inference.parsing.net import ParserNet, load_parser_net, save_weights
from training.ccp_data import labelled_photos, load_merged_mask, merged_mask_lut, train_val_split
from training.eval_parser import evaluate_items

log = logging.getLogger(__name__)

LONG_SIDE = 512
DEFAULT_CROP = (352, 256)  # H, W
IGNORE = 255
FROZEN_BLOCKS = 1


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, so a training run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class CropDataset(torch.utils.data.Dataset):
    """Photos cached in memory at a 640-pixel long side; random scale, tilt, crop, flip, jitter."""

    def __init__(
        self,
        items: list,
        lut: np.ndarray,
        crop: tuple[int, int] = DEFAULT_CROP,
        scales: tuple[float, float] = (0.7, 1.3),
        max_tilt: float = 0.0,
    ) -> None:
        self.crop = crop
        self.scales = scales
        self.max_tilt = max_tilt
        self.images: list[torch.Tensor] = []
        self.masks: list[torch.Tensor] = []
        for item in tqdm(items, desc="loading", leave=False):
            img = Image.open(item.photo).convert("RGB")
            mask = Image.fromarray(load_merged_mask(item.mask, lut))
            scale = 640 / max(img.size)
            size = (round(img.width * scale), round(img.height * scale))
            self.images.append(TF.pil_to_tensor(img.resize(size, Image.Resampling.BILINEAR)))
            self.masks.append(
                torch.from_numpy(np.array(mask.resize(size, Image.Resampling.NEAREST)))
            )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        img, mask = self.images[i], self.masks[i][None]
        h, w = img.shape[-2:]
        scale = LONG_SIDE * random.uniform(*self.scales) / max(h, w)
        size = [round(h * scale), round(w * scale)]
        img = TF.resize(img, size, antialias=True)
        mask = TF.resize(mask, size, interpolation=TF.InterpolationMode.NEAREST)
        if self.max_tilt:  # hand-held phones are rarely level
            angle = random.uniform(-self.max_tilt, self.max_tilt)
            img = TF.rotate(img, angle, TF.InterpolationMode.BILINEAR, fill=0)
            mask = TF.rotate(mask, angle, TF.InterpolationMode.NEAREST, fill=IGNORE)
        ch, cw = self.crop
        pad_h, pad_w = max(0, ch - size[0]), max(0, cw - size[1])
        if pad_h or pad_w:
            img = TF.pad(img, [0, 0, pad_w, pad_h], fill=0)
            mask = TF.pad(mask, [0, 0, pad_w, pad_h], fill=IGNORE)
        top = random.randint(0, img.shape[-2] - ch)
        left = random.randint(0, img.shape[-1] - cw)
        img, mask = (
            img[:, top : top + ch, left : left + cw],
            mask[:, top : top + ch, left : left + cw],
        )
        if random.random() < 0.5:
            img, mask = img.flip(-1), mask.flip(-1)
        img = img.float() / 255.0
        img = TF.adjust_brightness(img, random.uniform(0.8, 1.2))
        img = TF.adjust_contrast(img, random.uniform(0.8, 1.2))
        img = TF.adjust_saturation(img, random.uniform(0.8, 1.2))
        img = TF.normalize(img, MEAN, STD)
        return img, mask[0].long()


def photo_weights(masks: list[torch.Tensor]) -> torch.Tensor:
    """Sampling weight per photo: the rarest class it shows, by inverse square-root photo count."""
    present = torch.stack(
        [torch.bincount(m[m < NUM_CLASSES].flatten(), minlength=NUM_CLASSES) > 0 for m in masks]
    )
    rarity = 1.0 / present.sum(0).clamp_min(1).float().sqrt()
    return (present.float() * rarity).max(1).values


def class_weights(masks: list[torch.Tensor]) -> torch.Tensor:
    counts = torch.zeros(NUM_CLASSES)
    for m in masks:
        counts += torch.bincount(m[m < NUM_CLASSES].flatten(), minlength=NUM_CLASSES)
    freq = counts / counts.sum()
    weights = (freq.median() / freq.clamp_min(1e-6)).sqrt()
    return weights.clamp(0.3, 4.0)


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Soft Dice over the classes present in the batch's ground truth."""
    valid = (target != IGNORE).unsqueeze(1)
    probs = logits.softmax(1) * valid
    onehot = F.one_hot(target.clamp_max(NUM_CLASSES - 1), NUM_CLASSES).permute(0, 3, 1, 2) * valid
    inter = (probs * onehot).sum((0, 2, 3))
    denom = probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    present = onehot.sum((0, 2, 3)) > 0
    dice = 1 - (2 * inter + 1) / (denom + 1)
    return dice[present].mean()


def _lovasz_grad(fg_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovasz extension of the Jaccard loss w.r.t. sorted errors (Berman 2018)."""
    total = fg_sorted.sum()
    intersection = total - fg_sorted.cumsum(0)
    union = total + (1 - fg_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Lovasz-softmax over the batch's pixels: a tight convex surrogate of the mean IoU of the
    classes present, which cross-entropy and Dice only approximate (Berman et al., CVPR 2018).
    Every second pixel each way: the per-class sorts would otherwise double the step time."""
    logits, target = logits[..., ::2, ::2], target[..., ::2, ::2]
    valid = target != IGNORE
    probs = logits.softmax(1).permute(0, 2, 3, 1)[valid]  # (P, C)
    labels = target[valid]
    if not len(labels):  # every pixel padding: nothing to learn from
        return logits.sum() * 0
    losses = []
    for c in labels.unique():
        fg = (labels == c).float()
        errors, order = (fg - probs[:, c]).abs().sort(descending=True)
        losses.append(torch.dot(errors, _lovasz_grad(fg[order])))
    return torch.stack(losses).mean()


#: The term added to the weighted cross-entropy, and its weight (Dice x0.5, as the shipped stages).
REGION_LOSSES = {"dice": (0.5, dice_loss), "lovasz": (1.0, lovasz_loss)}


@dataclass(frozen=True)
class Recipe:
    """One training stage's settings; recorded in the weights' meta."""

    epochs: int = 30
    seed: int = 0
    batch: int = 8
    channels: int = 96
    init: Path | None = None  # continue from these weights (a later stage)
    lr_scale: float = 1.0
    crop: tuple[int, int] = DEFAULT_CROP
    scales: tuple[float, float] = (0.7, 1.3)  # of the 512-pixel inference size
    max_tilt: float = 0.0  # degrees
    weight_decay: float = 1e-4  # AdamW, on every trained parameter (as the shipped stages)
    ema: float = 0.0  # decay of an exponential moving average of the weights; 0 = none
    region_loss: str = "dice"  # added to the weighted cross-entropy (REGION_LOSSES)

    def record(self) -> dict:
        stage = {k: v for k, v in asdict(self).items() if k not in ("batch", "channels")}
        stage["init"] = self.init.name if self.init else None  # paths differ between machines
        stage["crop"], stage["scales"] = list(self.crop), list(self.scales)
        return {**stage, "balanced_sampling": True}


def train(data: Path, out: Path, recipe: Recipe) -> dict:
    seed, epochs, init = recipe.seed, recipe.epochs, recipe.init
    seed_everything(seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    items = labelled_photos(data)
    if not items:
        raise SystemExit(f"no photos with masks under {data}")
    lut = merged_mask_lut(data)
    train_items, val_items = train_val_split(items)
    log.info("%d training photos, %d validation photos", len(train_items), len(val_items))
    dataset = CropDataset(train_items, lut, recipe.crop, recipe.scales, recipe.max_tilt)
    generator = torch.Generator().manual_seed(seed)
    sampler = torch.utils.data.WeightedRandomSampler(
        photo_weights(dataset.masks), len(dataset), replacement=True, generator=generator
    )
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=recipe.batch, sampler=sampler, drop_last=True, generator=generator
    )
    stages: list[dict] = []
    if init is not None:  # continue from earlier weights: same network, frozen part as bundled
        model, previous = load_parser_net(init, fold_norms=False)
        model.train()
        channels = previous["channels"]
        stages = previous.get("stages") or [  # weights from before stages were recorded
            {k: previous[k] for k in ("seed", "epochs", "crop") if k in previous}
        ]
    else:
        channels = recipe.channels
        model = ParserNet(NUM_CLASSES, channels=channels)
    # channels_last makes the CPU convolutions about 30% faster here
    model = model.to(memory_format=torch.channels_last)
    frozen = model.frozen_prefixes(FROZEN_BLOCKS)
    backbone_params, decoder_params = [], []
    for name, p in model.named_parameters():
        if name.startswith(frozen):
            p.requires_grad_(False)
        else:
            (decoder_params if name.startswith("decoder") else backbone_params).append(p)
    optimiser = torch.optim.AdamW(
        [
            {"params": backbone_params, "lr": 1e-3 * recipe.lr_scale},
            {"params": decoder_params, "lr": 3e-3 * recipe.lr_scale},
        ],
        weight_decay=recipe.weight_decay,
    )
    # the moving average smooths the epoch-to-epoch swings of a small training set
    averaged = (
        torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(recipe.ema),
            use_buffers=True,
        )
        if recipe.ema
        else None
    )
    steps = epochs * len(loader)
    warmup = len(loader)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: (
            (s + 1) / warmup
            if s < warmup
            else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, steps - warmup)))
        ),
    )
    weights = class_weights(dataset.masks)
    meta = {
        "classes": list(CLASSES),
        "channels": channels,
        "long_side": LONG_SIDE,
        "frozen_prefixes": list(frozen),
        "train_photos": len(train_items),
        "val_photos": len(val_items),
        "stages": [*stages, recipe.record()],
        # the parser divides them out of its scores (segment.decide_classes)
        "loss_class_weights": [round(float(w), 4) for w in weights],
    }
    region_weight, region_loss = REGION_LOSSES[recipe.region_loss]
    best: dict = {"garment_mean_iou": -1.0}
    started = time.time()
    # each epoch's graph goes to a temporary folder, not the bot's own (it would push out the
    # graphs the bot serves)
    with tempfile.TemporaryDirectory() as graphs, compiled_into(Path(graphs)):
        for epoch in range(epochs):
            model.train()
            for module in model.modules():  # frozen layers keep their ImageNet statistics
                if isinstance(module, torch.nn.BatchNorm2d) and not any(
                    p.requires_grad for p in module.parameters()
                ):
                    module.eval()
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", leave=False)
            for images, masks in bar:
                logits = model(images.contiguous(memory_format=torch.channels_last))
                loss = F.cross_entropy(logits, masks, weight=weights, ignore_index=IGNORE)
                loss = loss + region_weight * region_loss(logits, masks)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                schedule.step()
                if averaged is not None:
                    averaged.update_parameters(model)
                bar.set_postfix(loss=f"{loss.item():.3f}")
            kept = model if averaged is None else averaged.module
            tmp = out.with_suffix(".last.pt")
            save_weights(kept, tmp, meta, frozen)
            metrics = evaluate_items(Lite0Parser(tmp), val_items, lut)
            log.info(
                "epoch %d: val pixel acc %.4f, mIoU %.4f, garment mIoU %.4f (%.0f min)",
                epoch + 1,
                metrics["pixel_accuracy"],
                metrics["mean_iou"],
                metrics["garment_mean_iou"],
                (time.time() - started) / 60,
            )
            if metrics["garment_mean_iou"] > best["garment_mean_iou"]:
                best = {**metrics, "epoch": epoch + 1}
                save_weights(
                    kept,
                    out,
                    {
                        **meta,
                        "val_metrics": best,
                        "train_minutes": round((time.time() - started) / 60, 1),
                    },
                    frozen,
                )
            tmp.unlink()
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="stylebot train parser", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/ccp"))
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    default = Recipe()
    parser.add_argument("--epochs", type=int, default=default.epochs)
    parser.add_argument("--batch", type=int, default=default.batch)
    parser.add_argument("--channels", type=int, default=default.channels)
    parser.add_argument("--seed", type=int, default=default.seed)
    parser.add_argument("--init", type=Path, help="continue from these weights (a later stage)")
    parser.add_argument(
        "--lr-scale", type=float, default=default.lr_scale, help="multiplies both rates"
    )
    parser.add_argument("--crop", type=int, nargs=2, default=default.crop, metavar=("H", "W"))
    parser.add_argument(
        "--scales", type=float, nargs=2, default=default.scales, metavar=("MIN", "MAX"),
        help="photo scale range, relative to the 512-pixel inference size",
    )
    parser.add_argument("--max-tilt", type=float, default=default.max_tilt, help="degrees")
    parser.add_argument("--weight-decay", type=float, default=default.weight_decay)
    parser.add_argument("--ema", type=float, default=default.ema, help="weight-average decay")
    parser.add_argument(
        "--region-loss", choices=sorted(REGION_LOSSES), default=default.region_loss,
        help="added to the cross-entropy: soft Dice (as shipped) or Lovasz-softmax",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    recipe = Recipe(
        epochs=args.epochs,
        seed=args.seed,
        batch=args.batch,
        channels=args.channels,
        init=args.init,
        lr_scale=args.lr_scale,
        crop=tuple(args.crop),
        scales=tuple(args.scales),
        max_tilt=args.max_tilt,
        weight_decay=args.weight_decay,
        ema=args.ema,
        region_loss=args.region_loss,
    )
    best = train(args.data, args.out, recipe)
    log.info(
        "best epoch %s: %s",
        best.get("epoch"),
        {k: v for k, v in best.items() if k != "per_class_iou"},
    )


if __name__ == "__main__":
    main()
