"""`stylebot catalog import FILE|DIR`: CSV or JSON product feeds into the catalogue table.

A feed row needs an id and an image (a local path, relative to the feed's folder, or an http(s)
URL); everything else is optional and never invented: no price or link in the feed means none
in the catalogue. Columns are matched by common names (`title`/`name`/`productDisplayName`,
`articleType`/`product_type`, `colour`/`color`/`baseColour`, `brand`, `url`/`link`,
`image`/`image_url`),
so ../shared/data/products/catalog.csv imports as it is (its images are `images/<id>.jpg`).
Classes and colour families come from inference.shop.catalog_terms.

URLs are fetched with aiohttp: at most `concurrency` at once, a timeout per request, retries
with backoff on timeouts, connection errors, 429 and 5xx (never on other 4xx), a size limit and
a tqdm progress bar. A bad row or a dead image is reported and skipped; re-importing the same feed
changes nothing (rows are upserted by id, downloaded images are reused).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
from PIL import Image
from tqdm import tqdm

from inference.shop.catalog_terms import category_for, family_for
from storage.catalog import CatalogStore

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "sku", "product_id", "item_id"),
    "title": ("title", "name", "productdisplayname", "product_name"),
    "brand": ("brand", "brand_name"),
    "category": ("category", "class"),
    "shop_category": ("shop_category", "articletype", "product_type", "type", "subcategory"),
    "colour": ("colour", "color", "basecolour", "basecolor", "colour_name", "color_name"),
    "price": ("price", "sale_price"),
    "currency": ("currency",),
    "url": ("url", "link", "product_url"),
    "image": ("image", "image_url", "image_path", "img", "picture"),
    "demo": ("demo",),
}
SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR"}


class FeedError(ValueError):
    """The feed itself cannot be read (not a bad row: the whole file)."""


@dataclass
class ImportReport:
    feed: str
    source: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    downloaded: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"row", "reason"}
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in (
            "feed", "source", "rows", "added", "updated", "unchanged", "downloaded", "skipped",
            "seconds")}


@dataclass
class FetchOptions:
    concurrency: int = 8
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 0.5
    progress: bool = True


# reading feeds ---------------------------------------------------------------------------
def feed_files(path: Path) -> list[Path]:
    """A file, or the feeds at the top of a folder (catalog.csv / items.csv first)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FeedError(f"{path}: no such file or folder")
    found = sorted(p for p in path.iterdir()
                   if p.suffix.lower() in (".csv", ".json", ".jsonl") and p.is_file())
    if not found:
        raise FeedError(f"{path}: no .csv or .json feed in this folder")
    return found


def read_rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as f:
                return list(csv.DictReader(f))
        text = path.read_text(encoding="utf-8")
        if suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as err:
        raise FeedError(f"{path}: {err}") from err
    if isinstance(data, dict):
        data = data.get("items") or data.get("products") or []
    if not isinstance(data, list):
        raise FeedError(f"{path}: expected a list of items")
    return data


def _pick(row: dict[str, Any], key: str) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    for name in ALIASES[key]:
        value = lowered.get(name)
        if value is not None and str(value).strip() != "":
            return value.strip() if isinstance(value, str) else value
    return None


def parse_price(value: Any) -> tuple[float | None, str | None]:
    """'12.50' -> (12.5, None); '€12,50' -> (12.5, 'EUR'); '' -> (None, None)."""
    if value is None or str(value).strip() == "":
        return None, None
    if isinstance(value, (int, float)):
        price, currency = float(value), None
    else:
        text = str(value).strip()
        currency = next((code for sym, code in SYMBOLS.items() if sym in text), None)
        number = re.sub(r"[^\d.,\-]", "", text)
        if "," in number and "." not in number:
            number = number.replace(",", ".")
        number = number.replace(",", "")
        try:
            price = float(number)
        except ValueError:
            raise ValueError(f"price {value!r} is not a number") from None
    if not price >= 0 or price > 1e9:
        raise ValueError(f"price {value!r} is out of range")
    return round(price, 2), currency


