"""The store on SQLite and on PostgreSQL, the same calls timed on each:
`python -m bench.storage [--n 1000] [--threads 4] [--json]`.

SQLite: a fresh file in WAL mode (synchronous=NORMAL, as the store opens it). PostgreSQL: a
throwaway local server (tests/postgres.py, Debian's binaries) with its production defaults
(fsync, synchronous_commit on; `--no-fsync`: both off), reached over TCP on 127.0.0.1. For
each: `n` add_outfit calls (one outfit and four items, one transaction each), `n` outfits()
reads (the latest 20), `n` outfit() reads (one outfit with its items), then `n` add_outfit
calls spread over `threads` threads (each its own connection, as the bot's handlers and model
workers have). Figures for docs/scaling.md ("Storage").
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from storage import Store
from tests import postgres

ITEMS = [{"category": c, "colour_family": "blue", "area": 0.2, "box": [0, 0, 10, 10]}
         for c in ("top", "pants", "shoe", "bag")]
SUMMARY = {"items": [{"category": "top"}], "palette": ["navy", "white"], "style": "casual"}


def timed(n: int, call: Callable[[int], object]) -> float:
    """Calls per second."""
    started = time.perf_counter()
    for i in range(n):
        call(i)
    return n / (time.perf_counter() - started)


def run(target: Path | str, files: Path, n: int, threads: int) -> dict[str, float]:
    store = Store(target, files)
    store.ensure_user("bench:a", "web")
    ids: list[int] = []
    figures = {
        "add_outfit_per_s": timed(n, lambda i: ids.append(
            store.add_outfit("bench:a", None, {**SUMMARY, "n": i}, ITEMS, embedding=b"\0" * 512))),
        "outfits_per_s": timed(n, lambda i: store.outfits("bench:a", limit=20)),
        "outfit_per_s": timed(n, lambda i: store.outfit("bench:a", ids[i])),
    }
    users = [f"bench:{i}" for i in range(threads)]
    for user in users:
        store.ensure_user(user, "web")

    def write(user: str) -> None:
        for i in range(n // threads):
            store.add_outfit(user, None, {**SUMMARY, "n": i}, ITEMS)

    workers = [threading.Thread(target=write, args=(u,)) for u in users]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    figures[f"add_outfit_{threads}_threads_per_s"] = (
        n // threads * threads / (time.perf_counter() - started))
    assert sum(len(store.outfits(u, limit=n)) for u in users) == n // threads * threads
    store.close()
    return {k: round(v) for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-fsync", action="store_true",
                        help="PostgreSQL without fsync or synchronous commit: what the commits' "
                             "flushes cost")
    args = parser.parse_args()
    bin_dir = postgres.bindir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run(Path(tmp) / "bench.db", Path(tmp) / "files", args.n,
                                args.threads)
        cluster = postgres.Cluster(bin_dir, durable=not args.no_fsync).start()
        try:
            results["postgresql"] = run(cluster.create_database(), Path(tmp) / "files",
                                        args.n, args.threads)
        finally:
            cluster.stop()
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"n": args.n, "load_1min": load, **results}, indent=2))
        return
    print(f"{args.n} calls each, {os.cpu_count()} cores, load {load:.2f} at the end")
    print(f"{'calls per second':32} {'sqlite':>8} {'postgresql':>11}")
    for key in results["sqlite"]:
        print(f"{key:32} {results['sqlite'][key]:>8} {results['postgresql'][key]:>11}")


if __name__ == "__main__":
    main()
