"""Builds the services every channel shares (settings, store, models, runner) from config."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from inference.core.runner import ModelRunner
from inference.pipeline import Pipeline, PipelineConfig
from storage import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: Store
    runner: ModelRunner
    pipeline: Pipeline

    def close(self) -> None:
        self.runner.close()  # waits for model calls in flight, so their results get stored
        self.store.close()


def build_services(settings: Settings, pipeline: Pipeline | None = None) -> Services:
    """Everything the channels share; pass `pipeline` to reuse models already loaded."""
    store = Store(settings.storage.database, settings.storage.files_dir)
    runner = ModelRunner(settings.inference.workers, settings.inference.threads)
    pipeline = pipeline or Pipeline(PipelineConfig.from_settings(settings.inference))
    return Services(settings, store, runner, pipeline)
