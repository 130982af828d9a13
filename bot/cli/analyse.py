"""`stylebot parse`, `colour`, `check` and `comment`: one-shot analysis of photos with the bot's
models.

The same code paths as the chat: Style Check runs through `inference.stylecheck.check` with the
user's profile when `--user` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import parse_photo, pipeline_for
from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    parse = sub.add_parser("parse", help="garments, colours and patterns of outfit photos")
    parse.add_argument("photo", nargs="+", help="one or more photos, parsed with one model load")
    parse.add_argument("--json", action="store_true",
                       help="one photo: its parse (an object); several: a list, in order")
    parse.add_argument("--out", help="write the overlay picture (PNG) here (one photo only)")
    parse.add_argument("--cutout", help="write the cut-out (PNG with alpha) here (one photo only)")
    parse.set_defaults(handler=cmd_parse)

    colour = sub.add_parser("colour", help="main colours of product photos or garment crops")
    colour.add_argument("image", nargs="+")
    colour.add_argument("--json", action="store_true", help="a list, one entry per image")
    colour.set_defaults(handler=cmd_colour)

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
    """Parse each photo with one pipeline; --json prints one object for one photo (as before)
    and a list for several (null for a photo that cannot be used)."""
    from inference.core import drawing as pictures

    if len(args.photo) > 1 and (args.out or args.cutout):
        print("stylebot parse: --out and --cutout take one photo", file=sys.stderr)
        return 2
    pipeline = pipeline_for(settings)
    outfits = [parse_photo(pipeline, photo) for photo in args.photo]
    if outfits == [None]:  # one photo that cannot be used: nothing on stdout, as before
        return 1
    if len(outfits) == 1:
        outfit = outfits[0]
        if args.out:
            from bot.chat.flows.outfit import overlay_image

            overlay_image(outfit).save(args.out)  # in the format its extension names
        if args.cutout:
            cut = pictures.outfit_cutout(outfit.image, outfit.labels)
            Path(args.cutout).write_bytes(pictures.png_bytes(cut))
    if args.json:
        parsed = [o.as_dict() if o is not None else None for o in outfits]
        print(json.dumps(parsed[0] if len(parsed) == 1 else parsed, indent=2))
    else:
        for photo, outfit in zip(args.photo, outfits, strict=True):
            if len(outfits) > 1:
                print(f"== {photo}")
            for item in outfit.items if outfit else []:
                print(f"{item.name:40s} {item.category:10s} {item.pattern:8s} "
                      f"{item.colour.family:7s} {item.colour.hex} {item.area:6.1%}")
            for problem in outfit.problems if outfit else []:
                print(f"note: {problem}")
    return 0 if all(o is not None for o in outfits) else 1


def cmd_colour(args: argparse.Namespace, settings: Settings) -> int:
    """Main colour and the next ones of each product photo or crop: the object is the photo's
    foreground against its border colour (inference.shop.crop.product_colours, as the shop)."""
    from inference.core.decode import BadImage, load_photo
    from inference.shop.crop import product_colours

    entries = []
    for path in args.image:
        try:
            colours = product_colours(load_photo(Path(path).read_bytes()))
        except (BadImage, OSError) as bad:
            print(f"cannot use {path}: {getattr(bad, 'reason', bad)}", file=sys.stderr)
            entries.append({"image": path, "error": str(getattr(bad, "reason", bad))})
            continue
        entries.append({"image": path, "main": colour_dict(colours[0]),
                        "colours": [colour_dict(c) for c in colours]})
    if args.json:
        print(json.dumps(entries, indent=2))
    else:
        for entry in entries:
            if "error" in entry:
                print(f"{entry['image']}: cannot use it ({entry['error']})")
                continue
            rest = ", ".join(f"{c['name']} {c['share']:.0%}" for c in entry["colours"][1:])
            main = entry["main"]
            print(f"{entry['image']}: {main['name']} ({main['family']}, {main['hex']}, "
                  f"{main['share']:.0%})" + (f"; then {rest}" if rest else ""))
    return 0 if all("error" not in e for e in entries) else 1


def colour_dict(colour) -> dict:  # noqa: ANN001 - inference.core.colour.Colour
    return {"name": colour.name, "family": colour.family, "hex": colour.hex,
            "rgb": list(colour.rgb), "share": round(colour.share, 3),
            "css_name": colour.css_name}


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
    if settings.storage.url or settings.storage.database.exists():
        from bot.chat.flows.preferences import profile_of  # the chat's loader, so both agree

        store = Store(settings.storage.target, settings.storage.files_dir)
        all_rows = store.verdict_examples()
        if args.user:
            user_rows = store.verdict_examples(args.user)
            profile = profile_of(store, args.user)
    result = check(outfits[0].as_dict(), outfits[1].as_dict(), user_rows, all_rows, profile)
    if args.out:
        render_check(outfits[0], outfits[1], result).save(args.out)  # as its extension says
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
