"""Keeps torch off the event loop: model calls run in a small thread pool, models load once."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import torch

log = logging.getLogger(__name__)
T = TypeVar("T")


class RunnerBusy(RuntimeError):
    """The queue is full: the job was refused without running (the caller says "busy")."""


class ModelRunner:
    """One process-wide pool; `await runner.run(fn, *args)` from async code.

    At most `max_queue` jobs wait behind the `workers` running ones; more are refused at once
    (RunnerBusy), so a flood cannot make everyone's answer minutes late."""

    def __init__(self, workers: int = 1, threads: int = 2, max_queue: int = 8) -> None:
        torch.set_num_threads(threads)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model")
        self.capacity = workers + max_queue
        self.pending = 0  # running or waiting
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            if self.pending >= self.capacity:
                raise RunnerBusy(f"{self.pending} model jobs in flight")
            self.pending += 1
        job = self._pool.submit(partial(fn, *args, **kwargs))
        # Counted down when the job really ends, not when its caller stops waiting (a client
        # that hangs up leaves the job running on a worker).
        job.add_done_callback(self._finished)
        return await asyncio.wrap_future(job)

    def _finished(self, _job: Future) -> None:
        with self._lock:
            self.pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
