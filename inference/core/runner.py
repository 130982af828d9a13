"""Keeps torch off the event loop: model calls run in a small thread pool, models load once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import torch

log = logging.getLogger(__name__)
T = TypeVar("T")


class ModelRunner:
    """One process-wide pool; `await runner.run(fn, *args)` from async code."""

    def __init__(self, workers: int = 1, threads: int = 2) -> None:
        torch.set_num_threads(threads)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
