"""How fast the outfit parser runs on a CPU, on real photos, at the bot's thread count.

    python -m bench.parse_speed [--json] [--runs N]

Times (median and p90 over N runs, after a warm-up) a full `parse_outfit` with the default Lite0
parser (items, colours and patterns included), the parser's forward pass alone, the bare Lite0
backbone at 512x352, and a randomly initialised SegFormer-b2 (the real b2 sizes) at the same
input size. Peak resident memory of each path is read in a fresh subprocess, so that one model
does not inflate the other's figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy, torch and PIL load lazily: the parent must stay lean (see below)
    import torch
    from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PHOTO_DIRS = (ROOT / "tests" / "data" / "ccp_sample" / "photos",
              ROOT.parent / "shared" / "data" / "ccp" / "photos")
THREADS = 2
LONG_SIDE = 512
FIXED_SIZE = (512, 352)  # height, width of the fixed-size forward passes
#: SegFormer-b2 (mit-b2 encoder, all-MLP decoder), 18 ATR labels as segformer_b2_clothes.
SEGFORMER_B2 = {"depths": [3, 4, 6, 3], "hidden_sizes": [64, 128, 320, 512],
                "decoder_hidden_size": 768, "num_labels": 18}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def photo_paths(max_photos: int) -> list[Path]:
    """The test sample photos, then evenly spread ones from ../shared/data/ccp if present."""
    sample = sorted(PHOTO_DIRS[0].glob("*.jpg"))
    shared = sorted(PHOTO_DIRS[1].glob("*.jpg")) if PHOTO_DIRS[1].is_dir() else []
    extra = max(0, max_photos - len(sample))
    if shared and extra:
        step = max(1, len(shared) // extra)
        sample += shared[::step][:extra]
    if not sample:
        raise SystemExit(f"no photos in {PHOTO_DIRS[0]}")
    return sample[:max_photos]


def load_photos(paths: Sequence[Path]) -> list[Image.Image]:
    from PIL import Image

    photos = []
    for path in paths:
        with Image.open(path) as image:
            photos.append(image.convert("RGB"))
    return photos


def time_calls(fn: Callable[[Any], object], inputs: Sequence[Any], runs: int,
               warmup: int) -> dict[str, float]:
    """Warm up, then time `runs` calls cycling through `inputs`; milliseconds."""
    import numpy as np

    for i in range(warmup):
        fn(inputs[i % len(inputs)])
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(inputs[i % len(inputs)])
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 2),
            "p90_ms": round(float(np.percentile(times, 90)), 2),
            "min_ms": round(min(times), 2), "runs": runs}


def segformer_b2() -> torch.nn.Module:
    import torch
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    torch.manual_seed(0)
    return SegformerForSemanticSegmentation(SegformerConfig(**SEGFORMER_B2)).eval()


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def vm_hwm_mb() -> float | None:
    """Linux's peak RSS of this process image (VmHWM), a cross-check on ru_maxrss."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def child_memory(path: str, max_photos: int, runs: int) -> dict[str, Any]:
    """Run in a fresh process: peak RSS after imports, after loading, after parsing photos
    (the served Lite0 imports no torch; SegFormer does)."""
    from inference.core.onnx_models import set_threads
    from inference.parsing.outfit import parse_outfit

    if path != "lite0":
        import torch  # noqa: F401 - set_threads sets its threads too
    set_threads(THREADS)

    photos = load_photos(photo_paths(max_photos))
    stages = {"imports_and_photos": peak_rss_mb()}
    if path == "lite0":
        from inference.parsing.lite0 import Lite0Parser

        segmenter: Any = Lite0Parser()
    else:
        from inference.parsing.segformer import SegformerParser

        segmenter = SegformerParser(segformer_b2(), None, LONG_SIDE)
    stages["model_loaded"] = peak_rss_mb()
    for i in range(runs):
        if path == "lite0":
            parse_outfit(photos[i % len(photos)], segmenter)
        else:  # random weights label noise everywhere: time the parser, not the item search
            segmenter.segment(photos[i % len(photos)])
    stages["after_runs"] = peak_rss_mb()
    return {"path": path, "runs": runs, "peak_rss_mb": stages, "vm_hwm_mb": vm_hwm_mb()}