def normalise_row(raw: dict[str, Any], source: str, base: Path,
                  demo: bool = False) -> dict[str, Any]:
    """A feed row as a catalogue row (image still a reference); ValueError says why it's bad."""
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    raw_id = _pick(raw, "id")
    if raw_id is None or not re.fullmatch(r"[\w.\-:/]{1,80}", str(raw_id)):
        raise ValueError("missing or odd id")
    image = _pick(raw, "image")
    if image is None:
        default = base / "images" / f"{raw_id}.jpg"
        if not default.exists():
            raise ValueError("no image")
        image = str(default)
    title = _pick(raw, "title")
    shop_category = _pick(raw, "shop_category")
    price, symbol_currency = parse_price(_pick(raw, "price"))
    url = _pick(raw, "url")
    if url is not None and urlparse(str(url)).scheme not in ("http", "https"):
        raise ValueError(f"link {str(url)[:60]!r} is not an http(s) address")
    colour = _pick(raw, "colour")
    brand = _pick(raw, "brand")
    category = category_for(shop_category, title, _pick(raw, "category"))
    flagged = str(_pick(raw, "demo") or "").lower() in ("1", "true", "yes")
    return {
        "id": f"{source}:{raw_id}",
        "title": str(title) if title else f"{shop_category or category} {raw_id}",
        "brand": " ".join(str(brand).split())[:60] if brand else None,
        "category": category,
        "shop_category": str(shop_category) if shop_category else None,
        "colour_name": str(colour).lower() if colour else None,
        "colour_family": family_for(str(colour)) if colour else None,
        "price": price,
        "currency": (str(_pick(raw, "currency")).upper() if _pick(raw, "currency")
                     else symbol_currency) if price is not None else None,
        "url": str(url) if url else None,
        "image": str(image),
        "demo": int(demo or flagged),
        "source": source,
    }


# images ----------------------------------------------------------------------------------
def is_url(ref: str) -> bool:
    return urlparse(ref).scheme in ("http", "https")


