"""The bundled models as the bot runs them: ONNX Runtime sessions over graphs exported once from
the torch modules that training writes (inference/core/onnx_export.py), so a serving process
never imports torch.

Why: with the pinned torch 2.14.1 (a CUDA build) `import torch` + timm is 850 MB of resident
memory before any model; onnxruntime is 60 MB. The parser's forward at 512x352 takes 41 ms on one
thread against torch's 62 ms (batch norms folded in both), with the same logits to 1e-5
(BENCHMARKS.md, "Throughput"). Torch stays what trains and exports the models; the hub-backed
backends (SegFormer, CLIP, causal LMs) still run in torch.

Each graph is stored under `compiled_dir()` as `<name>-<digest>.onnx`, the digest taken over
the export code's version and the bytes of the weights it came from, so new weights or a new
export give a new file and an old one is never read for them. A missing graph is exported on
first use (torch is imported then, once); `stylebot prepare` (run by scripts/run.sh, and in
the Docker image's build) does it ahead, so that a first start answers at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Part of every digest: bump it when an export's graph changes for the same weights.
EXPORT_VERSION = "1"
#: Graphs kept of each name, the most recently used: training exports each stage it evaluates.
KEEP_PER_NAME = 4
_threads = 0  # ONNX Runtime's default (a thread per core) until set


class ModelsUnavailable(RuntimeError):
    """A graph is missing and cannot be written where graphs live (the servers say it in one
    line, naming the folder and the setting)."""


def set_threads(threads: int) -> None:
    """Threads each model call may use (`inference.threads`); sessions made later use it, and
    torch too where a hub backend brought it in."""
    global _threads
    _threads = max(1, int(threads))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(_threads)


_override: Path | None = None


@contextlib.contextmanager
def compiled_into(folder: Path) -> Iterator[None]:
    """Graphs exported meanwhile go to `folder`: training's per-epoch evaluations, which in the
    bot's own folder would push out the graphs it serves (`KEEP_PER_NAME`)."""
    global _override
    previous, _override = _override, Path(folder)
    try:
        yield
    finally:
        _override = previous


def compiled_dir() -> Path:
    """Where exported graphs live: $STYLEBOT_COMPILED_DIR, else the user's cache directory."""
    if _override is not None:
        return _override
    if os.environ.get("STYLEBOT_COMPILED_DIR"):
        return Path(os.environ["STYLEBOT_COMPILED_DIR"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "stylebot" / "models"


@lru_cache(maxsize=32)
def _file_digest(path: str, size: int, mtime_ns: int) -> bytes:
    return hashlib.sha256(Path(path).read_bytes()).digest()


def digest_of(sources: Iterable[Path | str | bytes]) -> str:
    """A short name for what a graph is made from: files (by their bytes) and strings."""
    h = hashlib.sha256(EXPORT_VERSION.encode())
    for source in sources:
        if isinstance(source, Path):
            stat = source.stat()
            h.update(_file_digest(str(source.resolve()), stat.st_size, stat.st_mtime_ns))
        else:
            h.update(source if isinstance(source, bytes) else source.encode())
    return h.hexdigest()[:16]


def compiled(name: str, sources: Iterable[Path | str | bytes],
             export: Callable[[Path], None]) -> Path:
    """The graph `name` made from `sources`, exported by `export(path)` when not there yet.
    Written to a temporary file and renamed, so several workers starting at once never read
    half a file (each may export; the last rename wins, with the same contents)."""
    path = compiled_dir() / f"{name}-{digest_of(sources)}.onnx"
    if path.exists():
        try:
            os.utime(path)  # used now: the last to be pruned
        except OSError:  # graphs exported into a read-only image: nothing is pruned there
            pass
        return path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    log.info("exporting %s to %s (once)", name, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        export(tmp)
        os.replace(tmp, path)
    except OSError as err:
        raise ModelsUnavailable(
            f"cannot write the {name} model's graph to {path.parent} ({err.strerror or err}):"
            " set STYLEBOT_COMPILED_DIR to a writable folder, or run `stylebot prepare` as a"
            " user who can write there") from err
    finally:
        with contextlib.suppress(OSError):  # gone once renamed; unreachable in a bad folder
            tmp.unlink()
    others = sorted(path.parent.glob(f"{name}-" + "?" * 16 + ".onnx"),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP_PER_NAME:]:
        old.unlink(missing_ok=True)  # an open session keeps its copy
    return path


class CompiledModel:
    """One exported graph in an ONNX Runtime session; `run(**inputs)` gives the outputs in the
    graph's order. Sessions are safe to call from several threads at once."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = _threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No memory plan per input shape: the arena reuses freed blocks instead, 18 MB less a
        # parser session (138 against 156 MB after five photo shapes), the same speed.
        options.enable_mem_pattern = False
        self.path = path
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]

    def run(self, **inputs: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.outputs, inputs)

    @property
    def meta(self) -> dict:
        """What the weights were trained for (classes, kinds...), as the export wrote it."""
        return json.loads(self.session.get_modelmeta().custom_metadata_map.get("meta", "{}"))


#: Weak: a session goes with the last model holding it (training evaluates a graph an epoch).
_shared: weakref.WeakValueDictionary[tuple[Path, int], CompiledModel] = \
    weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def shared_model(path: Path) -> CompiledModel:
    """One session per graph (and thread count) in the process: the parser at two sizes, the
    shop's crops and the product photos share their weights' memory."""
    with _shared_lock:
        key = (path, _threads)
        model = _shared.get(key)
        if model is None:
            model = _shared[key] = CompiledModel(path)
        return model
