"""Where one photo reply's CPU time goes, stage by stage: `python -m bench.photo_stages [--json]`.

Sends real street photos, one at a time, through the real dialogue engine (the web chat's and
Telegram's: Dialog.handle with the default models, a real SQLite file in a temporary folder),
each from a new user, so every photo gets the full first-photo reply: what I see, a comment,
the overlay and palette pictures, a suggestion with its before/after picture, the diary entry
with its embedding and repeat search, all stored. The functions behind each stage are wrapped
with a stopwatch that counts a stage's own time (a nested stage's time is taken out of its
caller's: the suggestion's re-parse counts as parse), so the rows add up to the reply's total;
"other" is what no stage covers (the dialogue, prompts, the event loop). Median milliseconds
per photo after warm-up, and the share of the total. Figures go to BENCHMARKS.md
("Throughput").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHOTO_DIRS = (ROOT / "tests" / "data" / "ccp_sample" / "photos",
              ROOT.parent / "shared" / "data" / "ccp" / "photos")


class Stopwatch:
    """Own time per stage, nested calls subtracted from their caller (one thread at a time)."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self._stack: list[list[float]] = []  # [child seconds] per open call

    def wrap(self, stage: str, fn: Callable) -> Callable:
        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([0.0])
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                children = self._stack.pop()[0]
                self.own[stage] += elapsed - children
                if self._stack:
                    self._stack[-1][0] += elapsed
        return timed

    def patch(self, owner: object, name: str, stage: str) -> None:
        setattr(owner, name, self.wrap(stage, getattr(owner, name)))


def photo_paths(n: int) -> list[Path]:
    sample = sorted(PHOTO_DIRS[0].glob("*.jpg"))
    shared = sorted(PHOTO_DIRS[1].glob("*.jpg")) if PHOTO_DIRS[1].is_dir() else []
    if shared:
        sample += shared[:: max(1, len(shared) // n)]
    return sample[:n]


def instrument(watch: Stopwatch, services: Any) -> None:
    """Wrap the functions behind each stage where the reply's code looks them up."""
    from bot.chat.flows import diary
    from inference import pipeline as pipeline_module
    from inference.core import drawing, recolour
    from inference.parsing import outfit as outfit_module
    from inference.stylecheck import advice

    pipeline = services.pipeline
    watch.patch(pipeline_module, "load_photo", "decode")
    # the network's forward and decoding: batched (segment_many) where the parser can
    network = "segment_many" if hasattr(pipeline.parser, "segment_many") else "segment_scored"
    watch.patch(pipeline.parser, network, "parse: network")
    watch.patch(outfit_module, "items_from_labels", "parse: garments, colours, patterns")
    watch.patch(pipeline, "comment", "comments")
    watch.patch(drawing, "overlay_picture", "pictures: overlay")
    watch.patch(drawing, "palette_picture", "pictures: palette")
    watch.patch(recolour, "before_after", "pictures: before/after")
    watch.patch(drawing, "png_bytes", "pictures: encoding")
    watch.patch(advice, "suggest", "suggestion: search")
    watch.patch(advice, "confirmed_photo", "suggestion: recolour and check")
    watch.patch(pipeline, "embed_outfit", "diary: embedding")
    watch.patch(diary.DiaryStore, "embeddings", "diary: repeat search")
    watch.patch(services.store, "add_analysed_photo", "storage")


async def run(photos: list[bytes], warmup: int) -> dict:
    from bot.app import build_services
    from bot.chat.dialog import Dialog
    from bot.chat.messages import Incoming, PhotoIn
    from bot.config import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STYLEBOT_STORAGE__DATABASE"] = f"{tmp}/bench.db"
        os.environ["STYLEBOT_INFERENCE__PROCESSES"] = "0"  # every stage here, to be timed
        os.environ["STYLEBOT_STORAGE__FILES_DIR"] = f"{tmp}/files"
        settings = load_settings()
        services = build_services(settings)
        try:
            dialog = Dialog(services)
            watch = Stopwatch()
            instrument(watch, services)
            per_photo: list[dict[str, float]] = []
            for i, data in enumerate(photos):
                watch.own.clear()
                event = Incoming(user_id=f"cli:bench-{i}", channel="cli",
                                 photos=(PhotoIn(data, ref=f"p{i}"),), locale="en")
                start = time.perf_counter()
                await dialog.handle(event)
                total = time.perf_counter() - start
                if i >= warmup:
                    row = {k: v * 1000 for k, v in watch.own.items()}
                    row["other"] = total * 1000 - sum(row.values())
                    row["total"] = total * 1000
                    per_photo.append(row)
        finally:
            services.close()
    stages = sorted({k for row in per_photo for k in row} - {"total"},
                    key=lambda k: (k == "other", k))
    total = statistics.median(r["total"] for r in per_photo)
    table = {k: round(statistics.median(r.get(k, 0.0) for r in per_photo), 1) for k in stages}
    return {"photos": len(per_photo), "threads": settings.inference.threads,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "total_ms": round(total, 1), "stages_ms": table,
            "mean_total_ms": round(statistics.fmean(r["total"] for r in per_photo), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.photo_stages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    paths = photo_paths(args.photos + args.warmup)
    result = asyncio.run(run([p.read_bytes() for p in paths], args.warmup))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{result['photos']} photos, {result['machine']}, {result['threads']} threads")
    print(f"{'stage':42} {'ms (median)':>12} {'share':>7}")
    for stage, ms in result["stages_ms"].items():
        print(f"{stage:42} {ms:12.1f} {ms / result['total_ms']:7.1%}")
    print(f"{'total (median of totals)':42} {result['total_ms']:12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
