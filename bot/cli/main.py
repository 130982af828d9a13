"""The `stylebot` command line: servers, one-shot analysis, the shop, evaluation and training.

Each group of subcommands lives in its own module (analyse, shop, training) and registers its
parsers with their handlers; this module only dispatches. All `--json` output goes to stdout as
one JSON document; logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.cli import analyse, serve_inference, shop, train_eval
from bot.cli.common import load
from bot.config import ConfigError, Settings
from inference.core.onnx_models import ModelsUnavailable
from storage.db import StorageError

log = logging.getLogger("stylebot")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Telegram when a token is set, else the local web chat."""
    if settings.telegram.token is not None:
        return cmd_run(args, settings)
    return cmd_web(args, settings)


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.web import run_web

    if getattr(args, "port", None) is not None:
        settings.web.port = args.port
    run_web(settings)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.telegram import run_telegram

    if settings.telegram.token is None:
        log.error("no Telegram token: set STYLEBOT_TELEGRAM__TOKEN (or use `stylebot web`)")
        return 2
    run_telegram(settings, webhook_url=getattr(args, "webhook", None))
    return 0


def cmd_prepare(args: argparse.Namespace, settings: Settings) -> int:
    """Export the bundled models' graphs now (inference/core/onnx_models.py), so that the first
    start answers at once; without it each is exported on first use."""
    from bot.cli.common import pipeline_for
    from inference.core.onnx_models import compiled_dir

    pipeline = pipeline_for(settings).load_parser()  # the models load on first use: now
    pipeline.product_segmenter()
    if pipeline.embedder is None:  # the shop's embedder and kind head
        print(f"shopping by photo unavailable: {pipeline.embedder_error}")
    if pipeline.text_encoder_or_none() is None:  # without the `text` extra: no title search
        print(f"title search not installed: {pipeline.text_encoder_error}")
    print(f"models ready in {compiled_dir()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stylebot", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="config.yaml to use")
    parser.set_defaults(handler=cmd_serve)
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("serve", help="Telegram if a token is set, else the web chat (default)")\
        .set_defaults(handler=cmd_serve)
    web = sub.add_parser("web", help="local web chat on 127.0.0.1")
    web.add_argument("--port", type=int, default=None)
    web.set_defaults(handler=cmd_web)
    run = sub.add_parser("run", help="Telegram bot (polling, or --webhook URL)")
    run.add_argument("--webhook", default=None, help="public HTTPS URL Telegram should call")
    run.set_defaults(handler=cmd_run)
    sub.add_parser("prepare", help="export the bundled models' graphs (else done on first use)")\
        .set_defaults(handler=cmd_prepare)

    for group in (analyse, shop, train_eval, serve_inference):
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "train":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    try:
        if args.command == "train":
            return train_eval.cmd_train(args, rest)
        return args.handler(args, load(args))
    except (ConfigError, StorageError, ModelsUnavailable) as err:  # one line, no traceback
        print(f"stylebot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
