"""From a photo to an outfit: the parser's label map as garments with colour and pattern."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from PIL import Image
from scipy import ndimage

from inference.core import pattern
from inference.core.colour import Colour
from inference.core.colour_light import Light, colours_in_scene
from inference.core.garments import (
    CLASS_INDEX,
    CLASSES,
    DISPLAY_NAME,
    GARMENT_IDS,
    NON_GARMENT,
)
from inference.parsing.lite0 import resize_long_side

PARSE_LONG_SIDE = 512
#: A garment needs this share of the person's pixels (and 120 pixels) to be listed. Chosen on
#: CCP's 894 tag-only photos (never trained on): the listed classes agree best with their tags
#: at 0.3% (mean Jaccard 0.585; 0.550 at the earlier 0.8%, which dropped most glasses and belts).
MIN_ITEM_SHARE = 0.003
MIN_ITEM_PIXELS = 120
#: A garment is listed only when the parser's mean probability over it reaches this; things a
#: person holds or carries (bags, jewellery: phones and cups are read as them) need more. Chosen
#: on the tuning half of CCP's tag-only photos: for garments any floor trades phantoms for misses
#: about one for one (0.4: phantoms 20.3% -> 19.8%, misses 12.4% -> 13.0%), so there is none;
#: for carried things 0.7 drops most phantom bags and jewellery (75 -> 14) against the tags, but
#: on the held-out masked photos it dropped real bags (street-to-shop bag P@10 0.862 -> 0.707,
#: category P@10 0.855 -> 0.823), so it is off until the tags and the masks agree on bags.
MIN_ITEM_CONFIDENCE = 0.0
MIN_CARRIED_CONFIDENCE = 0.0
CARRIED = frozenset({"bag", "accessory"})
#: A photo whose shorter side is under this many pixels is too coarse to tell garments apart:
#: it gets a word about the image instead of a parse. Tuning-half photos shrunk to 160 / 112 / 80
#: pixels wide: main garments missed 23% / 34% / 63% (21% at full size).
MIN_PHOTO_SIDE = 128
MIN_PATTERN_AREA = 0.04
#: Person size checks (share of the photo, height share of the photo).
MIN_PERSON_SHARE = 0.01
MIN_PERSON_HEIGHT = 0.25
#: Mean absolute difference between horizontally neighbouring grey values (0-255) above which a
#: picture is a noise-like texture, not a photo of someone: street photos (CCP) and the demo
#: catalogue's garment photos measure 3-16, random noise 85, which the parser otherwise reads
#: as one large "grey dress" or two people. (A skin-and-hair floor caught noise too, but also a
#: third of photos of a garment on its own, which "where can I buy this?" must still read.)
MAX_NEIGHBOUR_DIFFERENCE = 40.0


class Parser(Protocol):
    def segment(self, image: Image.Image) -> np.ndarray:
        """uint8 class ids (H, W) at the image's own size, in inference.core.garments's classes."""

    def segment_scored(self, image: Image.Image) -> tuple[np.ndarray, dict[int, float]]:
        """The same labels, and each class's mean confidence (0-1) over its pixels."""


@dataclass
class Item:
    category: str
    colours: list[Colour]
    pattern: str
    area: float  # share of the person's pixels
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in parse-image pixels
    fine_label: str | None = None
    confidence: float = 1.0  # the parser's mean probability over the item's pixels

    @property
    def colour(self) -> Colour:
        return self.colours[0]

    @property
    def noun(self) -> str:
        return self.fine_label or DISPLAY_NAME[self.category]

    @property
    def name(self) -> str:
        """'steel blue bag', 'striped navy top'."""
        prefix = f"{self.pattern} " if self.pattern not in ("solid", "printed") else ""
        return f"{prefix}{self.colour.name} {self.noun}"

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "fine_label": self.fine_label,
            "name": self.name,
            "colour_name": self.colour.name,
            "colour_family": self.colour.family,
            "css_name": self.colour.css_name,
            "rgb": list(self.colour.rgb),
            "colours": [
                {
                    "name": c.name,
                    "family": c.family,
                    "rgb": list(c.rgb),
                    "share": round(c.share, 3),
                }
                for c in self.colours
            ],
            "pattern": self.pattern,
            "area": round(self.area, 4),
            "box": list(self.box),
            "confidence": round(self.confidence, 3),
        }


