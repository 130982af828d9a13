"""Learn what people wear together from real outfits: `stylebot train compatibility`.

Data: CCP photos with hand-drawn masks (../shared/data/ccp). Each photo's garments are read
from its true mask exactly as the bot reads a parse (inference.parsing.outfit.items_from_labels:
the same size rules and the same colour code), so the model learns in the bot's own words. The
bundled parser's held-out photos (every 10th by id, `--split val` of the evals) are never used
here: `stylebot eval complete --split val` and `stylebot eval recolour --split val` measure on
them. The smoothing strengths are chosen by fill-in-the-blank accuracy in 5-fold
cross-validation over the training photos. The hue habits (which hue each kind is worn in)
also read CCP's tag-only street photos as the bot parses them (twice the outfits; no masks
needed for a garment's colour). Seeded; a few minutes the first time (colours
of ~1,600 photos, cached in ~/.cache/stylebot), seconds after.
Output: inference/styles/compatibility.json (counts and colours, a few hundred KB).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from inference.core.colour import FAMILIES
from inference.styles.compatibility import (
    MODEL_PATH,
    Compatibility,
    HueHabits,
    Piece,
    largest_of_each_kind,
    pieces_of,
)
from training.ccp_data import labelled_photos, load_merged_mask, merged_mask_lut, split_photos

log = logging.getLogger(__name__)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ccp"
CACHE_DIR = Path.home() / ".cache" / "stylebot"
#: The code that turns a mask into garments and colours: the cache is keyed by its contents.
READER_FILES = ("inference/parsing/outfit.py", "inference/core/colour.py",
                "inference/core/colour_light.py", "inference/core/pattern.py",
                "inference/core/colour_family_model.py",
                "inference/core/weights/colour_family.npz")
STRENGTHS = (5.0, 20.0, 50.0, 100.0, 200.0)


def _outfit_of(args: tuple[str, str, str]) -> dict:
    from inference.parsing.outfit import items_from_labels

    photo_id, photo, mask = args
    lut = merged_mask_lut(Path(mask).parents[1])
    labels = load_merged_mask(Path(mask), lut)
    labels = np.where(labels == 255, 0, labels).astype(np.uint8)  # unknown -> background
    image = Image.open(photo).convert("RGB")
    items = items_from_labels(image, labels)
    return {"photo": photo_id, "items": [i.as_dict() for i in items]}


def _reader_digest(root: Path, *extra: str) -> str:
    """A hash of the code that reads garments and colours, and of the data's place."""
    digest = hashlib.sha256()
    project = Path(__file__).resolve().parents[1]
    for name in READER_FILES:
        digest.update((project / name).read_bytes())
    for text in (str(root.resolve()), *extra):
        digest.update(text.encode())
    return digest.hexdigest()[:16]


def true_outfits(root: Path, split: str | None = None, workers: int = 2) -> list[dict]:
    """Every labelled photo's garments read from its true mask (Outfit.as_dict()-like dicts
    with "photo" and "items"), cached by the reader code's hash."""
    cache = CACHE_DIR / f"ccp-true-outfits-{_reader_digest(root)}.json"
    if cache.exists():
        outfits = json.loads(cache.read_text())
    else:
        photos = labelled_photos(root)
        jobs = [(p.photo_id, str(p.photo), str(p.mask)) for p in photos]
        with ProcessPoolExecutor(workers) as pool:
            outfits = list(pool.map(_outfit_of, jobs, chunksize=8))
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(outfits))
    keep = {p.photo_id for p in split_photos(labelled_photos(root), split)}
    return [o for o in outfits if o["photo"] in keep]


def parsed_tagged_outfits(root: Path) -> list[dict]:
    """CCP's tag-only photos (no masks) as the bot parses them, like `true_outfits` (cached by
    the reader code's and the parser's hash); [] where the folder has none."""
    from inference.parsing.lite0 import parser_digest
    from inference.pipeline import Pipeline, PipelineConfig
    from training.eval_phantoms import tagged_photos

    if not (root / "image_tags.json").exists():
        return []
    cache = CACHE_DIR / f"ccp-parsed-tagged-{_reader_digest(root, parser_digest())}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    pipeline = Pipeline(PipelineConfig())
    outfits = [{"photo": photo_id,
                "items": pipeline.load_and_parse(path.read_bytes())[1].as_dict()["items"]}
               for photo_id, path, _ in tagged_photos(root)]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(outfits))
    return outfits


