"""`stylebot eval suggestions --data DIR [--split val] [--limit 100] [--out DIR] [--json]`: do
the photo suggestions hold up on the photo itself?

Each photo is parsed as the bot parses an upload; inference/stylecheck/advice.py suggests one
change (timed). A colour change is then made on the photo (recolour_to inside the garment's parsed
mask, as the bot's before/after picture shows it), the changed photo is parsed again, and the
suggestion counts as confirmed when Style Check's prior utility of the re-parsed outfit is
higher than the original's: the parser, not the suggestion's own edited dict, has the last
word. As in the bot, a colour change whose garment the colour code does not read back as the
new colour (a patchy region) is dropped first, and counted apart. Additions and plain
patterns cannot be drawn, so they are only counted.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from inference.core.recolour import before_after
from inference.pipeline import Pipeline, PipelineConfig
from inference.stylecheck.advice import confirmed_photo, suggest, utility
from inference.styles.compatibility import shipped
from training.ccp_data import labelled_photos, split_photos

#: Before/after pictures kept for a look by eye.
PICTURES = 20


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95)
    return buf.getvalue()


def evaluate_suggestions(data: Path, split: str | None = "val", limit: int | None = 100,
                         out: Path | None = None) -> dict:
    pipeline = Pipeline(PipelineConfig())
    photos = split_photos(labelled_photos(data), split)[:limit]
    kinds: Counter[str] = Counter()
    times, predicted, realised = [], [], []
    confirmed = 0
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    shipped()  # loaded once per process, as in the bot: not part of a suggestion's time
    for photo in photos:
        _, outfit = pipeline.load_and_parse(photo.photo.read_bytes())
        parsed = outfit.as_dict()
        start = time.perf_counter()
        found = suggest(parsed)
        times.append((time.perf_counter() - start) * 1000)
        kinds[found.kind if found else "none"] += 1
        if found is None or found.kind != "recolour":
            continue
        after = confirmed_photo(outfit, found.category, found.family)
        if after is None:  # the bot drops a change its colour code cannot read back
            kinds["recolour dropped: not read back"] += 1
            continue
        _, again = pipeline.load_and_parse(_jpeg(after))
        gain = utility(again.as_dict()) - utility(parsed)
        predicted.append(found.gain)
        realised.append(gain)
        confirmed += gain > 0
        if out is not None and len(realised) <= PICTURES:
            labels = ("now", f"{found.category} in {found.family} ({gain:+.2f})")
            picture = before_after(outfit.image, after, labels)
            picture.save(out / f"{photo.photo_id}.jpg", quality=90)
    recoloured = len(realised)
    return {
        "split": split or "all", "photos": len(photos), "kinds": dict(kinds),
        "recolours_checked": recoloured,
        "confirmed_share": round(confirmed / recoloured, 3) if recoloured else None,
        "predicted_gain_mean": round(float(np.mean(predicted)), 3) if predicted else None,
        "realised_gain_mean": round(float(np.mean(realised)), 3) if realised else None,
        "suggest_ms_median": round(float(np.median(times)), 1) if times else None,
        "suggest_ms_p95": round(float(np.percentile(times, 95)), 1) if times else None,
    }