@dataclass
class Outfit:
    image: Image.Image  # the photo at parse size
    labels: np.ndarray  # class ids at parse size
    items: list[Item]
    person_share: float
    people: int
    person_height: float
    skin_share: float = 0.0  # visible skin over the person's pixels
    #: "no_person", "low_resolution", "tiny", "several_people" (the others left out)
    problems: list[str] = field(default_factory=list)
    main: np.ndarray | None = None  # the main person's pixels (whose garments are listed)
    # The parser's deepest features averaged over the garments (unit length), when the parser
    # gives them: the diary's repeat embedding reads it instead of running a second backbone.
    appearance: np.ndarray | None = None

    @property
    def summary(self) -> str:
        return " · ".join(item.name for item in self.items)

    def garment_mask(self, category: str) -> np.ndarray:
        """The pixels of `category` on the main person (whose garments are listed)."""
        mask = self.labels == CLASS_INDEX[category]
        return mask & self.main if self.main is not None else mask

    def palette(self) -> list[Colour]:
        """Garment colours over the whole outfit, weighted by area; one swatch per colour name
        (a black top and black shoes are one black), shown in the shade that covers most."""
        by_name: dict[str, list[Colour]] = defaultdict(list)
        for item in self.items:
            for c in item.colours:
                by_name[c.name].append(replace(c, share=c.share * item.area))
        colours = [
            replace(max(shades, key=lambda c: c.share), share=sum(c.share for c in shades))
            for shades in by_name.values()
        ]
        return sorted(colours, key=lambda c: -c.share)[:6]

    def as_dict(self) -> dict:
        return {
            "size": list(self.image.size),
            "items": [i.as_dict() for i in self.items],
            "summary": self.summary,
            "person_share": round(self.person_share, 4),
            "people": self.people,
            "problems": self.problems,
            "skin_share": round(self.skin_share, 4),
            "palette": [
                {"name": c.name, "family": c.family, "rgb": list(c.rgb)} for c in self.palette()
            ],
        }


def _fine_label(category: str, colours: list[Colour]) -> str | None:
    # Blue or navy trousers in street photos are nearly always denim.
    if category == "pants" and colours[0].family in {"blue", "navy"}:
        return "jeans"
    return None


def _find_people(person: np.ndarray) -> tuple[int, float, np.ndarray]:
    """How many large separate person regions there are (side by side), the main one's height
    share, and its pixels: with several people the outfit is the main one's, and a
    person-labelled blob in the background is no one's."""
    small = person[::4, ::4]
    # closing joins a person's parts; its erosion at the photo's edges must not drop any
    labelled, count = ndimage.label(ndimage.binary_closing(small, iterations=2) | small)
    if not count:
        return 0, 0.0, np.zeros_like(person)
    sizes = np.bincount(labelled.ravel())[1:]
    large = sizes >= max(0.35 * sizes.max(), 0.03 * small.size)
    main = int(np.argmax(np.where(large, sizes * _centrality(labelled, count), 0))) + 1
    rows = np.nonzero((labelled == main).any(1))[0]
    height = (rows.max() - rows.min() + 1) / small.shape[0]
    # one cell wider, so the region keeps the edges that the every-4th-pixel sampling misses
    region = ndimage.binary_dilation(labelled == main)
    full = region.repeat(4, 0).repeat(4, 1)[: person.shape[0], : person.shape[1]]
    return int(large.sum()), float(height), full


def _centrality(labelled: np.ndarray, count: int) -> np.ndarray:
    """Per region, 1 at the photo's centre line falling to 0.5 at its sides: of two people of
    about the same size, the one in the middle is the one the photo is of."""
    centres = ndimage.center_of_mass(np.ones_like(labelled), labelled, np.arange(1, count + 1))
    x = np.array([c[1] for c in centres]) / max(labelled.shape[1] - 1, 1)
    return 1.0 - np.abs(x - 0.5)


