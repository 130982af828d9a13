"""Photo replies per second end to end, against the bare backbone: `python -m bench.throughput`.

Starts `stylebot serve` (the web chat, default models) in a subprocess on 127.0.0.1 with a fresh
database and times, from outside, as issue 25 asks:
1. start-up: from starting the process to the first photo answered (and to /healthz);
2. idle memory: the server's VmRSS once it has answered that photo and settled (summed over
   its worker processes when inference.processes is set, and their PSS);
3. load: 1, 10 and 20 web users at once, each with their own session and address, sending 3
   photos each (each photo as its own message, the next after the previous one's answer, as a
   person waits for the reply; to a second photo's "compare them, or each?" they press "each",
   and the photo counts as answered when its feedback with pictures arrives, the press's time
   included); photos answered per second (wall clock of the whole round), p50 / p95 latency,
   refused as busy;
4. peak memory: the server's VmHWM after the loads (summed over its processes: an upper
   bound); and the CPU time a photo cost, per process;
5. the bare EfficientNet-Lite0 backbone (timm's, batch norms not folded, as the issue measured
   it) forwards per second at 512x352 on 2 threads, in a subprocess of its own while the
   server is idle, in the same run; the ratio photos/s (10 users) / forwards/s is the figure.
   Also the same backbone exported and run in ONNX Runtime (as the bot now runs its networks),
   and the ratio against that.
Figures go to BENCHMARKS.md ("Throughput").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.probe import PHOTOS, Server, _analysed, person, post

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "ccp" / "photos"
BACKBONE = """
import time, torch
torch.set_num_threads(2)
from inference.core.backbone import create_feature_extractor
model = create_feature_extractor().eval().to(memory_format=torch.channels_last)
x = torch.randn(1, 3, 512, 352).contiguous(memory_format=torch.channels_last)
with torch.inference_mode():
    for _ in range(5):
        model(x)
    runs, start = 40, time.perf_counter()
    for _ in range(runs):
        model(x)
print(runs / (time.perf_counter() - start))
"""
#: The same backbone as the bot now runs its networks: exported to ONNX, in ONNX Runtime on 2
#: threads (the stricter denominator: the network's own speed in the bot's runtime).
BACKBONE_ORT = """
import tempfile, time, numpy as np, torch
from pathlib import Path
from inference.core.backbone import create_feature_extractor
from inference.core.onnx_export import export_module
from inference.core.onnx_models import CompiledModel, set_threads
set_threads(2)
path = Path(tempfile.mkdtemp()) / "backbone.onnx"
export_module(create_feature_extractor(), (torch.zeros(1, 3, 512, 352),), path,
              inputs={"x": {}}, outputs={f"f{i}": {} for i in range(4)})
model = CompiledModel(path)
x = np.random.randn(1, 3, 512, 352).astype(np.float32)
for _ in range(5):
    model.run(x=x)
runs, start = 40, time.perf_counter()
for _ in range(runs):
    model.run(x=x)
