"""Style Check benchmark: learning from feedback (simulated users) and verdict speed.

    python -m bench.stylecheck [--photos 160] [--users 60] [--json]

Learning: real CCP photos are parsed by the default parser and scored with the Style Check
features. Each simulated user has hidden weights over the features and answers Style Checks on
random pairs of photos with Bradley-Terry noise (P(prefers A) = sigmoid(3 w*.(fA - fB))). After
0, 10 and 30 answers we measure agreement: the share of 300 held-out pairs (photos the user never
answered about) where the verdict's winner is the one the user's hidden weights prefer.
Two populations: "varied" users (w* ~ N(0, 1) per feature: tastes unrelated to the prior) and
"near prior" users (w* = prior + N(0, 0.5)). The global weights stay at the prior (each user is
judged on their own feedback only, the harder case).

Speed: a two-photo verdict from JPEG bytes to the side-by-side PNG (both parses included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

from inference.pipeline import Pipeline, PipelineConfig
from inference.stylecheck import check, render_check
from inference.stylecheck.features import outfit_features
from inference.stylecheck.model import ALL_FEATURES, PRIOR, Example, user_weights, vector
from inference.styles.taste import Profile, personal_score, taste_vector

ROOT = Path(__file__).resolve().parent.parent
CCP = ROOT.parent / "shared" / "data" / "ccp" / "photos"
SAMPLE = ROOT / "tests" / "data" / "ccp_sample" / "photos"
TODAY = date(2026, 11, 29)  # fixed, so trend features are reproducible
CHECKPOINTS = (0, 10, 30)



def update_taste(taste: dict[str, float], chosen: dict, other: dict) -> dict[str, float]:
    """A simulated user's taste after one answer: toward the chosen outfit, away from the
    other (what Profile.taste() learns from the verdict_chosen / verdict_other signals)."""
    out = dict(taste)
    for key, value in taste_vector(chosen).items():
        out[key] = out.get(key, 0.0) + value
    for key, value in taste_vector(other).items():
        out[key] = out.get(key, 0.0) - value
    return out

def parse_photos(paths: list[Path], pipeline: Pipeline) -> list[dict]:
    outfits = []
    for path in paths:
        _, outfit = pipeline.load_and_parse(path.read_bytes())
        if outfit.items and not outfit.problems:
            outfits.append(outfit.as_dict())
    return outfits


def simulate(outfits: list[dict], users: int, population: str, seed: int) -> dict[int, float]:
    rng = np.random.default_rng(seed)
    base = [outfit_features(o, TODAY) for o in outfits]
    half = len(outfits) // 2
    train_ids, test_ids = np.arange(half), np.arange(half, len(outfits))
    agreement: dict[int, list[float]] = {k: [] for k in CHECKPOINTS}
    for _ in range(users):
        if population == "varied":
            hidden = rng.normal(0, 1, len(ALL_FEATURES))
        else:
            hidden = PRIOR + rng.normal(0, 0.5, len(ALL_FEATURES))
        hidden[ALL_FEATURES.index("personal")] = 0.0  # the user's taste is in the other weights
        test_pairs = [tuple(rng.choice(test_ids, 2, replace=False)) for _ in range(300)]
        taste: dict[str, float] = {}
        examples: list[Example] = []
        for step in range(max(CHECKPOINTS) + 1):
            if step in CHECKPOINTS:
                w = user_weights(PRIOR, examples)
                hits = []
                for i, j in test_pairs:
                    fa = {**base[i], "personal": personal_score(outfits[i], taste)}
                    fb = {**base[j], "personal": personal_score(outfits[j], taste)}
                    truth = hidden @ (vector(fa) - vector(fb))
                    model = w @ (vector(fa) - vector(fb))
                    hits.append(float(np.sign(truth) == np.sign(model)))
                agreement[step].append(float(np.mean(hits)))
            i, j = rng.choice(train_ids, 2, replace=False)
            fa = {**base[i], "personal": personal_score(outfits[i], taste)}
            fb = {**base[j], "personal": personal_score(outfits[j], taste)}
            p_a = 1 / (1 + np.exp(-3 * hidden @ (vector(fa) - vector(fb))))
            preferred = "a" if rng.random() < p_a else "b"
            examples.append(Example(fa, fb, preferred))
            chosen, other = (
                (outfits[i], outfits[j]) if preferred == "a" else (outfits[j], outfits[i])
            )
            taste = update_taste(taste, chosen, other)
    return {k: round(statistics.mean(v), 4) for k, v in agreement.items()}


def verdict_speed(paths: list[Path], pipeline: Pipeline, runs: int) -> dict:
    pairs = [(paths[i % len(paths)], paths[(i + 1) % len(paths)]) for i in range(runs)]
    timings = []
    for n, (a_path, b_path) in enumerate([pairs[0], *pairs]):
        started = time.perf_counter()
        _, a = pipeline.load_and_parse(a_path.read_bytes())
        _, b = pipeline.load_and_parse(b_path.read_bytes())
        render_check(a, b, check(a.as_dict(), b.as_dict(), [], [], Profile(), TODAY))
        if n:  # the first run warms up
            timings.append(time.perf_counter() - started)
    return {
        "runs": runs,
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "p90_ms": round(float(np.percentile(timings, 90)) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=160)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    folder = CCP if CCP.is_dir() else SAMPLE
    paths = sorted(folder.glob("*.jpg"))
    pipeline = Pipeline(PipelineConfig())
    speed = verdict_speed(paths[:10], pipeline, args.runs)
    outfits = parse_photos(paths[:: max(1, len(paths) // args.photos)][: args.photos], pipeline)
    result = {
        "photos": len(outfits),
        "users_per_population": args.users,
        "agreement_varied": simulate(outfits, args.users, "varied", args.seed),
        "agreement_near_prior": simulate(outfits, args.users, "near_prior", args.seed + 1),
        "verdict_speed": speed,
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print(f"Style Check learning, {len(outfits)} parsed CCP photos, {args.users} users each:")
    for population in ("varied", "near_prior"):
        row = result[f"agreement_{population}"]
        print(f"  {population:11s} " + "  ".join(f"after {k:2d}: {v:.3f}" for k, v in row.items()))
    print(
        f"Two-photo verdict incl. picture: median {speed['median_ms']} ms, "
        f"p90 {speed['p90_ms']} ms over {speed['runs']} runs"
    )


if __name__ == "__main__":
    main()
