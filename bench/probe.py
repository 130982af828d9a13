"""Replay the hardening probe against a real web chat server: `python -m bench.probe [--json]`.

Starts `stylebot serve` (the web chat) in a subprocess on 127.0.0.1 with a fresh database and
files folder, then, from outside, as an attacker and a careless client would:
1. hostile inputs: empty, truncated, non-image, decompression-bomb, 16-bit, animated, huge-
   header and random-byte uploads; each must get an HTTP answer with a kind JSON message (no
   5xx) and the server must still answer /healthz;
2. a cookie-less flood: 100 photos at once, no cookies, from one address; counts how many were
   analysed and how many refused, and the latency of another user's photo meanwhile;
3. memory: the server's resident memory before and after 500 cookie-less first messages;
4. load: 5, 10 and 20 sessions sending two photos each at once: photos per second, p95 latency,
   and /help's p95 meanwhile;
5. kill -9 rounds: photos sent, the server killed mid-stream, restarted; acknowledged photos
   whose outfit is not in the database are lost (must be 0);
6. two servers on one database: photos sent to both at once; every answered photo stored, the
   database intact.
The server trusts 127.0.0.1 as its reverse proxy, and each simulated person sends their own
X-Forwarded-For address (the attacker one address; each load session its own), as they would
reach a deployment behind a proxy; a server without that setting sees every local client as
one address. Figures go to BENCHMARKS.md ("Hardening probe"). A few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import aiohttp
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = sorted((ROOT / "tests" / "data" / "ccp_sample" / "photos").glob("*.jpg"))


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def hostile_inputs() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type) of uploads a careless or hostile client sends."""
    photo = PHOTOS[0].read_bytes()
    grey16 = Image.open(PHOTOS[0]).convert("L")
    grey16 = Image.fromarray(np.asarray(grey16).astype(np.uint16) * 257)
    gif = io.BytesIO()
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue")]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")
    rng = np.random.default_rng(0)
    return {
        "empty": (b"", "image/jpeg"),
        "truncated jpeg": (photo[: len(photo) // 3], "image/jpeg"),
        "pdf": (b"%PDF-1.4 not a photo", "application/pdf"),
        "text as jpeg": (b"hello, this is not a picture" * 40, "image/jpeg"),
        "random bytes": (rng.bytes(50_000), "image/jpeg"),
        "decompression bomb": (bomb.getvalue(), "image/png"),
        "16-bit grey png": (_png(grey16), "image/png"),
        "animated gif": (gif.getvalue(), "image/gif"),
        "noise texture": (_png(Image.fromarray(rng.integers(0, 255, (400, 300, 3),
                                                            dtype=np.uint8))), "image/png"),
        "tiny": (_png(Image.new("RGB", (8, 8), "white")), "image/png"),
        "svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    }


class Server:
    """`stylebot serve` in a subprocess, on its own port, database and files folder (`env`:
    more settings, e.g. STYLEBOT_WORKERS__SHARED for several workers on one database)."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.port, self.workdir, self.process = _free_port(), workdir, None
        self.env = env or {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {**os.environ, "STYLEBOT_WEB__PORT": str(self.port),
               "STYLEBOT_STORAGE__DATABASE": str(self.workdir / "probe.db"),
               "STYLEBOT_STORAGE__FILES_DIR": str(self.workdir / "files"),
               "STYLEBOT_WEB__TRUSTED_PROXIES": '["127.0.0.1"]',
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **self.env}
        env.pop("STYLEBOT_TELEGRAM__TOKEN", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=open(self.workdir / "server.log", "ab"))
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("the server did not start: see " + str(self.workdir / "server.log"))

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines()
                  if line.startswith("VmRSS:"))
        return round(kb / 1024, 1)

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(30)


ATTACKER = "203.0.113.9"


def person(address: str, cookies: bool = True) -> aiohttp.ClientSession:
    """A client at `address` (sent as X-Forwarded-For through the trusted local proxy)."""
    jar = aiohttp.CookieJar(unsafe=True) if cookies else aiohttp.DummyCookieJar()
    return aiohttp.ClientSession(cookie_jar=jar, headers={"X-Forwarded-For": address})


async def post(http: aiohttp.ClientSession, url: str, *, text: str | None = None,
               photo: tuple[bytes, str] | None = None,
               callback: str | None = None) -> tuple[int, dict, float]:
    form = aiohttp.FormData(default_to_multipart=True)
    if text is not None:
        form.add_field("text", text)
    if callback is not None:
        form.add_field("callback", callback)
    if photo is not None:
        form.add_field("photo", photo[0], filename="upload", content_type=photo[1])
    started = time.perf_counter()
    try:
        async with http.post(url + "/api/message", data=form) as resp:
            body = await resp.json(content_type=None)
            return resp.status, body or {}, time.perf_counter() - started
    except (aiohttp.ClientError, json.JSONDecodeError):
        return 0, {}, time.perf_counter() - started


def _analysed(status: int, body: dict) -> bool:
    return status == 200 and any(r.get("images") for r in body.get("replies", []))


async def hostile(server: Server, pace: float = 6.5) -> dict:
    """One client, paced as a person would be (a photo costs 3 of the default burst of 12,
    refilled at 0.5 a second), so the rate limit is not what answers."""
    answers = {}
    async with person("198.51.100.7") as http:
        for name, upload in hostile_inputs().items():
            status, body, _ = await post(http, server.url, photo=upload)
            await asyncio.sleep(pace)
            message = body.get("message") or " ".join(
                r.get("text", "") for r in body.get("replies", []))
            answers[name] = {"status": status, "kind": bool(message) and status < 500,
                             "says": message[:90]}
        async with http.get(server.url + "/healthz") as resp:
            alive = resp.status == 200
    return {"answered_kindly": sum(a["kind"] for a in answers.values()), "of": len(answers),
            "alive_after": alive, "answers": answers}


async def flood(server: Server, n: int = 100) -> dict:
    photo = (PHOTOS[1].read_bytes(), "image/jpeg")

    async def cookieless() -> tuple[int, dict, float]:
        async with person(ATTACKER, cookies=False) as http:  # never keeps a cookie
            return await post(http, server.url, photo=photo)

    async with person("198.51.100.8") as user:
        await post(user, server.url, text="hi")  # a known user, cookie set
        attack = [asyncio.create_task(cookieless()) for _ in range(n)]
        await asyncio.sleep(0.5)
        _, _, other = await post(user, server.url, photo=(PHOTOS[2].read_bytes(), "image/jpeg"))
        results = await asyncio.gather(*attack)
    statuses = [s for s, _, _ in results]
    return {"photos": n, "analysed": sum(_analysed(s, b) for s, b, _ in results),
            "refused_429_503": sum(s in (429, 503) for s in statuses),
            "errors_5xx_other": sum(s >= 500 and s != 503 for s in statuses),
            "other_users_photo_s": round(other, 2)}


async def memory(server: Server, users: int = 500) -> dict:
    before = server.rss_mb()
    sem = asyncio.Semaphore(20)

    async def one(i: int) -> None:
        async with sem, person(ATTACKER, cookies=False) as http:
            await post(http, server.url, text=f"hello {i}")

    await asyncio.gather(*(one(i) for i in range(users)))
    with closing(sqlite3.connect(server.workdir / "probe.db")) as db:
        rows = db.execute("select count(*) from users").fetchone()[0]
    return {"new_clients": users, "rss_before_mb": before, "rss_after_mb": server.rss_mb(),
            "users_rows": rows}


async def load(server: Server, sessions: int) -> dict:
    photos = [(p.read_bytes(), "image/jpeg") for p in PHOTOS]

    async def client(k: int) -> tuple[list[float], int]:
        async with person(f"10.0.{sessions}.{k + 1}") as http:
            await post(http, server.url, text="hi")
            times, busy = [], 0
            for j in range(2):
                status, body, seconds = await post(http, server.url,
                                                   photo=photos[(k + j) % len(photos)])
                if status == 200:  # analysed, or (the second) "compare these two?"
                    times.append(seconds)
                busy += status == 503
            return times, busy

    async def helps(stop: asyncio.Event) -> list[float]:
        times = []
        async with person(f"10.1.{sessions}.1") as http:
            while not stop.is_set():
                _, _, seconds = await post(http, server.url, text="/help")
                times.append(seconds)
                await asyncio.sleep(0.3)
        return times

    stop = asyncio.Event()
    probe = asyncio.create_task(helps(stop))
    started = time.perf_counter()
    done = await asyncio.gather(*(client(k) for k in range(sessions)))
    wall = time.perf_counter() - started
    stop.set()
    help_times = await probe
    latencies = sorted(t for times, _ in done for t in times)
    return {"sessions": sessions, "photos_sent": 2 * sessions,
            "photos_answered": len(latencies),
            "refused_busy": sum(busy for _, busy in done),
            "photos_per_s": round(len(latencies) / wall, 2),
            "p95_s": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
            "help_p95_ms": round(1000 * float(np.percentile(help_times, 95)), 1)
            if help_times else None}


async def kill_rounds(workdir: Path, rounds: int = 3) -> dict:
    acknowledged, lost = 0, 0
    photo = (PHOTOS[0].read_bytes(), "image/jpeg")
    for _ in range(rounds):
        server = Server(workdir)
        await server.start()
        people = [person(f"10.2.{len(PHOTOS)}.{k}") for k in range(3)]
        tasks = [asyncio.create_task(post(http, server.url, photo=photo))
                 for http in people for _ in range(2)]
        # killed while writing: once the first photo is answered, the rest still in flight
        pending, answered = set(tasks), 0
        while pending and not answered:
            done, pending = await asyncio.wait(pending, timeout=120,
                                               return_when=asyncio.FIRST_COMPLETED)
            answered += sum(_analysed(*t.result()[:2]) for t in done)
            if not done:
                break
        server.stop(kill=True)
        results = await asyncio.gather(*tasks)
        for http in people:
            await http.close()
        acknowledged += sum(_analysed(s, b) for s, b, _ in results)
        await asyncio.sleep(0.5)
    with closing(sqlite3.connect(workdir / "probe.db")) as db:
        stored = db.execute("select count(*) from outfits").fetchone()[0]
        check = db.execute("pragma integrity_check").fetchone()[0]
    lost = max(0, acknowledged - stored)
    return {"rounds": rounds, "acknowledged": acknowledged, "outfits_stored": stored,
            "acknowledged_lost": lost, "integrity": check}


async def two_servers(workdir: Path) -> dict:
    servers = [Server(workdir), Server(workdir)]
    for server in servers:
        await server.start()
    photos = [(p.read_bytes(), "image/jpeg") for p in PHOTOS]
    people = [person(f"10.3.0.{k}") for k in range(4)]
    try:
        results = await asyncio.gather(*(
            post(http, servers[k % 2].url, photo=photos[k % len(photos)])
            for k, http in enumerate(people)))
    finally:
        for http in people:
            await http.close()
        for server in servers:
            server.stop()
    with closing(sqlite3.connect(workdir / "probe.db")) as db:
        stored = db.execute("select count(*) from outfits").fetchone()[0]
        check = db.execute("pragma integrity_check").fetchone()[0]
    answered = sum(_analysed(s, b) for s, b, _ in results)
    return {"photos": len(results), "answered": answered, "outfits_stored": stored,
            "errors": sum(s != 200 for s, _, _ in results), "integrity": check}


async def main_async() -> dict:
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        await server.start()
        try:
            result["hostile_inputs"] = await hostile(server)
            result["cookieless_flood"] = await flood(server)
            result["memory"] = await memory(server)
            result["load"] = [await load(server, n) for n in (5, 10, 20)]
        finally:
            server.stop()
    with tempfile.TemporaryDirectory() as tmp:
        result["kill_9"] = await kill_rounds(Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        result["two_servers"] = await two_servers(Path(tmp))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(main_async())
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    for section, figures in result.items():
        print(f"{section}: {json.dumps(figures, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