def check_image(data: bytes) -> None:
    """Raise ValueError unless the bytes are a decodable, sanely sized image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size[0] * image.size[1] > MAX_IMAGE_PIXELS:
                raise ValueError(f"image of {image.size[0]}x{image.size[1]} is too large")
            image.verify()
    except (OSError, SyntaxError, Image.DecompressionBombError) as err:
        raise ValueError(f"not a readable image ({err.__class__.__name__})") from None


def url_target(images_dir: Path, url: str) -> Path:
    suffix = Path(urlparse(url).path).suffix.lower()
    suffix = suffix if suffix in (".jpg", ".jpeg", ".png", ".webp", ".gif") else ".img"
    return images_dir / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}{suffix}"


async def _fetch_one(session: aiohttp.ClientSession, url: str, target: Path,
                     options: FetchOptions, gate: asyncio.Semaphore) -> str | None:
    """Download `url` to `target`; None on success, else the reason it failed."""
    reason = "not tried"
    for attempt in range(options.retries + 1):
        if attempt:
            await asyncio.sleep(options.backoff * 2 ** (attempt - 1))
        try:
            async with gate, session.get(url) as response:
                if response.status == 429 or response.status >= 500:
                    reason = f"HTTP {response.status}"
                    continue
                if response.status != 200:
                    return f"HTTP {response.status}"
                if (response.content_length or 0) > MAX_IMAGE_BYTES:
                    return "image larger than 15 MB"
                data = bytearray()
                async for chunk in response.content.iter_chunked(65536):
                    data += chunk
                    if len(data) > MAX_IMAGE_BYTES:
                        return "image larger than 15 MB"
            check_image(bytes(data))
        except ValueError as bad:
            return str(bad)
        except TimeoutError:
            reason = "timed out"
            continue
        except aiohttp.ClientError as err:
            reason = f"connection failed ({err.__class__.__name__})"
            continue
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(bytes(data))
        tmp.replace(target)
        return None
    return f"{reason} after {options.retries + 1} tries"


async def fetch_images(urls: list[str], images_dir: Path,
                       options: FetchOptions | None = None) -> dict[str, str | None]:
    """url -> None (stored at url_target) or the failure reason; already stored ones are kept."""
    options = options or FetchOptions()
    images_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, str | None] = {}
    todo = []
    for url in dict.fromkeys(urls):
        if url_target(images_dir, url).exists():
            results[url] = None
        else:
            todo.append(url)
    if not todo:
        return results
    gate = asyncio.Semaphore(options.concurrency)
    timeout = aiohttp.ClientTimeout(total=options.timeout, sock_connect=min(10, options.timeout))
    headers = {"User-Agent": "stylebot-catalogue/0.1 (+self-hosted)"}
    bar = tqdm(total=len(todo), desc="images", unit="img", disable=not options.progress,
               file=sys.stderr)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:

        async def one(url: str) -> None:
            results[url] = await _fetch_one(session, url, url_target(images_dir, url), options,
                                            gate)
            bar.update(1)

        await asyncio.gather(*(one(u) for u in todo))
    bar.close()
    return results


# the import ------------------------------------------------------------------------------
def import_feed(path: Path, catalog: CatalogStore, images_dir: Path, source: str | None = None,
                demo: bool = False, options: FetchOptions | None = None) -> ImportReport:
    """Import every feed at `path` (a file or folder); see the module docstring."""
    path = Path(path)
    files = feed_files(path)
    base = path if path.is_dir() else path.parent
    source = source or default_source(path)
    report = ImportReport(str(path), source)
    started = time.monotonic()
    rows: list[tuple[str, dict]] = []
    for file in files:
        for n, raw in enumerate(read_rows(file), start=2 if file.suffix == ".csv" else 1):
            ref = f"{file.name}:{n}"
            report.rows += 1
            try:
                rows.append((ref, normalise_row(raw, source, base, demo)))
            except ValueError as bad:
                report.skipped.append({"row": ref, "reason": str(bad)})
    urls = list(dict.fromkeys(row["image"] for _, row in rows if is_url(row["image"])))
    stored = {u for u in urls if url_target(Path(images_dir), u).exists()}
    fetched = asyncio.run(fetch_images(urls, Path(images_dir), options)) if urls else {}
    report.downloaded = sum(1 for u in urls if u not in stored and fetched.get(u) is None)
    good = []
    for ref, row in rows:
        try:
            row["image_path"], row["image_sha256"] = _local_image(row["image"], base,
                                                                  Path(images_dir), fetched)
        except ValueError as bad:
            report.skipped.append({"row": ref, "reason": f"image {row['image'][:80]}: {bad}"})
            continue
        row["feed"] = str(path)
        good.append(row)
    result = catalog.upsert(good)
    report.added, report.updated = len(result.added), len(result.updated)
    report.unchanged = len(result.unchanged)
    report.seconds = round(time.monotonic() - started, 2)
    for skipped in report.skipped:
        log.warning("skipped %s: %s", skipped["row"], skipped["reason"])
    return report


def default_source(path: Path) -> str:
    """'products' for products/ or products/catalog.csv, 'spring' for spring.json."""
    name = path.name if path.is_dir() else path.stem
    if not path.is_dir() and name.lower() in ("catalog", "items", "feed", "products"):
        name = path.resolve().parent.name
    return re.sub(r"[^\w\-]", "-", name) or "feed"


def _local_image(ref: str, base: Path, images_dir: Path,
                 fetched: dict[str, str | None]) -> tuple[str, str]:
    if is_url(ref):
        if fetched.get(ref, "not fetched") is not None:
            raise ValueError(fetched.get(ref) or "not fetched")
        local = url_target(images_dir, ref)
    else:
        local = Path(ref[7:] if ref.startswith("file://") else ref)
        local = local if local.is_absolute() else base / local
        if not local.is_file():
            raise ValueError("no such file")
    data = local.read_bytes()
    check_image(data)
    return str(local.resolve()), hashlib.sha256(data).hexdigest()
