"""`stylebot parse`, `check` and `comment`: one-shot analysis of photos with the bot's models.

The same code paths as the chat: Style Check runs through `inference.stylecheck.check` with the
user's profile when `--user` is given.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import parse_photo, pipeline_for
from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    parse = sub.add_parser("parse", help="garments, colours and patterns of one photo")
    parse.add_argument("photo")
    parse.add_argument("--json", action="store_true")
    parse.add_argument("--out", help="write the overlay picture (PNG) here")
    parse.add_argument("--cutout", help="write the cut-out (PNG with alpha) here")

    parse.set_defaults(handler=cmd_parse)

    check = sub.add_parser("check", help="Style Check: which of two outfits works better, and why")
    check.add_argument("photo_a")
    check.add_argument("photo_b")
    check.add_argument("--user", help="use this user's learned taste (e.g. tg:1234)")
    check.add_argument("--out", help="write the side-by-side picture (PNG) here")
    check.add_argument("--json", action="store_true")

    check.set_defaults(handler=cmd_check)

    comment = sub.add_parser("comment", help="friendly comments on an outfit photo")
    comment.add_argument("photo")
    comment.add_argument("-n", type=int, default=5)
    comment.add_argument("--seed", type=int, default=0)
    comment.add_argument("--json", action="store_true")
    comment.set_defaults(handler=cmd_comment)


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    from inference.core import drawing as pictures

    outfit = parse_photo(pipeline_for(settings), args.photo)
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


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Style Check of two photos; with --user, that user's profile is used as in the chat."""
    from inference.stylecheck import check, render_check
    from inference.styles.taste import Profile
    from storage import Store

    pipeline = pipeline_for(settings)
    outfits = [parse_photo(pipeline, photo) for photo in (args.photo_a, args.photo_b)]
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


def cmd_comment(args: argparse.Namespace, settings: Settings) -> int:
    """Friendly comments on one photo, each with the garments it mentions."""
    from inference.styles.detection import detect_styles

    pipeline = pipeline_for(settings)
    outfit = parse_photo(pipeline, args.photo)
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
