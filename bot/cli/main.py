"""The `stylebot` command line: servers, one-shot analysis, evaluation and training.

All `--json` output goes to stdout as one JSON document; logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("stylebot")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    """Telegram when a token is set, else the local web chat."""
    settings = _settings(args)
    if settings.telegram.token is not None:
        return cmd_run(args, settings)
    return cmd_web(args, settings)


def cmd_web(args: argparse.Namespace, settings: Settings | None = None) -> int:
    from bot.channels.web import run_web

    settings = settings or _settings(args)
    if getattr(args, "port", None) is not None:
        settings.web.port = args.port
    run_web(settings)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    from bot.channels.telegram import run_telegram

    settings = settings or _settings(args)
    if settings.telegram.token is None:
        log.error("no Telegram token: set STYLEBOT_TELEGRAM__TOKEN (or use `stylebot web`)")
        return 2
    run_telegram(settings, webhook_url=getattr(args, "webhook", None))
    return 0


def _pipeline(args: argparse.Namespace):  # noqa: ANN202 - inference.pipeline.Pipeline
    from inference.pipeline import Pipeline, PipelineConfig

    return Pipeline(PipelineConfig.from_settings(_settings(args).inference))


def _parse_photo(pipeline, photo: str):  # noqa: ANN001, ANN202 - Pipeline -> Outfit | None
    """Parse one photo file; None (after saying why on stderr) when it cannot be used."""
    from inference.core.decode import BadImage

    try:
        return pipeline.load_and_parse(Path(photo).read_bytes())[1]
    except BadImage as bad:
        print(f"cannot use {photo}: {bad.reason}", file=sys.stderr)
        return None


def cmd_parse(args: argparse.Namespace) -> int:
    from inference.core import drawing as pictures

    outfit = _parse_photo(_pipeline(args), args.photo)
    if outfit is None:
        return 1
    if args.out:
        from bot.chat.flows.outfit import render_outfit

        Path(args.out).write_bytes(render_outfit(outfit)[0].png)
    if args.cutout:
        cut = pictures.outfit_cutout(outfit.image, outfit.labels)
        Path(args.cutout).write_bytes(pictures.png_bytes(cut))
    if args.json:
        print(json.dumps(outfit.as_dict(), indent=2))
    else:
        for item in outfit.items:
            print(f"{item.name:40s} {item.category:10s} {item.pattern:8s} "
                  f"{item.colour.family:7s} {item.colour.hex} {item.area:6.1%}")
        for problem in outfit.problems:
            print(f"note: {problem}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Style Check of two photos; with --user, that user's profile is used as in the chat."""
    from inference.stylecheck import check, render_check
    from inference.styles.taste import Profile
    from storage import Store

    settings = _settings(args)
    pipeline = _pipeline(args)
    outfits = [_parse_photo(pipeline, photo) for photo in (args.photo_a, args.photo_b)]
    if None in outfits:
        return 1
    user_rows: list[dict] = []
    all_rows: list[dict] = []
    profile = Profile()  # no user: no taste, nothing avoided
    if settings.storage.database.exists():
        from bot.chat.flows.preferences import profile_of  # the chat's loader, so both agree

        store = Store(settings.storage.database, settings.storage.files_dir)
        all_rows = store.verdict_examples()
        if args.user:
            user_rows = store.verdict_examples(args.user)
            profile = profile_of(store, args.user)
    result = check(outfits[0].as_dict(), outfits[1].as_dict(), user_rows, all_rows, profile)
    if args.out:
        Path(args.out).write_bytes(render_check(outfits[0], outfits[1], result))
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(result.headline)
        for reason in result.reasons:
            print(f"  [{reason['aspect']}] {reason['text']}")
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    """Friendly comments on one photo, each with the garments it mentions."""
    from inference.styles.detection import detect_styles

    pipeline = _pipeline(args)
    outfit = _parse_photo(pipeline, args.photo)
    if outfit is None:
        return 1
    parsed = outfit.as_dict()
    comments = pipeline.comment(parsed, args.n, args.seed)
    styles = [s for s in detect_styles(parsed) if s.score > 0][:3]
    if args.json:
        print(json.dumps({
            "comments": [c.as_dict() for c in comments],
            "styles": [{"style": s.style, "score": s.score, "indicators": list(s.indicators)}
                       for s in styles],
        }, indent=2, ensure_ascii=False))
    else:
        for c in comments:
            print(f"{c.text}    [{', '.join(c.items)}]")
        for s in styles:
            print(f"style: {s.explanation} ({s.score:.0%})")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.what == "retrieval":
        from bot.cli.shop import cmd_eval_retrieval

        return cmd_eval_retrieval(args, _settings(args))
    if args.data is None:
        raise SystemExit(f"stylebot eval {args.what}: --data DIR is needed")
    if args.what == "parser":
        from training.eval_parser import evaluate_folder

        settings = _settings(args)
        result = evaluate_folder(
            Path(args.data), settings.inference.parser, limit=args.limit, split=args.split
        )
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            for key, value in result.items():
                if key != "per_class_iou":
                    print(f"{key:28s} {value}")
            for name, iou in result["per_class_iou"].items():
                print(f"  {name:12s} {'n/a' if iou is None else f'{iou:.3f}'}")
        return 0
    if args.what == "comments":
        from training.eval_comments import evaluate_comments

        settings = _settings(args)
        result = evaluate_comments(
            Path(args.data), args.limit or 500, settings.inference.comments, args.split
        )
        if args.json:
            print(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            for key, value in result.items():
                print(f"{key:24s} {value}")
        return 0
    if args.what == "repeats":
        from training.eval_repeats import evaluate_folder as evaluate_repeats

        settings = _settings(args)
        result = evaluate_repeats(Path(args.data), args.limit or 300, settings.inference.parser,
                                  Path(args.cache) if args.cache else None)
        print(json.dumps(result, indent=2) if args.json else _repeats_text(result))
        return 0
    raise SystemExit(f"unknown evaluation {args.what!r}")


def _repeats_text(result: dict) -> str:
    chosen, test = result["chosen"], result["test"]
    return "\n".join([
        f"photos {result['photos']} (threshold chosen on {result['calibration_photos']}, "
        f"measured on {result['test_photos']})",
        f"chosen: appearance weight {chosen['appearance_weight']}, threshold "
        f"{chosen['threshold']}",
        f"test: precision {test['precision']:.3f} recall {test['recall']:.3f} "
        f"AUC {test['auc']:.4f} FPR {test['false_positive_rate']:.5f}",
        f"recall by copy: {test['recall_by_copy']}",
        f"in use ({result['in_use']['threshold']}): {result['in_use']['test']}",
        f"embedding {result['embed_ms_per_outfit']} ms per outfit"])


def cmd_train(args: argparse.Namespace, rest: list[str]) -> int:
    if args.what == "parser":
        from training.train_parser import main as train_parser

        train_parser(rest)
    else:
        from training.train_embedder import main as train_embedder

        print(json.dumps(train_embedder(rest), indent=2, default=str))
    return 0


def _shop_command(args: argparse.Namespace) -> int:
    from bot.cli import shop as cli_shop

    handler = {"shop": cli_shop.cmd_shop, "search": cli_shop.cmd_search,
               "catalog": cli_shop.cmd_catalog}[args.command]
    return handler(args, _settings(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stylebot", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="config.yaml to use")
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("serve", help="Telegram if a token is set, else the web chat (default)")
    web = sub.add_parser("web", help="local web chat on 127.0.0.1")
    web.add_argument("--port", type=int, default=None)
    run = sub.add_parser("run", help="Telegram bot (polling, or --webhook URL)")
    run.add_argument("--webhook", default=None, help="public HTTPS URL Telegram should call")

    parse = sub.add_parser("parse", help="garments, colours and patterns of one photo")
    parse.add_argument("photo")
    parse.add_argument("--json", action="store_true")
    parse.add_argument("--out", help="write the overlay picture (PNG) here")
    parse.add_argument("--cutout", help="write the cut-out (PNG with alpha) here")

    check = sub.add_parser("check", help="Style Check: which of two outfits works better, and why")
    check.add_argument("photo_a")
    check.add_argument("photo_b")
    check.add_argument("--user", help="use this user's learned taste (e.g. tg:1234)")
    check.add_argument("--out", help="write the side-by-side picture (PNG) here")
    check.add_argument("--json", action="store_true")

    comment = sub.add_parser("comment", help="friendly comments on an outfit photo")
    comment.add_argument("photo")
    comment.add_argument("-n", type=int, default=5)
    comment.add_argument("--seed", type=int, default=0)
    comment.add_argument("--json", action="store_true")

    ev = sub.add_parser("eval", help="evaluation on a labelled folder")
    ev.add_argument("what", choices=["parser", "comments", "repeats", "retrieval"])
    ev.add_argument("--data", default=None, help="folder laid out like ../shared/data/ccp")
    ev.add_argument("--limit", type=int, default=None,
                    help="parser: only the first N photos; comments: N photos (default 500); "
                    "repeats: N photos (default 300)")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--cache", default=None,
                    help="repeats: keep the embeddings in this .npz and reuse them")

    from bot.cli.shop import add_commands, add_eval_arguments

    add_eval_arguments(ev)
    add_commands(sub)  # shop, search, catalog

    train = sub.add_parser("train", add_help=False,  # --help goes to the trainer
                           help="train a bundled model (options after: --help)")
    train.add_argument("what", choices=["parser", "embedder"])
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "train":
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    try:
        if args.command == "train":
            return cmd_train(args, rest)
        handler = {
            None: cmd_serve, "serve": cmd_serve, "web": cmd_web, "run": cmd_run,
            "parse": cmd_parse, "check": cmd_check, "comment": cmd_comment,
            "eval": cmd_eval,
            "shop": _shop_command, "search": _shop_command, "catalog": _shop_command,
        }[args.command]
        return handler(args)
    except ConfigError as err:
        print(f"stylebot: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
