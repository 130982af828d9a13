"""Photo replies per second through Ray Serve, against in process: `python -m bench.ray_serve`.

In one run, on this machine: the web chat (`stylebot serve` in a subprocess, bench.probe.Server)
with its models in process; then a local Ray cluster started here, the app deployed with 1 and
then 2 replicas per deployment (`inference.serve_replicas`), and the web chat joining it
(`inference.serve: auto`) for each. Each configuration answers one photo first (warm-up, not
counted), then the same load as bench.throughput: N web users at once, 3 photos each, one after
another's answer; photos answered per second, p50 / p95 latency, refused as busy. The Ray
cluster gets 2 logical CPUs a replica count (one per replica of each deployment): on a 2-core
machine two replicas of each share the cores with each other and with the bot process.
Figures go to docs/scaling.md ("Ray Serve").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.probe import Server
from bench.throughput import first_photo, load, photos

ROOT = Path(__file__).resolve().parent.parent


async def one_setup(label: str, users: list[int], per_user: int,
                    pool: list[tuple[bytes, str]], env: dict[str, str]) -> dict:
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        await server.start()
        try:
            warm = await first_photo(server, pool[0])
            rounds = [await load(server, n, per_user, pool) for n in users]
        finally:
            server.stop()
            for key in env:
                os.environ.pop(key)
    return {"setup": label, "first_photo_s": round(warm, 2), "load": rounds}


async def main_async(users: list[int], per_user: int, replica_counts: list[int]) -> dict:
    import ray
    from ray import serve

    from bot.config import load_settings
    from inference.serve.app import deploy

    os.environ["STYLEBOT_CATALOG__DEMO_AT_FIRST_START"] = "false"  # no build sharing the cores
    pool = photos()
    result = {"machine": f"{os.cpu_count()} cores", "load_before": os.getloadavg()[0],
              "setups": [await one_setup("in process", users, per_user, pool, {})]}
    ray.init(num_cpus=2 * max(replica_counts), object_store_memory=256 * 2**20,
             include_dashboard=False, log_to_driver=False)
    try:
        serve.start(proxy_location="Disabled")
        for n in replica_counts:
            settings = load_settings(None, inference__serve_replicas=n)
            started = time.perf_counter()
            deploy(settings.inference, {"env_vars": {"PYTHONPATH": str(ROOT)}})
            deployed = round(time.perf_counter() - started, 1)
            setup = await one_setup(f"Ray Serve, {n} replica(s)", users, per_user, pool,
                                    {"STYLEBOT_INFERENCE__SERVE": "auto",
                                     "STYLEBOT_INFERENCE__SERVE_REPLICAS": str(n)})
            result["setups"].append({**setup, "deploy_s": deployed})
    finally:
        serve.shutdown()
        ray.shutdown()
    result["load_after"] = os.getloadavg()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ray_serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--photos", type=int, default=3, help="photos each user sends")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(main_async(args.users, args.photos, args.replicas))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{result['machine']}, load {result['load_before']:.2f} before, "
          f"{result['load_after']:.2f} after")
    for setup in result["setups"]:
        deployed = f", deployed in {setup['deploy_s']} s" if "deploy_s" in setup else ""
        print(f"{setup['setup']}: first photo {setup['first_photo_s']} s{deployed}")
        for r in setup["load"]:
            print(f"  {r['users']:3d} users x {args.photos}: {r['photos_per_s']} photos/s, "
                  f"p50 {r['p50_s']} s, p95 {r['p95_s']} s, busy {r['refused_busy']}, "
                  f"answered {r['photos_answered']}/{r['photos_sent']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
