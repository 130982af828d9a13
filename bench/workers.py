"""Photo replies per second with 1 and 2 web chat workers on one database:
`python -m bench.workers`.

Starts `stylebot serve` processes (workers.shared, one SQLite file, one files folder) and sends
the same load to each setup, in one run: `--users` web users at once, each with their own
session and address, each sending `--photos` photos one after another (the next after the
previous one's answer). The bench splits the load itself, as a proxy would:
- 1 worker: every message to it (2 model threads: one per core, the default);
- 2 workers, by user: each user's messages to one worker (a proxy hashing the session cookie);
- 2 workers, round robin: each message to the next worker (the proxy knows nothing), so a
  user's messages alternate.
The one worker runs twice: with its state in memory (the default, workers.shared off) and in the
store (on), which prices the shared state itself. The two workers have 1 model thread each, so
every setup runs as many model threads as the machine has cores. Every reply is checked to be
the sender's: its "what I see" summary must be the one the in-memory worker gave for that very
photo, and its pictures must load for the sender's session from the other worker (a browser
loads them too, outside the timed reply). Figures go to docs/scaling.md ("Several workers").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.probe import Server, _analysed, person, post
from bench.throughput import first_photo, photos

SEEN = "Here's what I see"


def summary(body: dict) -> str | None:
    """The reply's first line (what the photo shows), if it is a photo's feedback."""
    texts = [r["text"] for r in body.get("replies", []) if r["text"].startswith(SEEN)]
    return texts[0].splitlines()[0] if texts else None


async def load(servers: list[Server], split: str, users: int, per_user: int,
               pool: list[tuple[bytes, str]], expected: dict[int, str] | None) -> dict:
    """The load against `servers`, split "user" (sticky) or "message" (round robin)."""
    turn = iter(range(10**9))

    def target(k: int) -> Server:
        return servers[(k if split == "user" else next(turn)) % len(servers)]

    async def user(k: int) -> tuple[list[float], dict[int, str], int, int]:
        async with person(f"10.8.{k // 250}.{k % 250 + 1}") as http:
            times, seen, busy, foreign = [], {}, 0, 0
            for j in range(per_user):
                index = (k * per_user + j) % len(pool)
                server = target(k)
                status, body, seconds = await post(http, server.url, photo=pool[index])
                busy += status == 503
                if not _analysed(status, body):
                    continue
                times.append(seconds)
                seen[index] = summary(body) or ""
                # the pictures load for this session from any worker
                other = servers[(servers.index(server) + 1) % len(servers)]
                for image in (i for r in body["replies"] for i in r["images"]):
                    async with http.get(other.url + image["url"]) as resp:
                        foreign += resp.status != 200
            return times, seen, busy, foreign

    started = time.perf_counter()
    done = await asyncio.gather(*(user(k) for k in range(users)))
    wall = time.perf_counter() - started
    latencies = sorted(t for times, _, _, _ in done for t in times)
    seen = {i: s for _, got, _, _ in done for i, s in got.items()}
    mixed = sum(s != expected[i] for i, s in seen.items()) if expected else 0
    return {"workers": len(servers), "split": split, "users": users,
            "photos_sent": users * per_user, "photos_answered": len(latencies),
            "refused_busy": sum(d[2] for d in done), "wall_s": round(wall, 2),
            "photos_per_s": round(len(latencies) / wall, 2),
            "p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "p95_s": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
            "mixed_replies": mixed, "pictures_not_served": sum(d[3] for d in done),
            "_seen": seen}


async def setup(tmp: Path, n: int, shared: bool, users: int, per_user: int,
                pool: list[tuple[bytes, str]], expected: dict[int, str] | None,
                splits: tuple[str, ...]) -> list[dict]:
    cores = os.cpu_count() or 1
    env = {"STYLEBOT_WORKERS__SHARED": str(shared).lower(),
           "STYLEBOT_CATALOG__DEMO_AT_FIRST_START": "false",
           "STYLEBOT_INFERENCE__WORKERS": str(max(1, cores // n)),
           "STYLEBOT_DIALOG__PAIR_WINDOW_SECONDS": "0",  # each photo its own feedback
           "STYLEBOT_TELEGRAM__RATE_BURST": "1000", "STYLEBOT_WEB__ADDRESS_BURST": "1000"}
    folder = tmp / f"{n}-workers-{'shared' if shared else 'memory'}"
    folder.mkdir()
    servers = [Server(folder, env) for _ in range(n)]
    try:
        for server in servers:
            await server.start()
        for server in servers:  # models warm in each
            await first_photo(server, pool[-1])
        runs = [await load(servers, split, users, per_user, pool, expected) for split in splits]
        return [{**run, "shared": shared} for run in runs]
    finally:
        for server in servers:
            server.stop()


async def main_async(users: int, per_user: int) -> dict:
    pool = photos(users * per_user + 1)
    result: dict = {"machine": f"{os.cpu_count()} cores", "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        [alone] = await setup(Path(tmp), 1, False, users, per_user, pool, None, ("user",))
        expected = alone["_seen"]
        [one] = await setup(Path(tmp), 1, True, users, per_user, pool, expected, ("user",))
        two = await setup(Path(tmp), 2, True, users, per_user, pool, expected,
                          ("user", "message"))
    result["runs"] = [{k: v for k, v in r.items() if k != "_seen"} for r in (alone, one, *two)]
    result["load_after"] = os.getloadavg()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--photos", type=int, default=3, help="photos each user sends")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(main_async(args.users, args.photos))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{result['machine']}, load {result['load_before']:.2f} before, "
          f"{result['load_after']:.2f} after")
    for r in result["runs"]:
        state = "shared" if r["shared"] else "memory"
        print(f"{r['workers']} worker(s), {state}, split by {r['split']:7s}: "
              f"{r['photos_per_s']} photos/s, "
              f"p50 {r['p50_s']} s, p95 {r['p95_s']} s; answered {r['photos_answered']}/"
              f"{r['photos_sent']}, busy {r['refused_busy']}, mixed {r['mixed_replies']}, "
              f"pictures not served {r['pictures_not_served']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
