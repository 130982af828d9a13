"""`stylebot train parser|embedder|kind|colour|intents|compatibility` and `stylebot eval
parser|phantoms|retrieval|text-search|comments|repeats|colours|talk|complete|recolour|suggestions`:
thin wrappers over training/ (imported only when one of these runs, never by the bot)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="evaluation on a labelled folder")
    ev.add_argument("what", choices=["parser", "phantoms", "comments", "repeats", "retrieval",
                                     "text-search", "colours", "talk", "complete", "recolour",
                                     "suggestions"])
    ev.add_argument("--data", default=None, help="folder laid out like ../shared/data/ccp")
    ev.add_argument("--limit", type=int, default=None,
                    help="parser, phantoms: only the first N photos; comments: N photos "
                    "(default 500); repeats: N photos (default 300)")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--out", default=None,
                    help="suggestions: save 20 before/after pictures in this folder")
    ev.add_argument("--cache", default=None,
                    help="repeats: keep the embeddings in this .npz and reuse them; phantoms: "
                    "the parser's raw scores (rules are read anew)")
    ev.add_argument("--queries", help="retrieval: street photos laid out like ../shared/data/ccp")
    ev.add_argument("--catalog", help="retrieval, text-search: products laid out like "
                    "../shared/data/products")
    ev.add_argument("--kind-bonus", type=float, default=None,
                    help="retrieval: the predicted kind's ranking bonus (0: kinds unused)")
    ev.add_argument("--no-kinds", action="store_true",
                    help="text-search: filter by the class alone, not the kind (the baseline)")
    ev.add_argument("--split", choices=["train", "val"], default=None,
                    help="parser, comments, retrieval: only the bundled parser's training or "
                    "held-out photos (every 10th by id) of --data / --queries; colours: ids "
                    "not ending / ending in 0 (default: both, reported apart)")
    ev.add_argument("--masks", choices=["foreground", "parser"], default="foreground",
                    help="colours: cut products as `stylebot colour` does (default) or with the "
                    "parser's garment on a model, as the shop's catalogue build does")
    ev.add_argument("--query-masks", choices=["parser", "gt"], default="parser",
                    help="retrieval: cut queries with the parser's masks (default) or the true "
                    "ones (diagnostic)")
    ev.add_argument("--embedder", default=None, help="retrieval: override inference.embedder")
    ev.add_argument("--match", choices=["iou", "nearest", "class"], default="iou",
                    help="retrieval: pair true and parsed garments one-to-one by IoU (default), "
                    "each with its highest-IoU parsed garment, or by class")
    ev.add_argument("--talk-split", dest="split_talk", choices=["held_out", "train"],
                    default="held_out", help="talk: the held-out part (default) or the "
                    "training part (for tuning lexicons)")
    ev.add_argument("--failures", action="store_true", help="talk: list the misses")
    ev.add_argument("--curve", action="store_true",
                    help="complete: the gain over the baseline as the training outfits grow "
                    "(90, 180, 360, all)")
    ev.add_argument("--reparse", action="store_true",
                    help="recolour: parse the recoloured copy from scratch (default: the same "
                    "garment regions, colours measured again)")
    ev.set_defaults(handler=cmd_eval)

    train = sub.add_parser("train", add_help=False,  # --help goes to the trainer
                           help="train a bundled model (options after: --help)")
    train.add_argument("what", choices=["parser", "embedder", "kind", "colour", "intents",
                                        "compatibility"])
    train.set_defaults(handler=None)  # main passes the trainer its own arguments


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.what == "talk":
        from training.eval_talk import evaluate

        result = evaluate(args.split_talk, args.failures)
        for line in result.pop("failures"):
            print(line)
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    if args.what == "retrieval":
        return _eval_retrieval(args, settings)
    if args.what == "colours":
        return _eval_colours(args, settings)
    if args.what == "text-search":
        from training.eval_text_search import QUERIES
        from training.eval_text_search import evaluate as evaluate_text

        if not args.catalog:
            raise SystemExit("stylebot eval text-search: --catalog DIR is needed")
        print(json.dumps(evaluate_text(Path(args.catalog), Path(args.data or QUERIES),
                                       kinds=not args.no_kinds), indent=2))
        return 0
    if args.data is None:
        raise SystemExit(f"stylebot eval {args.what}: --data DIR is needed")
    if args.what == "parser":
        from training.eval_parser import evaluate_folder

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
    if args.what == "phantoms":
        from training.eval_phantoms import evaluate_phantoms

        result = evaluate_phantoms(Path(args.data), settings.inference.parser, args.limit,
                                   Path(args.cache) if args.cache else None)
        print(json.dumps(result, indent=2) if args.json else _phantoms_text(result))
        return 0
    if args.what == "comments":
        from training.eval_comments import evaluate_comments

        result = evaluate_comments(
            Path(args.data), args.limit or 500, settings.inference.comments, args.split
        )
        if args.json:
            print(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            for key, value in result.items():
                print(f"{key:24s} {value}")
        return 0
    if args.what == "complete":
        from training.eval_complete import evaluate_complete, learning_curve

        result = (learning_curve(Path(args.data)) if args.curve
                  else evaluate_complete(Path(args.data), args.split))
        print(json.dumps(result, indent=2) if args.json else "\n".join(
            f"{key:16s} {value}" for key, value in result.items()))
        return 0
    if args.what == "recolour":
        from training.eval_recolour import evaluate_recolour

        result = evaluate_recolour(Path(args.data), args.split or "val", args.limit,
                                   reparse=args.reparse)
        print(json.dumps(result, indent=2) if args.json else "\n".join(
            f"{key:24s} {value}" for key, value in result.items()))
        return 0
    if args.what == "suggestions":
        from training.eval_suggestions import evaluate_suggestions

        result = evaluate_suggestions(Path(args.data), args.split, args.limit or 100,
                                      Path(args.out) if args.out else None)
        print(json.dumps(result, indent=2) if args.json else "\n".join(
            f"{key:20s} {value}" for key, value in result.items()))
        return 0
    if args.what == "repeats":
        from training.eval_repeats import evaluate_folder as evaluate_repeats

        result = evaluate_repeats(Path(args.data), args.limit or 300, settings.inference.parser,
                                  Path(args.cache) if args.cache else None)
        print(json.dumps(result, indent=2) if args.json else _repeats_text(result))
        return 0
    raise SystemExit(f"unknown evaluation {args.what!r}")


def _eval_colours(args: argparse.Namespace, settings: Settings) -> int:
    from training.eval_colours import evaluate_products, evaluate_street

    data = Path(args.data or "../shared/data/products")
    if not (data / "catalog.csv").exists():
        print(f"stylebot eval colours: no catalog.csv in {data}", file=sys.stderr)
        return 2
    splits = [args.split] if args.split else ["train", "val"]
    result = {"products": [evaluate_products(data, split, args.masks, settings.inference.parser,
                                             args.limit) for split in splits],
              "street": evaluate_street(data.parent / "ccp")}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for row in result["products"]:
        print(f"products {row['split']:5s} ({row['masks']}): n={row['items']} family "
              f"{row['family_accuracy']} close family {row['close_family_accuracy']} name "
              f"{row['name_agreement']} (n={row['name_items']}; shade names "
              f"{row['shade_name_agreement']}, n={row['shade_name_items']}) "
              f"{row['ms_per_photo']} ms/photo")
        print(f"  confusions (truth->found): {row['top_confusions']}")
        print("  name agreement by name [n, share]: "
              + ", ".join(f"{k} {v}" for k, v in row["name_agreement_by_name"].items()))
    if result["street"]:
        for light, row in result["street"].items():
            if light != "garments":
                print(f"street garments, {light:10s}: {row}")
    return 0


def _phantoms_text(result: dict) -> str:
    lines = [f"{'half':8s} {'photos':>6s} {'phantom':>8s} {'missed':>7s} {'fragm.':>7s} "
             f"{'unconf.':>7s}"]
    for half in ("tune", "report", "all"):
        r = result[half]
        lines.append(f"{half:8s} {r['photos']:6d} {r['phantom_rate']:8.3f} {r['miss_rate']:7.3f} "
                     f"{r['fragmentation']:7.3f} {r['unconfirmed_fragmentation']:7.3f}")
    for half in ("tune", "report"):
        lines.append(f"{half} phantoms by class: {result[half]['phantoms_by_class']}")
        lines.append(f"{half} missed by class: {result[half]['missed_by_class']}")
    return "\n".join(lines)


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


def _eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from training.eval_retrieval import evaluate

    if not args.queries or not args.catalog:
        print("stylebot eval retrieval: --queries DIR and --catalog DIR are needed",
              file=sys.stderr)
        return 2
    from inference.core.onnx_models import set_threads

    # one process alone on the machine: all the cores (the server's threads setting is per worker)
    set_threads(settings.inference.threads * settings.inference.workers)
    result = evaluate(Path(args.queries), Path(args.catalog),
                      args.embedder or settings.inference.embedder, settings.inference.parser,
                      args.split, args.limit, query_masks=args.query_masks, match=args.match,
                      kind_bonus=args.kind_bonus)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    catalog = result["catalog"]
    print(f"{result['photos']} photos, {result['queries']} garments "
          f"({result['missed_by_parser']} missed by the parser), "
          f"{catalog['items']} catalogue items, embedder {catalog['embedder']}")
    for mode in ("default", "visual_only"):
        print(f"{mode:12s} " + "  ".join(f"{k} {v:.3f}" for k, v in result[mode].items()))
    print(f"kind: {result['kind_queries']} garments scored, skipped {result['kind_skipped']}")
    for cls, row in result["per_class"].items():
        d, v = row["default"], row["visual_only"]
        print(f"  {cls:10s} n={row['queries']:4d} default cat@10 {d['category_p10']:.3f} "
              f"col@10 {d['colour_p10']:.3f} | visual cat@10 {v['category_p10']:.3f} "
              f"col@10 {v['colour_p10']:.3f}")
    print(f"timing: {result['timing']}")
    return 0


def cmd_train(args: argparse.Namespace, rest: list[str]) -> int:
    """The trainer's own options follow the model's name (`stylebot train parser --help`)."""
    if args.what == "parser":
        from training.train_parser import main as train_parser

        train_parser(rest)
    elif args.what == "intents":
        from training.train_intents import main as train_intents

        print(json.dumps(train_intents(rest), indent=2))
    elif args.what == "kind":
        from training.train_kind import main as train_kind

        print(json.dumps(train_kind(rest), indent=2, default=str))
    elif args.what == "colour":
        from training.train_colour import main as train_colour

        print(json.dumps(train_colour(rest), indent=2))
    elif args.what == "compatibility":
        from training.train_compatibility import main as train_compatibility

        print(json.dumps(train_compatibility(rest), indent=2))
    else:
        from training.train_embedder import main as train_embedder

        print(json.dumps(train_embedder(rest), indent=2, default=str))
    return 0
