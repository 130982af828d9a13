"""Prometheus metrics and health for every worker (the web chat and the Telegram webhook app).

`/metrics` in Prometheus' text format (prometheus_client): HTTP requests by app, route and
status, their latency, the dialog's reply latency by kind of event (photo replies apart), the
model queue's depth (the ModelRunner's jobs running or waiting), users answered in the last five
minutes and users in the store. `/healthz`: storage (the last writes), models (threads alive)
and remote inference (inference.serve answers), 200 or 503. The metrics are process-wide, as
Prometheus scrapes each worker on its own.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from bot.app import Services
from bot.chat.messages import Incoming

ACTIVE_SECONDS = 300  # "active users": answered within the last five minutes
#: Latency buckets (seconds) from a fast text (ms) to a photo behind a busy queue (10 s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16)

REQUESTS = Counter("stylebot_http_requests_total", "HTTP requests answered",
                   ["app", "route", "status"])
LATENCY = Histogram("stylebot_http_request_seconds", "HTTP request latency", ["app", "route"],
                    buckets=BUCKETS)
REPLIES = Histogram("stylebot_reply_seconds", "Time to answer one chat event (the dialog and "
                    "the channel's sending)", ["channel", "kind"], buckets=BUCKETS)
QUEUE = Gauge("stylebot_inference_queue_depth", "Model jobs running or waiting in this worker")
ACTIVE = Gauge("stylebot_active_users", f"Users answered by this worker in the last "
               f"{ACTIVE_SECONDS} s")
USERS = Gauge("stylebot_users", "Users in the store (all workers)")


class _Active:
    """Users answered lately, oldest first (bounded by activity, not by all users ever)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()

    def add(self, user_id: str, now: float) -> None:
        self._seen.pop(user_id, None)
        self._seen[user_id] = now

    def count(self, now: float) -> int:
        while self._seen and next(iter(self._seen.values())) < now - ACTIVE_SECONDS:
            self._seen.popitem(last=False)
        return len(self._seen)


_active = _Active()
ACTIVE.set_function(lambda: _active.count(time.monotonic()))


def event_kind(event: Incoming) -> str:
    if event.photos:
        return "photo"
    if event.callback:
        return "button"
    return "command" if event.command else "text"


def observe_reply(event: Incoming, seconds: float) -> None:
    """One chat event answered (or refused) in `seconds`."""
    REPLIES.labels(event.channel, event_kind(event)).observe(seconds)
    _active.add(event.user_id, time.monotonic())


def track(app: web.Application, name: str, services: Services) -> None:
    """Count and time `app`'s requests as `name`, and serve /metrics and /healthz on it."""
    QUEUE.set_function(lambda: services.runner.pending)
    USERS.set_function(lambda: services.store.user_count())

    @web.middleware
    async def measured(request: web.Request, handler) -> web.StreamResponse:  # noqa: ANN001
        start, status = time.perf_counter(), 500
        route = request.match_info.route.resource
        path = route.canonical if route is not None else "other"
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as err:
            status = err.status
            raise
        finally:
            REQUESTS.labels(name, path, str(status)).inc()
            LATENCY.labels(name, path).observe(time.perf_counter() - start)

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_: web.Request) -> web.Response:
        ok, body = await health(services)
        return web.json_response(body, status=200 if ok else 503)

    app.middlewares.insert(0, measured)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)


async def health(services: Services) -> tuple[bool, dict]:
    """Storage takes writes (the store's Health, kept as writes happen: nothing is probed), the
    models can run here (model threads alive) and, with inference.serve, the deployments answer
    a ping (the runner's, at most every few seconds)."""
    faults = services.store.health.faults
    models = {"parser": services.settings.inference.parser, "threads": services.runner.alive,
              "processes": getattr(services.runner, "processes", 0),  # worker processes
              "queue": services.runner.pending}
    body: dict = {"ok": False, "models": models}
    if faults:
        body |= {"reason": "the last storage write failed", "storage": dict(faults)}
    elif not models["threads"]:
        body["reason"] = "no model thread is running"
    elif down := await services.runner.unavailable():
        body |= {"reason": "inference unavailable", "inference": down}
    else:
        body["ok"] = True
    return body["ok"], body
