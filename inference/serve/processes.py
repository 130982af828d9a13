"""The pipeline's steps in worker processes of this machine (`inference.processes: N`).

Model threads share one interpreter lock: with the networks in ONNX Runtime (which lets go of
it), what a photo reply waits on is the Python around them (colours, suggestions, comments,
pictures), one thread at a time, so two model threads on two cores were bounded by the lock,
not by the cores (BENCHMARKS.md, "Throughput"). Here the heavy steps (`steps`: the parse, with
several users' photos batched into one network call, comments, embeddings, the pictures...) run
in N processes, each with its own Pipeline and one thread; the event loop, the dialogue, storage
and the index searches stay in this process. Calls keep the in-process runner's fair turns and
bounds (the waiting threads of `remote` take them in turn); arguments and answers are pickled
(a parse's answer, the decoded photo and its Outfit, is 1-3 MB: about 3 ms to pickle, send and
read back). Workers exit when the bot's process is gone, however it went.

The workers are forked from a forkserver that imported the modules they run once, so those
pages are shared; each loads its own models and warms up at start (`warm`). They
ignore Ctrl+C: the bot stops them once the calls in flight are answered. A worker that dies
(killed, out of memory) fails the calls it held with InferenceUnavailable (the user hears a
kind apology) and the pool is started again for the next ones.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any

from inference.core.runner import InferenceUnavailable, ModelRunner, SplitRunner
from inference.pipeline import Pipeline, PipelineConfig

log = logging.getLogger(__name__)

_pipeline: Pipeline | None = None  # the worker's own
_failure: Exception | None = None  # why it has none: raised again for every call


def _start(config: PipelineConfig, warm_ups: Sequence[Callable[[Pipeline], None]],
           bot_alive: Connection) -> None:
    global _pipeline, _failure
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole process group
    threading.Thread(target=_exit_with_the_bot, args=(bot_alive,), daemon=True).start()
    try:
        _pipeline = Pipeline(config).load_parser()
    except Exception as err:  # kept, so the bot hears why (not a pool "terminated abruptly")
        _failure = err
        return
    for warm_up in warm_ups:
        try:
            warm_up(_pipeline)
        except Exception:  # a worker that could not warm up still answers, only slower at first
            log.exception("warming up a worker process failed")


def _exit_with_the_bot(bot_alive: Connection) -> None:
    """Exit once the bot's process is gone. Killed (SIGKILL, the out-of-memory killer) it
    cannot stop its workers, and a worker waiting for calls holds its queue's both ends, so it
    would wait for ever, and with it the forkserver: the bot's end of this pipe is the only
    one, so its death reads as the end of the pipe here."""
    with contextlib.suppress(EOFError, OSError):
        bot_alive.recv_bytes()
    os._exit(0)


def _run(step: str | Callable, args: tuple, kwargs: dict) -> Any:
    """In a worker: a pipeline method by name, or a module-level function."""
    if _failure is not None:
        raise _failure
    fn = getattr(_pipeline, step) if isinstance(step, str) else step
    return fn(*args, **kwargs)


def _ready() -> bool:
    """True once the worker has its models; why not, raised, when they could not load."""
    if _failure is not None:
        raise _failure
    return _pipeline is not None


class ProcessRunner(SplitRunner):
    """`steps`: the pipeline's methods (Pipeline.x) and module-level functions that run in the
    workers; their arguments and answers must pickle. The workers' models are made from
    `pipeline`'s config; `pipeline` itself (this process's) serves the other calls. `warm_ups`
    (module-level) run in each worker once its models are loaded. The forkserver imports the
    modules of both, and with them numpy, scipy, scikit-image, Pillow and ONNX Runtime, once
    instead of once a worker."""

    def __init__(self, processes: int, pipeline: Pipeline, steps: Collection[Callable],
                 workers: int = 1, max_queue: int = 8, max_batch: int = 4,
                 batch_wait: float = 0.005,
                 warm_ups: Sequence[Callable[[Pipeline], None]] = ()) -> None:
        # Two waiting threads a worker: one call runs while the next is already handed over.
        super().__init__(ModelRunner(workers, max_queue, max_batch, batch_wait),
                         ModelRunner(2 * processes, max_queue, max_batch, batch_wait))
        self.processes, self.pipeline = processes, pipeline
        self.methods = {fn.__name__ for fn in steps if fn.__qualname__.startswith("Pipeline.")}
        self.functions = {fn for fn in steps if fn.__name__ not in self.methods}
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(sorted(
            {"inference.pipeline", *(fn.__module__ for fn in [*steps, *warm_ups])}))
        self._pool_lock = threading.Lock()
        self._warm_ups = tuple(warm_ups)
        # The workers' end of a pipe whose other end only this process holds (_exit_with_the_bot)
        self._alive_r, self._alive_w = self._context.Pipe(duplex=False)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.processes, mp_context=self._context, initializer=_start,
                                   initargs=(self.pipeline.config, self._warm_ups, self._alive_r))

    def warm(self) -> None:
        """Start every worker and wait until each has its models and has warmed up (a first
        photo is then answered at full speed); a worker's reason for having none (an unknown
        backend, graphs that cannot be written) is raised here, as loading them here would."""
        pool = self._pool
        for future in [pool.submit(_ready) for _ in range(self.processes)]:
            future.result()

    def _route(self, fn: Callable) -> str | Callable | None:
        if getattr(fn, "__self__", None) is self.pipeline:
            return fn.__name__ if fn.__name__ in self.methods else None
        return fn if fn in self.functions else None

    def _call(self, route: str | Callable, *args: Any, **kwargs: Any) -> Any:
        pool = self._pool
        try:
            return pool.submit(_run, route, args, kwargs).result()
        except BrokenProcessPool as err:
            with self._pool_lock:
                if self._pool is pool:  # the first to notice starts a new one
                    log.error("a worker process died (%s); starting them again", err)
                    self._pool = self._new_pool()
                    pool.shutdown(wait=False, cancel_futures=True)
            raise InferenceUnavailable(f"a worker process died: {err}") from None

    def _call_batch(self, route: str | Callable, items: Sequence[Any]) -> list[Any]:
        """One call with every item: the workers' batch functions (load_and_parse_many) answer
        each item (or its exception) themselves."""
        return self._call(route, list(items))

    def close(self) -> None:
        super().close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._alive_w.close()
        self._alive_r.close()