def garment_colours(rgb: np.ndarray, mask: np.ndarray,
                    scene: np.ndarray | Light | None = None) -> list[Colour]:
    """A garment's main colours (k-means in CIELAB), from its inner pixels: mask borders mix in
    skin and background; a strong light cast estimated from `scene` (background pixels) is
    undone first. Evaluations and training use this same rule for true garments."""
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    if rows.size:  # the garment's box only: eroding the whole photo's mask costs 4x more
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        rgb, mask = rgb[box], mask[box]
    inner = ndimage.binary_erosion(mask, iterations=1)
    source = inner if inner.sum() >= 60 else mask
    return colours_in_scene(rgb[source], scene)


def scene_pixels(rgb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Background pixels (every 4th): what garment_colours reads the light's colour from
    (taken by index: only the quarter kept is copied)."""
    every = np.flatnonzero(labels.ravel() == CLASS_INDEX["background"])[::4]
    return rgb.reshape(-1, 3)[every]


def items_from_labels(
    image: Image.Image,
    labels: np.ndarray,
    confidence: dict[int, float] | None = None,
    worn: np.ndarray | None = None,
) -> list[Item]:
    """The garments in `labels`, counting only pixels inside `worn` (the main person's region)
    when given: a stray patch of "scarf" on a wall behind someone is not something they wear,
    nor is a passer-by's coat."""
    rgb = np.asarray(image.convert("RGB"))
    person = labels != CLASS_INDEX["background"]
    person_pixels = int((person if worn is None else person & worn).sum())
    light = Light(scene_pixels(rgb, labels))  # the light's colour, for every item
    # the labels inside `worn` (background elsewhere): every class's pixel count and box in
    # one pass each, instead of a mask and its coordinates per class
    owned = labels if worn is None else np.where(worn, labels, CLASS_INDEX["background"])
    counts = np.bincount(owned.ravel(), minlength=len(CLASSES))
    boxes = ndimage.find_objects(owned)
    items: list[Item] = []
    for cls in np.unique(labels):
        category = CLASSES[int(cls)]
        if category in NON_GARMENT:
            continue
        pixels = int(counts[cls])
        # a class seen only after upsampling has no confidence: treat it as unsure
        sure = 1.0 if confidence is None else confidence.get(int(cls), 0.0)
        if not _listed(category, pixels, person_pixels, sure):
            continue
        rows, cols = boxes[int(cls) - 1]  # find_objects counts from label 1
        box = (cols.start, rows.start, cols.stop, rows.stop)
        sub = (rows, cols)
        mask = owned[sub] == cls
        colours = garment_colours(rgb[sub], mask, light)
        # Texture on small garments (shoes, glasses, belts) is mostly edges and shine.
        area = pixels / max(person_pixels, 1)
        kind = pattern.detect(rgb[sub], mask)[0] if area >= MIN_PATTERN_AREA else "solid"
        items.append(
            Item(
                category,
                colours,
                kind,
                area,
                box,
                _fine_label(category, colours),
                sure,
            )
        )
    items.sort(key=lambda i: -i.area)
    return items


def _listed(category: str, pixels: int, person_pixels: int, confidence: float) -> bool:
    """Whether a garment is big and sure enough to be named."""
    if pixels < MIN_ITEM_PIXELS or pixels < MIN_ITEM_SHARE * person_pixels:
        return False
    return confidence >= (MIN_CARRIED_CONFIDENCE if category in CARRIED else MIN_ITEM_CONFIDENCE)


def _noise_like(photo: Image.Image) -> bool:
    """Measured on the photo as sent (downscaling averages noise away), in its middle."""
    w, h = photo.size
    box = (max(0, w // 2 - 256), max(0, h // 2 - 256), min(w, w // 2 + 256), min(h, h // 2 + 256))
    grey = np.asarray(photo.crop(box).convert("L"), dtype=np.int16)
    return float(np.abs(np.diff(grey, axis=1)).mean()) > MAX_NEIGHBOUR_DIFFERENCE


def parse_outfit(photo: Image.Image, segmenter: Parser) -> Outfit:
    return parse_outfits([photo], segmenter)[0]


def parse_outfits(photos: Sequence[Image.Image], segmenter: Parser) -> list[Outfit]:
    """Each photo's outfit; a parser that can (Lite0) runs the photos of one size as one batch."""
    images = [resize_long_side(p, PARSE_LONG_SIDE) if max(p.size) > PARSE_LONG_SIDE else p
              for p in photos]
    if hasattr(segmenter, "segment_many"):  # labels, confidences and deepest features
        parsed = segmenter.segment_many(images)
    else:
        parsed = [(*segmenter.segment_scored(image), None) for image in images]
    return [_outfit(photo, image, *found)
            for photo, image, found in zip(photos, images, parsed, strict=True)]


def _outfit(photo: Image.Image, image: Image.Image, labels: np.ndarray,
            confidence: dict[int, float], deep: np.ndarray | None) -> Outfit:
    person = labels != CLASS_INDEX["background"]
    person_share = float(person.mean())
    people, height, main = _find_people(person)
    skin = float((labels == CLASS_INDEX["skin"]).sum() / max(int(person.sum()), 1))
    problems = []
    if min(photo.size) < MIN_PHOTO_SIDE:
        problems.append("low_resolution")
    elif person_share < MIN_PERSON_SHARE or people == 0 or _noise_like(photo):
        problems.append("no_person")
    elif height < MIN_PERSON_HEIGHT:
        problems.append("tiny")
    elif people > 1:
        problems.append("several_people")
    listing = not {"low_resolution", "no_person"} & set(problems)
    items = items_from_labels(image, labels, confidence, main) if listing else []
    appearance = masked_mean(deep, np.isin(labels, GARMENT_IDS)) \
        if deep is not None and listing else None
    return Outfit(image, labels, items, person_share, people, height, skin, problems, main,
                  appearance)


def masked_mean(features: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """`features` (C, h, w) averaged over `mask` (H, W, any size) brought to their grid (each
    cell weighted by the share of it the mask covers), L2-normalised; None for an empty mask."""
    weights = adaptive_mean(mask.astype(np.float32), features.shape[1:])
    total = float(weights.sum())
    if total <= 0:
        return None
    vec = np.einsum("chw,hw->c", features, weights / total).astype(np.float64)
    return vec / (np.linalg.norm(vec) + 1e-12)


def adaptive_mean(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W) averaged into a (h, w) grid of cells, cell i spanning rows floor(i*H/h) to
    ceil((i+1)*H/h) (torch's adaptive_avg_pool2d), from cumulative sums."""
    def bounds(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
        i = np.arange(n_out)
        return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)

    table = np.zeros((values.shape[0] + 1, values.shape[1] + 1), np.float64)
    table[1:, 1:] = values.cumsum(0).cumsum(1)
    (r0, r1), (c0, c1) = bounds(values.shape[0], size[0]), bounds(values.shape[1], size[1])
    total = (table[r1][:, c1] - table[r0][:, c1] - table[r1][:, c0] + table[r0][:, c0])
    return total / np.outer(r1 - r0, c1 - c0)


def drawn_outfit() -> Outfit:
    """A figure drawn from rectangles (hair, face, a dark blue top, jeans, black shoes, on a
    grey wall), its labels drawn too, so no network runs: what a fresh worker process runs a
    photo reply's steps on before its first user (bot/app.py)."""
    w, h = 320, 512
    labels = np.zeros((h, w), np.uint8)
    rgb = np.full((h, w, 3), 150, np.uint8)
    noise = np.random.default_rng(0).integers(-6, 7, (h, w, 3))  # fabric is never flat
    for name, (x0, y0, x1, y1), colour in (
            ("hair", (125, 20, 195, 60), (40, 30, 25)), ("skin", (130, 50, 190, 110),
                                                        (225, 180, 150)),
            ("top", (95, 110, 225, 270), (30, 40, 80)), ("pants", (110, 270, 210, 450),
                                                         (70, 110, 170)),
            ("footwear", (105, 450, 215, 490), (20, 20, 20))):
        labels[y0:y1, x0:x1] = CLASS_INDEX[name]
        rgb[y0:y1, x0:x1] = colour
    image = Image.fromarray(np.clip(rgb + noise, 0, 255).astype(np.uint8))
    confidence = {int(c): 0.9 for c in np.unique(labels)}
    return _outfit(image, image, labels, confidence, None)
