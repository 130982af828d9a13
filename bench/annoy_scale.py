"""Annoy at catalogue scale: `python -m bench.annoy_scale [--sizes 100000 1000000] [--json]`.

Synthetic unit vectors of the garment embedder's dimension (192 = 128 visual + 64 colour), made
to look like a catalogue rather than noise: items fall around 2,000 "product families" (random
directions), each item at cosine ~0.75 from its family's centre, and queries come from the same
families but are never in the index (a street photo is never one of the shop's own). Isotropic
Gaussian vectors, where every point is nearly equidistant from every other and no index can
beat brute force, are available with `--kind gaussian` as the worst case.

For each size: build time and peak memory of the build (in a child process that reads the
vectors from a memory-mapped .npy, so only Annoy's own memory counts), index file size, exact
top-10 by brute-force cosine (numpy), then recall@10 and mean single-query time for a sweep of
search_k; the first search_k reaching the target recall is the recommended setting.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 192
FAMILIES = 2000


def make_vectors(n: int, dim: int, kind: str, seed: int, centres: np.ndarray | None = None,
                 ) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        if kind == "gaussian":
            x = rng.standard_normal((m, dim)).astype(np.float32)
        else:
            assert centres is not None
            fam = rng.integers(len(centres), size=m)
            # Noise of norm ~0.88 against a unit centre: cosine to the centre ~0.75.
            noise = rng.standard_normal((m, dim)).astype(np.float32) * (0.88 / np.sqrt(dim))
            x = centres[fam] + noise
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def _build(path: str, npy: str, dim: int, trees: int, jobs: int, queue: mp.Queue) -> None:
    from annoy import AnnoyIndex

    vectors = np.load(npy, mmap_mode="r")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    index = AnnoyIndex(dim, "angular")
    for i in range(len(vectors)):
        index.add_item(i, vectors[i])
    added = time.perf_counter() - started
    index.build(trees, n_jobs=jobs)
    index.save(path)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"build_seconds": round(seconds, 1), "add_seconds": round(added, 1),
               "peak_rss_mb": round(peak / 1024, 1),
               "peak_rss_over_start_mb": round((peak - before) / 1024, 1)})


def exact_top(base: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    top = np.empty((len(queries), k), dtype=np.int64)
    for i in range(0, len(queries), 50):
        sims = queries[i:i + 50] @ base.T
        part = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, 1), axis=1)
        top[i:i + 50] = np.take_along_axis(part, order, 1)
    return top, (time.perf_counter() - started) / len(queries)


def run_size(n: int, args: argparse.Namespace, tmp: Path) -> dict:
    rng = np.random.default_rng(args.seed)
    centres = None
    if args.kind == "clustered":
        centres = rng.standard_normal((FAMILIES, args.dim)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    base = make_vectors(n, args.dim, args.kind, args.seed + 1, centres)
    queries = make_vectors(args.queries, args.dim, args.kind, args.seed + 2, centres)
    npy = tmp / f"base-{n}.npy"
    np.save(npy, base)
    path = tmp / f"index-{n}.ann"
    queue: mp.Queue = mp.get_context("spawn").Queue()
    child = mp.get_context("spawn").Process(
        target=_build, args=(str(path), str(npy), args.dim, args.trees, args.jobs, queue))
    child.start()
    build = queue.get()
    child.join()
    truth, exact_seconds = exact_top(base, queries, args.k)
    del base
    from annoy import AnnoyIndex

    index = AnnoyIndex(args.dim, "angular")
    index.load(str(path))  # memory-mapped, as the bot loads it
    for q in queries[:50]:  # warm the page cache as a running bot would be
        index.get_nns_by_vector(q, args.k, search_k=max(args.search_k))
    sweep = []
    for search_k in args.search_k:
        found, started = [], time.perf_counter()
        for q in queries:
            found.append(index.get_nns_by_vector(q, args.k, search_k=search_k))
        per_query = (time.perf_counter() - started) / len(queries)
        recall = float(np.mean([len(set(f) & set(t)) / args.k
                                for f, t in zip(found, truth.tolist(), strict=True)]))
        sweep.append({"search_k": search_k, "recall_at_10": round(recall, 4),
                      "ms_per_query": round(1000 * per_query, 3)})
    index.unload()
    chosen = next((s for s in sweep if s["recall_at_10"] >= args.target), None)
    return {"items": n, "dim": args.dim, "kind": args.kind, "trees": args.trees,
            "build_jobs": args.jobs, **build,
            "index_file_mb": round(path.stat().st_size / 2**20, 1),
            "exact_numpy_ms_per_query": round(1000 * exact_seconds, 2),
            "sweep": sweep, "recommended": chosen}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--kind", choices=["clustered", "gaussian"], default="clustered")
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=1, help="Annoy build threads")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--search-k", type=int, nargs="+",
                        default=[1000, 2000, 4000, 8000, 16000, 32000])
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the index files")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = {"machine": f"{platform.processor() or platform.machine()}, "
                          f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
               "date": time.strftime("%Y-%m-%d"), "runs": []}
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in args.sizes:
            run = run_size(n, args, Path(tmp))
            results["runs"].append(run)
            if not args.json:
                print(f"{n:>9,d} items: build {run['build_seconds']} s "
                      f"(peak RSS {run['peak_rss_mb']} MB), file {run['index_file_mb']} MB, "
                      f"exact {run['exact_numpy_ms_per_query']} ms/query", file=sys.stderr)
                for s in run["sweep"]:
                    print(f"    search_k {s['search_k']:>6d}: recall@10 {s['recall_at_10']:.3f}"
                          f"  {s['ms_per_query']:.3f} ms", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
