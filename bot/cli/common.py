"""What the `stylebot` subcommands share: settings and logging, the models, reading a photo.

All `--json` output goes to stdout as one JSON document; logs and progress go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings, load_settings
from bot.logging_setup import setup_logging


def load(args: argparse.Namespace) -> Settings:
    """The validated settings (config.yaml, then the environment), with logging to stderr and
    the configured secrets redacted from it."""
    settings = load_settings(args.config)
    setup_logging(settings)
    return settings


def pipeline_for(settings: Settings):  # noqa: ANN201 - inference.pipeline.Pipeline
    """The models, created once from config, as the servers create them, but with all the
    cores for each call (a command is one process alone; a server runs a worker per core)."""
    from dataclasses import replace

    from inference.pipeline import Pipeline, PipelineConfig

    inference = settings.inference
    return Pipeline(replace(PipelineConfig.from_settings(inference),
                            threads=inference.threads * inference.workers))


def parse_photo(pipeline, photo: str):  # noqa: ANN001, ANN201 - Pipeline -> Outfit | None
    """Parse one photo file; None (after saying why on stderr) when it cannot be used."""
    from inference.core.decode import BadImage

    try:
        return pipeline.load_and_parse(Path(photo).read_bytes())[1]
    except (BadImage, OSError) as bad:
        print(f"cannot use {photo}: {getattr(bad, 'reason', bad)}", file=sys.stderr)
        return None
