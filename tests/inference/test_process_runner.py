"""Photo steps in worker processes (inference.processes): the same answers as in this process,
a bad file still its own kind answer, other calls kept here, a killed worker replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace

import aiohttp
import pytest

from bench.probe import Server
from bench.throughput import process_tree, stat_fields
from bot.app import WORKER_STEPS, build_services
from bot.chat.dialog import Dialog
from bot.chat.flows.outfit import outfit_pictures, warm_up
from bot.chat.messages import Incoming, PhotoIn
from inference.backends import UnknownBackend
from inference.core.decode import BadImage
from inference.core.runner import InferenceUnavailable
from inference.pipeline import Pipeline
from inference.serve.processes import ProcessRunner


@pytest.fixture(scope="module")
def runner(pipeline):  # noqa: ANN001, ANN201 - the session's Pipeline
    runner = ProcessRunner(1, pipeline, WORKER_STEPS, workers=1, max_batch=4,
                           batch_wait=0.05)
    runner.warm()
    yield runner
    runner.close()


def worker_pid(runner: ProcessRunner) -> int:
    """The pid of a one-process runner's worker (asked of the worker itself)."""
    return runner._pool.submit(os.getpid).result()


async def test_a_photo_parsed_in_a_worker_is_the_photo_parsed_here(runner, pipeline,
                                                                    photo_bytes) -> None:
    image, outfit = await runner.run_batch_for("alice", pipeline.load_and_parse_many,
                                               photo_bytes[1])
    _, here = pipeline.load_and_parse_many([photo_bytes[1]])[0]
    assert outfit.as_dict() == here.as_dict() and outfit.items
    assert (outfit.labels == here.labels).all()
    assert image.size == pipeline.load(photo_bytes[1]).size
    # the pictures are made in the worker from the outfit sent back to it
    pictures, line, reason = await runner.run_for("alice", outfit_pictures, outfit, "uk")
    want, want_line, want_reason = outfit_pictures(here, "uk")
    assert ([p.name for p in pictures], line, reason) == ([p.name for p in want], want_line,
                                                          want_reason)


async def test_users_photos_waiting_together_are_parsed_as_one_batch(runner, pipeline,
                                                                     photo_bytes) -> None:
    before = len(runner.batches)
    answers = await asyncio.gather(*(
        runner.run_batch_for(f"user{i}", pipeline.load_and_parse_many, data)
        for i, data in enumerate(photo_bytes[:3])))
    assert all(outfit.items for _, outfit in answers)
    assert sum(runner.batches[before:]) == 3 and max(runner.batches[before:]) > 1


async def test_a_bad_file_is_its_own_bad_image_with_its_reason(runner, pipeline,
                                                               photo_bytes) -> None:
    bad, good = await asyncio.gather(
        runner.run_batch_for("mallory", pipeline.load_and_parse_many, b"not a photo"),
        runner.run_batch_for("alice", pipeline.load_and_parse_many, photo_bytes[0]),
        return_exceptions=True)
    assert isinstance(bad, BadImage) and bad.code == "not_image"
    assert good[1].items


async def test_other_calls_run_in_this_process(runner) -> None:
    # a lambda cannot be pickled: it can only have run here
    assert await runner.run_for("alice", lambda: os.getpid()) == os.getpid()


async def test_a_killed_worker_fails_its_call_kindly_and_is_replaced(pipeline,
                                                                    photo_bytes) -> None:
    runner = ProcessRunner(1, pipeline, WORKER_STEPS)
    try:
        runner.warm()
        pid = worker_pid(runner)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(InferenceUnavailable):
            await runner.run_batch_for("alice", pipeline.load_and_parse_many, photo_bytes[0])
        _, outfit = await runner.run_batch_for("alice", pipeline.load_and_parse_many,
                                               photo_bytes[0])
        assert outfit.items and worker_pid(runner) != pid
    finally:
        runner.close()


def test_a_worker_warms_up_on_a_drawn_outfit(pipeline) -> None:
    warm_up(pipeline)  # every step of a photo reply, in every language, without failing


async def test_the_dialogue_answers_a_photo_from_worker_processes(settings, pipeline,
                                                                  photo_bytes) -> None:
    settings.inference.processes = 1
    services = build_services(settings, pipeline)
    try:
        assert isinstance(services.runner, ProcessRunner)
        replies = await Dialog(services).handle(
            Incoming("cli:p", "cli", photos=(PhotoIn(photo_bytes[0], ref="1"),)))
        assert replies[0].text.startswith("Here's what I see:")
        assert [i.name for i in replies[0].images] == ["overlay.jpg", "palette.png"]
        assert "💬" in replies[0].text
    finally:
        services.close()


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to read its status counts as gone)."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"


async def test_the_workers_go_when_the_bot_is_killed(tmp_path) -> None:  # noqa: ANN001
    """Killed (SIGKILL, the out-of-memory killer), the bot cannot stop its workers: they see
    it gone and exit, and the forkserver and resource tracker with them."""
    server = Server(tmp_path, {"STYLEBOT_INFERENCE__PROCESSES": "2"})
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(server.url + "/healthz") as resp:
            assert (await resp.json())["models"]["processes"] == 2
        helpers = [p for p in process_tree(server.process.pid) if p != server.process.pid]
        assert len(helpers) >= 3  # the forkserver and its two workers (and the tracker)
    finally:
        server.stop(kill=True)
    for _ in range(100):
        if not any(alive(p) for p in helpers):
            break
        await asyncio.sleep(0.1)
    assert not [p for p in helpers if alive(p)]


def test_a_worker_without_models_says_why_at_start(pipeline) -> None:  # noqa: ANN001
    """Models that cannot load in the workers stop the start with the reason, as loading them
    in the bot's own process would, not with a pool "terminated abruptly"."""
    broken = Pipeline(replace(pipeline.config, parser="no-such-parser"))
    runner = ProcessRunner(1, broken, WORKER_STEPS)
    try:
        with pytest.raises(UnknownBackend, match="no-such-parser"):
            runner.warm()
    finally:
        runner.close()
