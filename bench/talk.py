"""Free-text turn speed: a typed message through the dialogue engine, offline understanding.

    python -m bench.talk [--turns 400] [--json]

Each turn is the whole path a chat message takes (language, understanding, the answer,
conversation state read and written in a real SQLite file), for the held-out utterances of all
four languages (training/data/utterances/heldout/) in their own contexts: a user who has just
sent a photo for "photo", a Style Check for "verdict", nothing for the others (shop
refinements then get their "show me results first" answer). No LLM. Reports the median and the
95th percentile per turn, and the understanding alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.app import build_services
from bot.chat.dialog import Dialog
from bot.chat.messages import Incoming, PhotoIn
from bot.config import load_settings
from inference.text.understand import Understanding
from training.train_intents import DATA, load

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = sorted((ROOT / "tests" / "data" / "ccp_sample" / "photos").glob("*.jpg"))
TARGET_MS = 50.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def main_async(turns: int) -> dict:
    rows = load(DATA / "heldout")[:turns]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, storage__database=f"{tmp}/bench.db",
                                 storage__files_dir=f"{tmp}/files")
        settings.telegram.rate_burst, settings.telegram.rate_refill_per_second = 1e6, 1e6
        settings.dialog.pair_window_seconds = 0
        services = build_services(settings)
        dialog = Dialog(services)
        photo = PhotoIn(PHOTOS[0].read_bytes(), "p.jpg", "p0")
        try:
            for lang in ("en", "uk", "ru", "zh"):  # one user per language and context
                for context in ("photo", "verdict"):
                    user = f"cli:{lang}-{context}"
                    await dialog.handle(Incoming(user, "cli", text=f"/language {lang}"))
                    photos = (photo,) if context == "photo" else (photo, photo)
                    await dialog.handle(Incoming(user, "cli", photos=photos))
            seconds = []
            for row in rows:
                context = row["context"] if row["context"] in ("photo", "verdict") else "none"
                user = (f"cli:{row['lang']}-{context}" if context != "none"
                        else f"cli:{row['lang']}-none")
                started = time.perf_counter()
                await dialog.handle(Incoming(user, "cli", text=row["text"]))
                seconds.append(time.perf_counter() - started)
        finally:
            services.close()
    understanding = Understanding()
    alone = []
    for row in rows:
        started = time.perf_counter()
        understanding(row["text"], row["lang"], row["context"])
        alone.append(time.perf_counter() - started)
    seconds.sort()
    return {"turns": len(seconds), "median_ms": _ms(statistics.median(seconds)),
            "p95_ms": _ms(seconds[int(0.95 * (len(seconds) - 1))]),
            "max_ms": _ms(seconds[-1]), "understanding_median_ms": _ms(statistics.median(alone)),
            "target_median_ms": TARGET_MS,
            "met": statistics.median(seconds) * 1000 <= TARGET_MS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.talk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=520)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = asyncio.run(main_async(args.turns))
    print(json.dumps(result, indent=2) if args.json else "\n".join(
        f"{key:26s} {value}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
