"""The shop's command line: `stylebot shop`, `stylebot search` and `stylebot catalog
import|build|status`.

All `--json` output is one JSON document on stdout; progress bars and logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import pipeline_for
from bot.config import Settings

ITEM_WORDS = {"shoes": "footwear", "jacket": "outer", "coat": "outer", "glasses": "eyewear",
              "tights": "legwear", "jeans": "pants", "trousers": "pants"}


def add_commands(sub: argparse._SubParsersAction) -> None:
    shop = sub.add_parser("shop", help="catalogue matches for the garments of an outfit photo")
    shop.add_argument("photo")
    shop.add_argument("--item", help="only this garment class (top, pants, shoes, ...)")
    shop.add_argument("--k", type=int, default=10)
    shop.add_argument("--mode", default="default",
                      choices=["default", "colour", "cheaper", "visual"])
    shop.add_argument("--max-price", type=float, default=None, help="with --mode cheaper")
    shop.add_argument("--json", action="store_true")
    shop.set_defaults(handler=cmd_shop)

    search = sub.add_parser("search", help="catalogue items for a text like 'red floral dress'")
    search.add_argument("text", nargs="+")
    search.add_argument("--k", type=int, default=10)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=cmd_search)

    catalog = sub.add_parser("catalog", help="import product feeds, build the Annoy index")
    catalog.add_argument("action", choices=["import", "build", "ensure", "status"],
                         help="ensure: build the first index (the demo catalogue when empty) "
                              "unless there is one; the install step runs it")
    catalog.add_argument("feed", nargs="?", help="import: a CSV/JSON feed or a folder")
    catalog.add_argument("--source", help="import: name for the feed (ids become SOURCE:id)")
    catalog.add_argument("--demo", action="store_true", help="import: mark the items as demo")
    catalog.add_argument("--no-text", action="store_true", help="build: skip title vectors")
    catalog.add_argument("--json", action="store_true")
    catalog.set_defaults(handler=cmd_catalog)


def _index(settings: Settings, pipeline) -> tuple[object | None, str | None]:  # noqa: ANN001
    """The current index, building the demo one first if there is none (as the bot does)."""
    from bot.catalog.build import ensure_catalog

    if pipeline.embedder is None:
        return None, f"no garment embedder: {pipeline.embedder_error}"
    if settings.catalog.demo_at_first_start:
        ensure_catalog(settings, pipeline, progress=True)
    index = pipeline.catalog(settings.catalog.index_dir).current()
    if index is None:
        return None, "no catalogue index: run `stylebot catalog build`"
    if index.embedder != pipeline.embedder.name:
        return None, (f"the index was built with {index.embedder}, the embedder is "
                      f"{pipeline.embedder.name}: run `stylebot catalog build`")
    return index, None


def cmd_shop(args: argparse.Namespace, settings: Settings) -> int:
    from inference.core.decode import BadImage
    from inference.core.garments import CLASSES
    from inference.shop.retrieval import search

    pipeline = pipeline_for(settings)
    index, problem = _index(settings, pipeline)
    if index is None:
        print(f"stylebot shop: {problem}", file=sys.stderr)
        return 1
    try:
        _, outfit = pipeline.load_and_parse(Path(args.photo).read_bytes())
    except (BadImage, OSError) as bad:
        print(f"cannot use {args.photo}: {getattr(bad, 'reason', bad)}", file=sys.stderr)
        return 1
    queries = pipeline.garment_queries(outfit, index.kinds)
    if args.item:
        wanted = ITEM_WORDS.get(args.item.lower(), args.item.lower())
        if wanted not in CLASSES:
            print(f"stylebot shop: unknown --item {args.item!r}", file=sys.stderr)
            return 2
        queries = [q for q in queries if q.category == wanted]
    results = []
    for q in queries:
        hits = search(index, q, args.mode, args.k, 0, args.max_price)
        results.append({"item": {"category": q.category, "kind": q.kind, "name": q.name,
                                 "colour_family": q.colour_family},
                        "matches": [h.as_dict() for h in hits]})
    if args.json:
        print(json.dumps({"photo": args.photo, "mode": args.mode, "index": index.folder.name,
                          "embedder": index.embedder, "results": results,
                          "problems": outfit.problems}, indent=2, ensure_ascii=False))
        return 0
    if not results:
        print("no garment to shop for" + (f" of class {args.item}" if args.item else ""))
    for result in results:
        print(f"== {result['item']['name']} ({result['item']['category']})")
        if not result["matches"]:
            print("     (nothing of this kind in the catalogue)")
        for n, m in enumerate(result["matches"], start=1):
            price = f"{m['price']:.2f} {m['currency'] or ''}" if m["price"] is not None else \
                ("demo" if m["demo"] else "-")
            print(f"{n:3d}. {m['score']:.3f} {m['title'][:48]:48s} {m['category']:9s} "
                  f"{m['colour_family'] or '?':7s} {price:>10s}  {', '.join(m['why'])}")
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from inference.shop.text_search import text_search

    pipeline = pipeline_for(settings)
    index, problem = _index(settings, pipeline)
    if index is None or index.text_vectors() is None:
        problem = problem or (
            'the index has no title vectors: pip install -e ".[text]", then stylebot catalog build'
        )
        print(f"stylebot search: {problem}", file=sys.stderr)
        return 1
    text = " ".join(args.text)
    parsed, hits = text_search(index, pipeline.text_encoder(), text, args.k)
    if args.json:
        print(json.dumps({"query": text, "category": parsed.category,
                          "colour_family": parsed.colour_family,
                          "results": [h.as_dict() for h in hits]}, indent=2, ensure_ascii=False))
        return 0
    print(f"query: {text!r} -> class {parsed.category or 'any'}, "
          f"colour {parsed.colour_family or 'any'}")
    if not hits:
        print("no results" + (f": the catalogue has no {parsed.category} items"
                              if parsed.category else ""))
    for n, h in enumerate(hits, start=1):
        print(f"{n:3d}. {h.score:.3f} {h.item['title'][:50]:50s} {h.item['category']:9s} "
              f"{h.item.get('colour_family') or '?'}")
    return 0


def cmd_catalog(args: argparse.Namespace, settings: Settings) -> int:
    from bot.catalog.build import build_catalog, ensure_catalog, import_demo
    from bot.catalog.feeds import FeedError, FetchOptions, import_feed
    from inference.shop.index import current_build
    from storage import Store
    from storage.catalog import CatalogStore

    store = Store(settings.storage.target, settings.storage.files_dir)
    try:
        if args.action == "import":
            if not args.feed:
                print("stylebot catalog import: give a feed file or folder", file=sys.stderr)
                return 2
            options = FetchOptions(settings.catalog.download_concurrency,
                                   settings.catalog.download_timeout_seconds,
                                   settings.catalog.download_retries)
            try:
                report = import_feed(Path(args.feed), CatalogStore(store),
                                     settings.catalog.images_dir, args.source, args.demo, options)
            except FeedError as err:
                print(f"stylebot catalog import: {err}", file=sys.stderr)
                return 1
            result = report.as_dict()
        elif args.action == "build":
            pipeline = pipeline_for(settings)
            if pipeline.embedder is None:
                print(f"stylebot catalog build: {pipeline.embedder_error}", file=sys.stderr)
                return 1
            if CatalogStore(store).count() == 0:
                import_demo(store, settings)
            result = build_catalog(settings, pipeline, store, progress=True,
                                   with_text=not args.no_text).as_dict()
        elif args.action == "ensure":  # what the bot would otherwise do in the background
            pipeline = pipeline_for(settings)
            report = ensure_catalog(settings, pipeline, store, progress=True) \
                if settings.catalog.demo_at_first_start else None
            folder = current_build(settings.catalog.index_dir)
            result = report.as_dict() if report else {"index": str(folder) if folder else None,
                                                      "built": False}
        else:
            folder = current_build(settings.catalog.index_dir)
            builds = CatalogStore(store).builds()
            result = {"items": CatalogStore(store).count(),
                      "index": str(folder) if folder else None,
                      "last_build": builds[0] if builds else None}
    finally:
        store.close()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for key, value in result.items():
            if key == "skipped":
                print(f"{key:12s} {len(value)}")
                for s in value:
                    print(f"  {s['row']}: {s['reason']}")
            else:
                print(f"{key:12s} {value}")
    return 0
