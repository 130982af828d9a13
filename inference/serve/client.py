"""The bot's side of Ray Serve inference: a runner with the in-process ModelRunner's interface,
so the chat flows do not change. The pipeline's model steps (app.ROUTES) go to the deployments;
everything else (pictures, index searches) runs here as before.

Remote calls are taken in the same fair turns between users and bounded the same way as local
ones (an inner ModelRunner whose threads only wait on answers); each try waits at most
`serve_timeout_s`, a lost replica or a timeout is tried again `serve_retries` times, and then
the caller gets InferenceUnavailable (the user a kind apology, /healthz a 503).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import ray
from ray import serve
from ray.exceptions import NodeDiedError, ObjectLostError, RayActorError, RaySystemError
from ray.serve.exceptions import RayServeException

from inference.core.runner import InferenceUnavailable, ModelRunner, SplitRunner
from inference.pipeline import Pipeline
from inference.serve.app import PARSE_APP, ROUTES, STEPS_APP

log = logging.getLogger(__name__)
#: Failures another try may not meet: no answer in time, a replica or node lost, no app (yet).
TRANSIENT = (TimeoutError, ConnectionError, RayActorError, RaySystemError, ObjectLostError,
             NodeDiedError, RayServeException)
HEALTH_TTL_S = 5.0  # /healthz probes the deployments at most this often


class ServeRunner(SplitRunner):
    def __init__(self, inference, pipeline: Pipeline) -> None:  # noqa: ANN001 - InferenceSettings
        # Enough waiting threads to fill every replica's batches; they hold no model. One item
        # a call: the deployment batches several users' items itself (serve.batch).
        waiting = 2 * inference.serve_replicas * inference.max_batch
        super().__init__(ModelRunner(inference.workers, inference.max_queue,
                                     inference.max_batch, inference.batch_wait_ms / 1000),
                         ModelRunner(waiting, inference.max_queue, max_batch=1))
        self.address = inference.serve
        self.timeout, self.retries = inference.serve_timeout_s, inference.serve_retries
        self.pipeline = pipeline
        self._handles: dict[str, Any] = {}
        self._connect = threading.Lock()
        self._joining: threading.Thread | None = None
        self._join_error: str | None = None
        self._health: tuple[float, str | None] = (0.0, None)

    async def unavailable(self) -> str | None:
        """Why the deployments cannot answer now (None: they can); one quick ping of each,
        at most every HEALTH_TTL_S."""
        checked, reason = self._health
        if time.monotonic() - checked > HEALTH_TTL_S:
            reason = await asyncio.to_thread(self._ping)
            self._health = (time.monotonic(), reason)
        return reason

    # remote calls --------------------------------------------------------------------------
    def _route(self, fn: Callable) -> tuple[str, str] | None:
        if getattr(fn, "__self__", None) is self.pipeline:
            return ROUTES.get(fn.__func__)
        return ROUTES.get(fn)

    def _handle(self, app: str, wait: float | None = None) -> Any:
        self._join(self.timeout if wait is None else wait)
        with self._connect:
            if app not in self._handles:
                self._handles[app] = serve.get_app_handle(app)
            return self._handles[app]

    def _join(self, wait: float) -> None:
        """Join the cluster (once; a process already in it, as the tests', stays), waiting at
        most `wait` seconds: an unreachable address retries for long inside ray.init, so it
        runs in its own thread and a later call waits for the same attempt."""
        with self._connect:
            if ray.is_initialized():
                return
            if self._joining is None:
                self._joining = threading.Thread(target=self._init, name="ray-join", daemon=True)
                self._joining.start()
            joining = self._joining
        joining.join(wait)
        if not ray.is_initialized():
            raise ConnectionError(self._join_error or f"no Ray cluster at {self.address} yet")

    def _init(self) -> None:
        try:
            ray.init(address=self.address, log_to_driver=False)
            self._join_error = None
        except Exception as err:  # told to the callers waiting and to the next one
            self._join_error = f"cannot join {self.address}: {type(err).__name__}: {err}"
        finally:
            with self._connect:
                self._joining = None

    def _call(self, route: tuple[str, str], *args: Any, **kwargs: Any) -> Any:
        """The deployment's answer (its own exceptions pass up, as a local call's would);
        InferenceUnavailable after 1 + retries tries that met only transient failures."""
        app, method = route
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
            response = None
            try:
                response = getattr(self._handle(app), method).remote(*args, **kwargs)
                return response.result(timeout_s=self.timeout)
            except TRANSIENT as err:
                if response is not None:
                    response.cancel()
                self._handles.pop(app, None)  # a fresh handle finds redeployed replicas
                failure = f"{app}.{method}: {type(err).__name__}: {err}"
                log.warning("inference try %d of %d failed: %s", attempt + 1,
                            self.retries + 1, failure)
        self._health = (time.monotonic(), failure)
        raise InferenceUnavailable(failure)

    def _ping(self) -> str | None:
        wait = min(self.timeout, 2.0)  # /healthz answers within seconds, up or down
        for app in (PARSE_APP, STEPS_APP):
            try:
                self._handle(app, wait).ping.remote().result(timeout_s=wait)
            except TRANSIENT as err:
                self._handles.pop(app, None)
                return f"{app}: {type(err).__name__}: {err}"
        return None
