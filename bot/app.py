"""The services every channel shares (settings, store, models, runner, the first catalogue
build), and the one lifespan both servers run them in."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from bot.catalog.build import FirstBuild
from bot.config import Settings
from inference.core.runner import ModelRunner
from inference.pipeline import Pipeline, PipelineConfig
from inference.serve.processes import ProcessRunner
from inference.stylecheck import check
from inference.text.llm import ChatBackend, create_chat_backend
from storage import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    store: Store
    runner: ModelRunner  # or inference.serve.client.ServeRunner, its interface
    pipeline: Pipeline
    first_build: FirstBuild = field(default_factory=FirstBuild)
    llm: ChatBackend | None = None  # the optional LLM for open questions (config: conversation)

    def close(self) -> None:
        self.first_build.stop()  # a build in progress stops at its next batch of images
        self.runner.close()  # waits for model calls in flight, so their results get stored
        self.store.close()


#: What a photo reply runs in the worker processes (inference.processes): the pipeline's steps,
#: Style Check, and the chat flows' functions marked @worker_step (module-level, their arguments
#: and answers pickle). Everything else runs in the bot's own process.
WORKER_STEPS: list[Callable] = [Pipeline.load_and_parse_many, Pipeline.comment,
                                Pipeline.embed_outfit, check]
#: Run in each worker at its start (@worker_warm_up): a first photo reply without a user.
WORKER_WARM_UPS: list[Callable[[Pipeline], None]] = []


def worker_step(fn: Callable[..., T]) -> Callable[..., T]:
    WORKER_STEPS.append(fn)
    return fn


def worker_warm_up(fn: Callable[[Pipeline], None]) -> Callable[[Pipeline], None]:
    WORKER_WARM_UPS.append(fn)
    return fn


def build_services(settings: Settings, pipeline: Pipeline | None = None) -> Services:
    """Everything the channels share; pass `pipeline` to reuse models already loaded."""
    store = Store(settings.storage.target, settings.storage.files_dir,
                  int(settings.storage.photo_quota_mb * 2**20))
    inference = settings.inference
    pipeline = pipeline or Pipeline(PipelineConfig.from_settings(settings.inference))
    if inference.serve:  # model steps on Ray Serve; imports ray only then (the `ray` extra)
        from inference.serve.client import ServeRunner

        runner = ServeRunner(inference, pipeline)
    elif inference.processes:
        runner = ProcessRunner(inference.processes, pipeline, WORKER_STEPS, inference.workers,
                               inference.max_queue, inference.max_batch,
                               inference.batch_wait_ms / 1000, WORKER_WARM_UPS)
        runner.warm()
    else:
        runner = ModelRunner(inference.workers, inference.max_queue,
                             inference.max_batch, inference.batch_wait_ms / 1000)
        pipeline.load_parser()
    return Services(settings, store, runner, pipeline,
                    llm=create_chat_backend(settings.conversation))


@asynccontextmanager
async def services_running(settings: Settings) -> AsyncIterator[Services]:
    """The servers' lifespan: load the models, map the catalogue index (or build the first one
    in the background, so the bot answers meanwhile), and on the way out stop that build and
    close everything, after the model calls in flight have finished."""
    services = await asyncio.to_thread(build_services, settings)
    try:
        services.first_build.start(settings, services.pipeline)
        yield services
    finally:
        await asyncio.to_thread(services.close)


async def until_stopped() -> None:
    """Return at SIGINT or SIGTERM (Ctrl+C, `docker stop`, systemd)."""
    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
