"""Telegram latency, end to end: the real bot (default models) polling the local Bot API stand-in.

(a) photo latency: from a photo update becoming available at getUpdates to the bot's picture
    reply (sendPhoto/sendMediaGroup) reaching the stand-in; one photo at a time, median of N;
(b) /help latency while ten photos are being analysed (target < 300 ms).

    python -m bench.telegram_latency [--photos 10] [--json]
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

from pydantic import SecretStr

from bot.app import build_services
from bot.channels.telegram import build_application, running
from bot.config import load_settings
from tests.botapi_standin import TOKEN, BotApiStandIn

PHOTOS = Path(__file__).resolve().parent.parent / "tests" / "data" / "ccp_sample" / "photos"
PICTURES = ("sendPhoto", "sendMediaGroup")
HELP_TARGET_MS = 300.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def photo_latency(api: BotApiStandIn, photos: list[bytes], n: int) -> list[float]:
    """Seconds from update to picture reply, one photo at a time (a new user each: no pairing)."""
    latencies = []
    for i in range(n):
        user = 1000 + i
        update = api.push(api.message_update(user, photo=photos[i % len(photos)]))
        reply = await api.next_call(PICTURES, chat_id=user, timeout=120)
        latencies.append(reply.at - api.pushed_at[update["update_id"]])
        await api.next_call("sendMessage", chat_id=user, where=lambda c: bool(c.buttons))
    return latencies


async def help_under_load(api: BotApiStandIn, photos: list[bytes],
                          busy: int = 10, probes: int = 5) -> dict:
    """Seconds to answer /help while `busy` photos wait for (or are in) analysis."""
    users, before = [2000 + i for i in range(busy)], len(api.downloads)
    for i, user in enumerate(users):
        api.push(api.message_update(user, photo=photos[i % len(photos)]))
    for _ in range(600):  # until every photo is downloaded and queued for the model
        if len(api.downloads) >= before + busy:
            break
        await asyncio.sleep(0.01)
    latencies, answered_at = [], []
    for i in range(probes):
        update = api.push(api.message_update(3000 + i, "/help"))
        reply = await api.next_call("sendMessage", chat_id=3000 + i, timeout=30)
        latencies.append(reply.at - api.pushed_at[update["update_id"]])
        answered_at.append(reply.at)
        await asyncio.sleep(0.2)
    done = [await api.next_call(PICTURES, chat_id=u, timeout=300) for u in users]
    pending = sum(call.at > answered_at[-1] for call in done)
    return {"latencies": latencies, "photos_still_pending_after_last_help": pending}


async def main_async(n: int) -> dict:
    photos = [p.read_bytes() for p in sorted(PHOTOS.glob("*.jpg"))]
    api = await BotApiStandIn().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, storage__database=f"{tmp}/bench.db",
                                 storage__files_dir=f"{tmp}/files")
        tg = settings.telegram
        tg.token, tg.base_url, tg.base_file_url = SecretStr(TOKEN), api.base_url, api.base_file_url
        tg.rate_burst, tg.rate_refill_per_second = 1000, 1000
        application = build_application(settings, build_services(settings))
        try:
            async with running(application, poll_timeout=5):
                await photo_latency(api, photos, 1)  # warm-up, not counted
                photo = await photo_latency(api, photos, n)
                loaded = await help_under_load(api, photos)
        finally:
            await api.close()
    help_ms = [_ms(s) for s in loaded["latencies"]]
    return {
        "photos": n,
        "photo_reply_ms": {"median": _ms(statistics.median(photo)), "min": _ms(min(photo)),
                           "max": _ms(max(photo))},
        "help_while_10_photos_analysed_ms": {
            "median": statistics.median(help_ms), "max": max(help_ms), "all": help_ms,
            "target": HELP_TARGET_MS, "met": max(help_ms) < HELP_TARGET_MS,
            "photos_still_pending_after_last_help":
                loaded["photos_still_pending_after_last_help"]},
        "parser": settings.inference.parser,
        "model_threads": settings.inference.threads,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.telegram_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=10, help="photos for the median (a)")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    started = time.perf_counter()
    result = asyncio.run(main_async(args.photos))
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    photo, help_ = result["photo_reply_ms"], result["help_while_10_photos_analysed_ms"]
    rows = [
        ("photo update -> picture reply", f"{photo['median']:.0f}",
         f"{photo['min']:.0f}-{photo['max']:.0f}", f"median of {result['photos']}"),
        ("/help while 10 photos analysed", f"{help_['median']:.0f}", f"max {help_['max']:.0f}",
         f"target < {HELP_TARGET_MS:.0f} ms: {'met' if help_['met'] else 'MISSED'}"),
    ]
    print(f"{'measure':34s} {'median ms':>10s} {'range ms':>12s}  note")
    for name, median, spread, note in rows:
        print(f"{name:34s} {median:>10s} {spread:>12s}  {note}")
    print(f"(parser {result['parser']}, {result['model_threads']} model threads, "
          f"{help_['photos_still_pending_after_last_help']} photos still in analysis after the "
          f"last /help)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