def measure_memory(path: str, max_photos: int, runs: int) -> dict[str, Any]:
    """Linux keeps ru_maxrss across fork+exec, so the child starts from its parent's peak: call
    this before the parent imports torch or loads anything big."""
    command = [sys.executable, "-m", "bench.parse_speed", "--child-memory", path,
               "--max-photos", str(max_photos), "--runs", str(runs)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"memory child {path} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def run(runs: int, warmup: int, max_photos: int, memory_runs: int) -> dict[str, Any]:
    parent_rss = peak_rss_mb()
    log("peak memory in fresh subprocesses ...")
    memory = {path: measure_memory(path, max_photos, memory_runs)
              for path in ("lite0", "segformer_b2")}

    import torch
    from PIL import Image

    from inference.core.onnx_models import set_threads

    set_threads(THREADS)
    from inference.core.backbone import create_feature_extractor
    from inference.parsing.lite0 import DEFAULT_WEIGHTS, Lite0Parser, resize_long_side, to_input
    from inference.parsing.net import load_parser_net
    from inference.parsing.outfit import PARSE_LONG_SIDE, parse_outfit

    paths = photo_paths(max_photos)
    photos = load_photos(paths)
    load_before = os.getloadavg()
    log(f"{len(photos)} photos, {THREADS} threads, load average {load_before[0]:.2f}")

    parsed = [resize_long_side(p, PARSE_LONG_SIDE) for p in photos]
    parse_inputs = [to_input(p) for p in parsed]
    height, width = FIXED_SIZE
    fixed = [to_input(p.resize((width, height), Image.Resampling.BILINEAR)) for p in photos]
    segformer_inputs = [_imagenet(p.resize((width, height), Image.Resampling.BILINEAR))
                        for p in photos]

    lite0 = Lite0Parser(long_side=LONG_SIDE)
    backbone = create_feature_extractor(pretrained=True).eval()
    results: dict[str, dict[str, Any]] = {}

    def record(name: str, fn: Callable[[Any], object], inputs: Sequence[Any], size: str,
               n: int = runs) -> None:
        log(f"timing {name} ...")
        with torch.inference_mode():
            results[name] = {**time_calls(fn, inputs, n, warmup), "input": size}

    parse_sizes = sorted({f"{p.height}x{p.width}" for p in parsed})
    record("parse_outfit (Lite0, full)", lambda p: parse_outfit(p, lite0), photos,
           f"photo -> {PARSE_LONG_SIDE} long side ({', '.join(parse_sizes)})")
    record("Lite0 segment() (tensor, forward, argmax)", lite0.segment, parsed,
           ", ".join(parse_sizes))
    record("Lite0 parser forward (ONNX Runtime, as served)", lambda x: lite0.net.run(x=x),
           parse_inputs, ", ".join(parse_sizes))
    record("Lite0 parser forward @512x352 (ONNX Runtime)", lambda x: lite0.net.run(x=x), fixed,
           "512x352")
    record("Lite0 backbone forward @512x352 (torch)", backbone,
           [torch.from_numpy(x) for x in fixed], "512x352")
    b2 = segformer_b2()
    record("SegFormer-b2 forward @512x352 (random init)", lambda x: b2(pixel_values=x).logits,
           segformer_inputs, "512x352")
    params = {"lite0_parser": _count(load_parser_net(DEFAULT_WEIGHTS)[0]),
              "segformer_b2": _count(b2)}
    return {
        "threads": THREADS, "runs": runs, "warmup": warmup,
        "photos": len(photos), "photo_dirs": [str(d) for d in PHOTO_DIRS if d.is_dir()],
        "torch": torch.__version__, "python": platform.python_version(),
        "cpu_count": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
        "load_average": {"start": [round(v, 2) for v in load_before],
                         "end": [round(v, 2) for v in os.getloadavg()]},
        "parameters_m": {k: round(v / 1e6, 2) for k, v in params.items()},
        "timings": results, "memory": memory, "memory_parent_floor_mb": parent_rss,
    }


def _imagenet(image: Image.Image) -> torch.Tensor:
    from inference.parsing.segformer import Preprocessing

    return Preprocessing()(image)


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    load = report["load_average"]
    table = Table(title=f"Parser speed, {report['threads']} torch threads, {report['runs']} runs, "
                        f"{report['photos']} photos",
                  caption=f"load average {load['start'][0]} -> {load['end'][0]} on "
                          f"{report['cpu_count']} CPUs; torch {report['torch']}")
    for column in ("what", "input (HxW)", "median ms", "p90 ms", "min ms"):
        table.add_column(column, justify="left" if column in ("what", "input (HxW)") else "right")
    for name, r in report["timings"].items():
        table.add_row(name, r["input"], f"{r['median_ms']:.1f}", f"{r['p90_ms']:.1f}",
                      f"{r['min_ms']:.1f}")
    console = Console()
    console.print(table)
    memory = Table(title="Peak resident memory (ru_maxrss, fresh process), MB",
                   caption=f"floor: the launching process's own peak, "
                           f"{report['memory_parent_floor_mb']:.0f} MB (kept across exec)")
    for column in ("path", "imports + photos", "model loaded", "after runs", "VmHWM"):
        memory.add_column(column, justify="left" if column == "path" else "right")
    for path, m in report["memory"].items():
        s = m["peak_rss_mb"]
        label = "Lite0 parse_outfit" if path == "lite0" else "SegFormer-b2 segment (random init)"
        memory.add_row(f"{label} x{m['runs']}", f"{s['imports_and_photos']:.0f}",
                       f"{s['model_loaded']:.0f}", f"{s['after_runs']:.0f}",
                       f"{m['vm_hwm_mb'] or float('nan'):.0f}")
    console.print(memory)
    params = report["parameters_m"]
    console.print(f"parameters: Lite0 parser {params['lite0_parser']} M, "
                  f"SegFormer-b2 {params['segformer_b2']} M")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per case")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per case first")
    parser.add_argument("--max-photos", type=int, default=24)
    parser.add_argument("--memory-runs", type=int, default=8,
                        help="runs in each memory subprocess")
    parser.add_argument("--child-memory", choices=("lite0", "segformer_b2"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.max_photos < 1:
        parser.error("--runs and --max-photos must be >= 1, --warmup >= 0")
    if args.child_memory:
        print(json.dumps(child_memory(args.child_memory, args.max_photos, args.runs)))
        return
    report = run(args.runs, args.warmup, args.max_photos, args.memory_runs)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
