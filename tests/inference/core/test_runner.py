"""The model runner: users served in turns, same-kind jobs batched, bounded, drained on close."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from inference.core.decode import BadImage
from inference.core.runner import ModelRunner, RunnerBusy
from inference.pipeline import Pipeline


async def blocked(runner: ModelRunner) -> tuple[threading.Event, asyncio.Future]:
    """The only worker held on a gate, so what is submitted next waits in the queue."""
    gate = threading.Event()
    job = asyncio.ensure_future(runner.run_for("gatekeeper", gate.wait, 30))
    await asyncio.sleep(0.05)
    return gate, job


async def test_owners_are_served_in_turns_not_in_arrival_order():
    runner = ModelRunner(workers=1, max_queue=16)
    order: list[str] = []
    gate, held = await blocked(runner)
    flood = [asyncio.ensure_future(runner.run_for("alice", order.append, f"alice{i}"))
             for i in range(4)]
    await asyncio.sleep(0.01)
    bob = asyncio.ensure_future(runner.run_for("bob", order.append, "bob"))
    await asyncio.sleep(0.01)
    gate.set()
    await asyncio.gather(held, bob, *flood)
    assert order == ["alice0", "bob", "alice1", "alice2", "alice3"]  # bob waited for one, not 4
    runner.close()


async def test_waiting_items_of_one_kind_run_as_one_batch_each_with_its_own_answer():
    runner = ModelRunner(workers=1, max_queue=16, max_batch=3, batch_wait=0.01)
    calls: list[list[int]] = []

    def double(items: list[int]) -> list:
        calls.append(list(items))
        return [ValueError("odd one") if i == 7 else 2 * i for i in items]

    gate, held = await blocked(runner)
    jobs = [asyncio.ensure_future(runner.run_batch_for(f"user{i}", double, i))
            for i in (1, 7, 3, 4)]
    await asyncio.sleep(0.01)
    gate.set()
    results = await asyncio.gather(held, *jobs, return_exceptions=True)
    assert results[1] == 2 and results[3] == 6 and results[4] == 8
    assert isinstance(results[2], ValueError)  # only the bad item's caller hears of it
    assert calls == [[1, 7, 3], [4]] and runner.batches == [3, 1]
    # alone, a batch job waits at most batch_wait for company, then runs as a batch of one
    assert await runner.run_batch_for("solo", double, 5) == 10 and calls[-1] == [5]
    runner.close()


async def test_the_queue_is_bounded_in_all_and_per_owner():
    runner = ModelRunner(workers=1, max_queue=7)  # room for 8, an owner a quarter: 2
    gate, held = await blocked(runner)
    mine = [asyncio.ensure_future(runner.run_for("alice", abs, -1)) for _ in range(2)]
    await asyncio.sleep(0.01)
    with pytest.raises(RunnerBusy):
        await runner.run_for("alice", abs, -1)
    others = [asyncio.ensure_future(runner.run_for(f"u{i}", abs, -i)) for i in range(5)]
    await asyncio.sleep(0.01)
    assert runner.pending == 8
    with pytest.raises(RunnerBusy):
        await runner.run_for("newcomer", abs, -1)
    gate.set()
    assert await asyncio.gather(*mine, *others) == [1, 1, 0, 1, 2, 3, 4]
    assert runner.pending == 0 and await runner.run_for("alice", abs, -3) == 3
    await held
    runner.close()


async def test_close_lets_queued_jobs_finish_then_refuses():
    runner = ModelRunner(workers=1)
    gate, held = await blocked(runner)
    queued = asyncio.ensure_future(runner.run_for("a", sum, [1, 2]))
    await asyncio.sleep(0.01)
    closing = asyncio.get_running_loop().run_in_executor(None, runner.close)
    await asyncio.sleep(0.05)
    with pytest.raises(RunnerBusy):
        await runner.run_for("b", sum, [1])
    gate.set()
    await closing
    assert await queued == 3 and await held is True


def test_a_batch_of_uploads_parses_as_each_would_alone(pipeline: Pipeline,
                                                       photo_bytes: list[bytes],
                                                       corrupt_photo_bytes: bytes):
    uploads = [photo_bytes[0], corrupt_photo_bytes, photo_bytes[1], photo_bytes[0]]
    together = pipeline.load_and_parse_many(uploads)
    assert isinstance(together[1], BadImage)
    for data, found in zip(uploads, together, strict=True):
        if isinstance(found, BadImage):
            continue
        alone = pipeline.load_and_parse(data)[1]
        assert (found[1].labels == alone.labels).mean() > 0.999
        assert [i.category for i in found[1].items] == [i.category for i in alone.items]
        assert np.allclose(found[1].appearance, alone.appearance, atol=1e-4)