def colours_by_kind(outfits: Sequence[dict]) -> list[tuple[str, list[int]]]:
    """(category, main colour sRGB) of each outfit's largest garment of each kind: what the
    hue habits learn from (one vote per kind per outfit, as Style Check judges them)."""
    return [(c, i["rgb"]) for o in outfits for c, i in largest_of_each_kind(o).items()]


# fill in the blank -----------------------------------------------------------------------
def blanks(outfits: Sequence[dict], distribution: Compatibility, seed: int = 0
           ) -> list[tuple[str, str, list[Piece], list[str]]]:
    """For each outfit of three or more pieces, each piece hidden in turn: (category, true
    family, the other pieces, four candidate families in random order: the true one and three
    others drawn, without replacement, from the category's colour distribution in
    `distribution`'s photos, the true family excluded)."""
    rng = random.Random(seed)
    out = []
    for outfit in outfits:
        pieces = pieces_of(outfit)
        if len(pieces) < 3:
            continue
        for i, (category, family) in enumerate(pieces):
            counts = distribution.singles.get(category, {})
            pool = {f: n for f, n in counts.items() if f != family and n > 0}
            others: list[str] = []
            while pool and len(others) < 3:
                pick = rng.choices(list(pool), weights=list(pool.values()))[0]
                others.append(pick)
                del pool[pick]
            rest = [f for f in FAMILIES if f != family and f not in others]
            rng.shuffle(rest)
            candidates = [family, *others, *rest[:3 - len(others)]]
            rng.shuffle(candidates)
            out.append((category, family, pieces[:i] + pieces[i + 1:], candidates))
    return out


def fill_in_the_blank(model: Compatibility, questions: Sequence[tuple]) -> dict:
    """Accuracy of the model and of the most-frequent-colour baseline on the questions."""
    ours = freq = 0
    for category, family, others, candidates in questions:
        ours += model.rank(category, others, candidates)[0][0] == family
        freq += max(candidates, key=lambda f: model.prior(category, f)) == family
    n = max(len(questions), 1)
    return {"questions": len(questions), "chance": 0.25, "frequency": round(freq / n, 4),
            "ours": round(ours / n, 4), "over_frequency": round((ours - freq) / n, 4)}


def choose_strengths(outfits: Sequence[dict], folds: int = 5) -> tuple[float, float, float]:
    """The smoothing strengths with the best cross-validated fill-in-the-blank accuracy."""
    order = sorted(outfits, key=lambda o: hashlib.md5(o["photo"].encode()).hexdigest())
    best = (0.0, STRENGTHS[0], STRENGTHS[0])
    for strength in STRENGTHS:
        for pooled in STRENGTHS:
            right = total = 0
            for k in range(folds):
                train = [o for i, o in enumerate(order) if i % folds != k]
                test = order[k::folds]
                model = Compatibility.fit(map(pieces_of, train), FAMILIES, strength, pooled)
                result = fill_in_the_blank(model, blanks(test, model, seed=k))
                right += result["ours"] * result["questions"]
                total += result["questions"]
            accuracy = right / max(total, 1)
            log.info("strength %g, pooled %g: %.4f", strength, pooled, accuracy)
            if accuracy > best[0]:
                best = (accuracy, strength, pooled)
    return best


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="stylebot train compatibility", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train = true_outfits(args.data, "train", args.workers)
    accuracy, strength, pooled = choose_strengths(train)
    names = [(i["category"], i["colour_name"]) for o in train for i in o["items"]]
    street = parsed_tagged_outfits(args.data)
    hues = HueHabits.from_colours(colours_by_kind(train + street))
    model = Compatibility.fit(map(pieces_of, train), FAMILIES, strength, pooled, names, hues)
    model.save(args.out)
    return {"photos": model.photos, "strength": strength, "pooled_strength": pooled,
            "cv_fill_in_the_blank": round(accuracy, 4), "hue_photos": len(train + street),
            "out": str(args.out)}


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