print(runs / (time.perf_counter() - start))
"""


def photos(n: int = 30) -> list[tuple[bytes, str]]:
    """Real street photos: the test sample, then CCP's when present (spread out)."""
    paths = list(PHOTOS)
    if SHARED.is_dir():
        shared = sorted(SHARED.glob("*.jpg"))
        paths += shared[:: max(1, len(shared) // n)]
    return [(p.read_bytes(), "image/jpeg") for p in paths[:n]]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command's name (0: the state, 1: the parent, 11 and 12: user
    and system CPU ticks); None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_tree(pid: int) -> list[int]:
    """`pid` and every process under it (the worker processes, their forkserver)."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        if (fields := stat_fields(int(proc.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(proc.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    return tree


def tree_kb(pid: int, field: str) -> int:
    """A status field summed over the server's processes. For VmRSS and VmHWM this counts the
    pages the workers share with each other (libraries, the forkserver's imports) once per
    process: an upper bound; `tree_pss_kb` counts each page once."""
    return sum(status_kb(p, field) for p in process_tree(pid))


def tree_pss_kb(pid: int) -> int:
    """Proportional set size over the server's processes: shared pages split between them."""
    total = 0
    for p in process_tree(pid):
        for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far."""
    ticks = 0
    for pid in pids:
        if (fields := stat_fields(pid)) is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def backbone_rate(script: str = BACKBONE) -> float:
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


async def first_photo(server: Server, photo: tuple[bytes, str]) -> float:
    """Seconds from now until the first photo is answered (retrying while the server starts)."""
    started = time.perf_counter()
    async with person("10.9.0.1") as http:
        while True:
            status, body, _ = await post(http, server.url, photo=photo)
            if _analysed(status, body):
                return time.perf_counter() - started
            await asyncio.sleep(0.05)


async def load(server: Server, users: int, per_user: int,
               pool: list[tuple[bytes, str]]) -> dict:
    async def user(k: int) -> tuple[list[float], int]:
        async with person(f"10.{users}.{k // 250}.{k % 250 + 1}") as http:
            times, busy = [], 0
            for j in range(per_user):
                status, body, seconds = await post(http, server.url,
                                                   photo=pool[(k * per_user + j) % len(pool)])
                each = [b["payload"] for r in body.get("replies", []) for row in r["buttons"]
                        for b in row if b["payload"].startswith("pair:each:")]
                if each:  # a second photo soon after the first: "compare, or each?" -> each
                    status, body, more = await post(http, server.url, callback=each[0])
                    seconds += more
                if _analysed(status, body):
                    times.append(seconds)
                busy += status == 503
            return times, busy

    pid = server.process.pid
    workers = [p for p in process_tree(pid) if p != pid]
    parts = {"server": [pid], "workers": workers, "client": [os.getpid()]}
    cpu_before = {name: cpu_seconds(pids) for name, pids in parts.items()}
    started = time.perf_counter()
    done = await asyncio.gather(*(user(k) for k in range(users)))
    wall = time.perf_counter() - started
    latencies = sorted(t for times, _ in done for t in times)
    cpu = {name: (cpu_seconds(pids) - cpu_before[name]) * 1000 / max(1, len(latencies))
           for name, pids in parts.items()}
    return {"users": users, "photos_sent": users * per_user, "photos_answered": len(latencies),
            "refused_busy": sum(b for _, b in done), "wall_s": round(wall, 2),
            "photos_per_s": round(len(latencies) / wall, 2),
            "p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "p95_s": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
            # CPU time a photo answered cost: the server's own process (web, dialogue, storage;
            # the models too when inference.processes is 0), its worker processes, this client
            "cpu_ms_per_photo": {name: round(ms, 1) for name, ms in cpu.items() if parts[name]}}


async def main_async(per_user: int, user_counts: list[int]) -> dict:
    # No first catalogue build in the background: it would share the cores with the load.
    os.environ["STYLEBOT_CATALOG__DEMO_AT_FIRST_START"] = "false"
    pool = photos()
    result: dict = {"machine": f"{os.cpu_count()} cores", "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        started = time.perf_counter()
        await server.start()
        result["startup_to_healthz_s"] = round(time.perf_counter() - started, 2)
        try:
            result["startup_to_first_photo_s"] = round(
                result["startup_to_healthz_s"] + await first_photo(server, pool[0]), 2)
            await asyncio.sleep(2)
            pid = server.process.pid
            result["idle_rss_mb"] = round(tree_kb(pid, "VmRSS") / 1024)
            result["idle_pss_mb"] = round(tree_pss_kb(pid) / 1024)
            result["processes"] = len(process_tree(pid))
            result["backbone_forwards_per_s"] = round(await asyncio.to_thread(backbone_rate), 2)
            result["backbone_onnx_forwards_per_s"] = round(
                await asyncio.to_thread(backbone_rate, BACKBONE_ORT), 2)
            result["load"] = [await load(server, n, per_user, pool) for n in user_counts]
            result["peak_rss_mb"] = round(tree_kb(pid, "VmHWM") / 1024)
            result["rss_after_mb"] = round(tree_kb(pid, "VmRSS") / 1024)
            result["pss_after_mb"] = round(tree_pss_kb(pid) / 1024)
        finally:
            server.stop()
    ten = next((r for r in result["load"] if r["users"] == 10), result["load"][-1])
    result["ratio_10_users"] = round(ten["photos_per_s"] / result["backbone_forwards_per_s"], 3)
    result["ratio_10_users_onnx"] = round(
        ten["photos_per_s"] / result["backbone_onnx_forwards_per_s"], 3)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 20])
    parser.add_argument("--photos", type=int, default=3, help="photos each user sends")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(main_async(args.photos, args.users))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"start-up: /healthz {result['startup_to_healthz_s']} s, first photo answered "
          f"{result['startup_to_first_photo_s']} s; {result['processes']} process(es): idle "
          f"{result['idle_rss_mb']} MB RSS ({result['idle_pss_mb']} MB PSS), peak "
          f"{result['peak_rss_mb']} MB (summed VmHWM)")
    print(f"bare Lite0 backbone 512x352, 2 threads: {result['backbone_forwards_per_s']} /s "
          f"(torch), {result['backbone_onnx_forwards_per_s']} /s (ONNX Runtime)")
    for r in result["load"]:
        print(f"{r['users']:3d} users x {args.photos}: {r['photos_per_s']} photos/s, "
              f"p50 {r['p50_s']} s, p95 {r['p95_s']} s, busy {r['refused_busy']}; CPU ms a "
              f"photo: {r['cpu_ms_per_photo']}")
    print(f"ratio (10 users): {result['ratio_10_users']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
