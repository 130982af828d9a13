"""Keeps models off the event loop: model calls run in a few worker threads, taken in fair turns
between users, and calls of the same kind that wait together run as one batch."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")
#: A batch function: the items of several waiting jobs in, one result (or the exception that
#: item raised) out per item, in order; one item's bad input must not fail the others.
BatchFn = Callable[[Sequence[Any]], list[Any]]


class RunnerBusy(RuntimeError):
    """The queue is full: the job was refused without running (the caller says "busy")."""


class InferenceUnavailable(RuntimeError):
    """Remote inference did not answer within its timeout and retries (the caller apologises)."""


@dataclass
class Job:
    owner: str
    run: Callable[[], Any] | None = None  # a single call
    batch: BatchFn | None = None  # or an item for a batch function
    item: Any = None
    future: Future = field(default_factory=Future)


class ModelRunner:
    """One process-wide runner; `await runner.run_for(owner, fn, *args)` from async code.

    Fair: each owner (a user, a client address) has its own queue and the workers take the
    owners in turn, one job each, so a user who sends ten photos delays someone else's one photo
    by at most one job of theirs, not ten. Batched: `run_batch_for(owner, fn, item)` jobs with the
    same `fn` that wait together (up to `max_batch`, gathered for at most `batch_wait` seconds
    once one is taken) run as one call, taken in the same fair order. Bounded: at most
    `max_queue` jobs wait behind the `workers` running ones, an owner at most a quarter of the
    room; more are refused at once (RunnerBusy), so a flood cannot make everyone's answer
    minutes late."""

    def __init__(self, workers: int = 1, max_queue: int = 8, max_batch: int = 4,
                 batch_wait: float = 0.005) -> None:
        self.capacity = workers + max_queue
        self.per_owner = max(1, self.capacity // 4)
        self.max_batch, self.batch_wait = max(1, max_batch), batch_wait
        self.pending = 0  # running or waiting
        self.batches: list[int] = []  # sizes of the batches run (for tests and benchmarks)
        self._owned: dict[str, int] = {}
        self._queues: OrderedDict[str, deque[Job]] = OrderedDict()  # owners in turn order
        self._lock = threading.Condition()
        self._closing = False
        self._threads = [threading.Thread(target=self._work, name=f"model-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    @property
    def alive(self) -> int:
        """Model threads still taking jobs (0: no model work can happen; /healthz says so)."""
        return 0 if self._closing else sum(t.is_alive() for t in self._threads)

    # submitting ----------------------------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.run_for(None, fn, *args, **kwargs)

    async def run_for(self, owner: str | None, fn: Callable[..., T], *args: Any,
                      **kwargs: Any) -> T:
        """Run `fn` as `owner`'s job; RunnerBusy, without running it, when there is no room."""
        return await self._submit(Job(owner or "", run=partial(fn, *args, **kwargs)))

    async def run_batch_for(self, owner: str | None, fn: BatchFn, item: Any) -> Any:
        """`fn([item, ...])[i]` for this item, batched with other owners' waiting items."""
        return await self._submit(Job(owner or "", batch=fn, item=item))

    async def _submit(self, job: Job) -> Any:
        with self._lock:
            if self._closing:
                raise RunnerBusy("the runner is closing")
            owned = self._owned.get(job.owner, 0)
            if self.pending >= self.capacity or (job.owner and owned >= self.per_owner):
                raise RunnerBusy(f"{self.pending} model jobs in flight")
            self.pending += 1
            self._owned[job.owner] = owned + 1
            self._queues.setdefault(job.owner, deque()).append(job)
            self._lock.notify()
        # A caller that stops waiting leaves the job to run: its result may still be stored.
        return await asyncio.wrap_future(job.future)

    # working -------------------------------------------------------------------------------
    def _take(self, batch: BatchFn | None = None) -> Job | None:
        """The next job in turn (of `batch`'s kind when given), its owner sent to the back;
        None when there is none. Called with the lock held."""
        for owner, queue in self._queues.items():
            if batch is not None and queue[0].batch != batch:  # bound methods: ==, not is
                continue
            job = queue.popleft()
            del self._queues[owner]
            if queue:
                self._queues[owner] = queue  # to the back of the line
            return job
        return None

    def _next(self) -> list[Job] | None:
        """Block until there is work: one job, or a batch of jobs of one batch function."""
        with self._lock:
            while not self._queues and not self._closing:
                self._lock.wait()
            first = self._take()
            if first is None:
                return None  # closing and nothing left
            jobs = [first]
            if first.batch is not None:
                deadline = time.monotonic() + self.batch_wait
                while len(jobs) < self.max_batch:
                    more = self._take(first.batch)
                    if more is not None:
                        jobs.append(more)
                        continue
                    left = deadline - time.monotonic()
                    if left <= 0 or self._closing:
                        break
                    self._lock.wait(left)
            return jobs

    def _work(self) -> None:
        while (jobs := self._next()) is not None:
            live = [job for job in jobs if job.future.set_running_or_notify_cancel()]
            outcomes = self._outcomes(live) if live else []
            # Counted down before any caller is told: one woken by its result may at once
            # submit its next job, which must find its share free.
            with self._lock:
                for job in jobs:
                    self.pending -= 1
                    self._owned[job.owner] -= 1
                    if not self._owned[job.owner]:
                        del self._owned[job.owner]
            for job, (ok, value) in zip(live, outcomes, strict=True):
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)

    def _outcomes(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        """(True, result) or (False, exception) per job; the worker itself never fails."""
        try:
            if jobs[0].batch is None:
                return [(True, jobs[0].run())]
            self.batches.append(len(jobs))
            results = jobs[0].batch([job.item for job in jobs])
            if len(results) != len(jobs):
                raise ValueError(f"a batch of {len(jobs)} gave {len(results)} results")
            return [(not isinstance(r, BaseException), r) for r in results]
        except BaseException as err:  # the callers get it, the worker goes on
            return [(False, err)] * len(jobs)

    async def unavailable(self) -> str | None:
        """Why model work cannot run now, None when it can: in this process it always can."""
        return None

    def close(self) -> None:
        """Stop taking jobs; the ones already queued and running finish first."""
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join()


class SplitRunner:
    """The ModelRunner's interface over two runners: calls `_route` names go elsewhere (Ray Serve
    deployments, worker processes), through `remote`, whose threads only wait on the answers and
    keep the fair turns and bounds; the rest run in `local`'s threads as before. Subclasses say
    which calls go (`_route`) and how (`_call`, `_call_batch`)."""

    def __init__(self, local: ModelRunner, remote: ModelRunner) -> None:
        self.local, self.remote = local, remote
        self._batchers: dict[Any, BatchFn] = {}

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.run_for(None, fn, *args, **kwargs)

    async def run_for(self, owner: str | None, fn: Callable[..., T], *args: Any,
                      **kwargs: Any) -> T:
        route = self._route(fn)
        if route is None:
            return await self.local.run_for(owner, fn, *args, **kwargs)
        return await self.remote.run_for(owner, self._call, route, *args, **kwargs)

    async def run_batch_for(self, owner: str | None, fn: BatchFn, item: Any) -> Any:
        """`fn([item, ...])[i]`, batched with other owners' items as the remote side does it
        (`_call_batch`); the item's own exception (a BadImage) is raised, as `local` does."""
        route = self._route(fn)
        if route is None:
            return await self.local.run_batch_for(owner, fn, item)
        if route not in self._batchers:  # one callable per route: the runner batches by it
            self._batchers[route] = partial(self._call_batch, route)
        return await self.remote.run_batch_for(owner, self._batchers[route], item)

    @property
    def pending(self) -> int:
        """Jobs running or waiting here: local model work and calls waiting on the answers."""
        return self.local.pending + self.remote.pending

    @property
    def batches(self) -> list[int]:
        return self.remote.batches

    @property
    def alive(self) -> int:
        """Local model threads still taking jobs (0 when either side stopped)."""
        return self.local.alive if self.remote.alive else 0

    async def unavailable(self) -> str | None:
        return None

    def close(self) -> None:
        self.remote.close()
        self.local.close()

    def _route(self, fn: Callable) -> Any:
        """Where `fn` runs (a key `_call` understands), or None: here."""
        raise NotImplementedError

    def _call(self, route: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _call_batch(self, route: Any, items: Sequence[Any]) -> list[Any]:
        """Each item's answer or exception (a batch function's contract); by default one call
        per item, the remote side batching them itself."""
        out: list[Any] = []
        for item in items:
            try:
                out.append(self._call(route, item))
            except Exception as err:
                out.append(err)
        return out
