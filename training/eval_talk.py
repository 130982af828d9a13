"""`stylebot eval talk`: the free-text understanding on the labelled utterances, per language.

Reports, on the held-out part by default (training/data/utterances/heldout/, written apart from
the training part and never tuned on), per language:
- intent accuracy ("unknown" counts as "other");
- slot accuracy: of the slots the labels give, the share read with the right value, and the share
  of utterances whose slots are all right (nothing missing, nothing extra);
- fallback: the share of in-scope utterances (not "other") that got no intent;
- right language: the share of replies in the utterance's own language (inference.text.language,
  as the dialog picks it): `language` for a user whose app already speaks it (Telegram's
  language_code, the browser's Accept-Language) and who goes on typing; `language_cold` for a
  first message with no language known; `language_from_en` for a user whose app is set to
  English but who types in their own language;
- `unseen_intent`: intent accuracy on the held-out texts that do not also occur, word for word,
  in the training part (short common lines like "thanks!" are written by both writers).
`--split train` reports on the training part instead (for tuning lexicons: the held-out part is
never looked at while tuning); `--failures` lists the misses.
"""

from __future__ import annotations

import time
from collections import defaultdict

from inference.text.language import language_of
from inference.text.understand import Understanding
from training.train_intents import DATA, split

SLOTS = ("garment", "colour", "occasion", "style", "day", "ordinal", "side", "price")


def evaluate(split_name: str = "held_out", failures: bool = False, data=DATA) -> dict:  # noqa: ANN001
    train, test = split(data)
    rows = test if split_name == "held_out" else train
    seen = {r["text"].strip().lower() for r in train}
    understanding = Understanding()
    per: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    misses: list[str] = []
    times = []
    for r in rows:
        start = time.perf_counter()
        got = understanding(r["text"], r["lang"], r.get("context", "none"))
        times.append(time.perf_counter() - start)
        intent = "other" if got.intent == "unknown" else got.intent
        m = per[r["lang"]]
        m["intent"].append(intent == r["intent"])
        if r["text"].strip().lower() not in seen:
            m["unseen_intent"].append(intent == r["intent"])
        if r["intent"] != "other":
            m["fallback"].append(got.intent in ("unknown", "other"))
        gold = {k: v for k, v in (r.get("slots") or {}).items() if k in SLOTS}
        found = {k: v for k, v in got.slots.items() if k in SLOTS}
        for k, v in gold.items():
            m["slot"].append(_same(found.get(k), v))
        m["slots_exact"].append(all(_same(found.get(k), v) for k, v in gold.items())
                                and set(found) <= set(gold))
        m["language"].append(language_of(r["text"], r["lang"]) == r["lang"])
        m["language_cold"].append(language_of(r["text"], None) == r["lang"])
        m["language_from_en"].append(language_of(r["text"], "en") == r["lang"])
        if failures and (intent != r["intent"] or not m["slots_exact"][-1]):
            misses.append(f"{r['lang']} {got.by:10} {r['intent']:>15} -> {intent:15} "
                          f"{gold} / {found} | {r['text']}")
    report = {lang: {k: round(sum(v) / len(v), 3) if v else None for k, v in m.items()}
              | {"n": len(m["intent"])} for lang, m in sorted(per.items())}
    times.sort()
    return {"split": split_name, "per_language": report,
            "median_ms": round(1000 * times[len(times) // 2], 2) if times else None,
            "failures": misses}


def _same(found: object, gold: object) -> bool:
    if found is None:
        return False
    if isinstance(gold, int | float) and not isinstance(gold, bool):
        try:
            return float(found) == float(gold)
        except (TypeError, ValueError):
            return False
    return str(found) == str(gold)


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["held_out", "train"], default="held_out")
    parser.add_argument("--failures", action="store_true")
    args = parser.parse_args()
    result = evaluate(args.split, args.failures)
    for line in result.pop("failures"):
        print(line)
    print(json.dumps(result, indent=2, ensure_ascii=False))
