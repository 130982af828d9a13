"""Keeps torch off the event loop: model calls run in a small thread pool, models load once."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
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
    (RunnerBusy), so a flood cannot make everyone's answer minutes late. A job run for an
    `owner` (a user, a client address) is refused too while that owner has a quarter of the
    room in flight, so one flood cannot take the whole queue from everyone else."""

    def __init__(self, workers: int = 1, threads: int = 2, max_queue: int = 8) -> None:
        torch.set_num_threads(threads)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model")
        self.capacity = workers + max_queue
        self.per_owner = max(1, self.capacity // 4)
        self.pending = 0  # running or waiting
        self._owned: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.run_for(None, fn, *args, **kwargs)

    async def run_for(self, owner: str | None, fn: Callable[..., T], *args: Any,
                      **kwargs: Any) -> T:
        """Run `fn` as `owner`'s job; RunnerBusy, without running it, when there is no room."""
        with self._lock:
            if self.pending >= self.capacity or (owner and self._owned[owner] >= self.per_owner):
                raise RunnerBusy(f"{self.pending} model jobs in flight")
            self.pending += 1
            if owner:
                self._owned[owner] += 1
        job = self._pool.submit(partial(fn, *args, **kwargs))
        # Counted down when the job really ends, not when its caller stops waiting (a client
        # that hangs up leaves the job running on a worker).
        job.add_done_callback(partial(self._finished, owner))
        return await asyncio.wrap_future(job)

    def _finished(self, owner: str | None, _job: Future) -> None:
        with self._lock:
            self.pending -= 1
            if owner:
                self._owned[owner] -= 1
                if not self._owned[owner]:
                    del self._owned[owner]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
