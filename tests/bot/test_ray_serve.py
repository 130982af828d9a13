"""Inference on Ray Serve, for real: a local Ray cluster (2 CPUs) started here, the app deployed
on it as `stylebot serve-inference` deploys it, and the bot's ServeRunner calling it; the web
chat configured with inference.serve answers a photo, and a stopped deployment gets the kind
message within the timeout. About 30 s to start on the 2-core machine (Ray 8 s, the replicas'
models 20 s)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import date

import numpy as np
import pytest
from aiohttp.test_utils import TestServer

import prompts
from bot.app import build_services
from bot.channels.web import create_app
from inference.core.decode import BadImage
from inference.stylecheck import check
from inference.styles.taste import Profile
from tests.bot.channels.test_web import browser_session, post
from tests.conftest import ROOT

ray = pytest.importorskip("ray", reason="the `ray` extra (ray[serve]) is not installed")
serve = pytest.importorskip("ray.serve", reason="the `ray` extra (ray[serve]) is not installed")

from inference.serve.app import PARSE_APP, deploy  # noqa: E402 - needs ray
from inference.serve.client import ServeRunner  # noqa: E402

log = logging.getLogger(__name__)


def serve_settings(settings):  # noqa: ANN001, ANN201 - Settings
    """`settings` with inference on the test's cluster ("auto": this process is in it)."""
    inference = settings.inference
    inference.serve, inference.serve_replicas = "auto", 1
    inference.serve_timeout_s, inference.serve_retries = 5.0, 1
    return settings


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):  # noqa: ANN001, ANN201
    from bot.config import load_settings

    start = time.monotonic()
    ray.init(num_cpus=2, object_store_memory=100 * 2**20, include_dashboard=False,
             log_to_driver=False)
    serve.start(proxy_location="Disabled")
    # The replicas import this source tree (the venv's editable install may point elsewhere).
    deploy(serve_settings(load_settings(None)).inference,
           {"env_vars": {"PYTHONPATH": str(ROOT)}})
    log.warning("Ray cluster and deployments up in %.1f s", time.monotonic() - start)
    yield
    serve.shutdown()
    ray.shutdown()


@pytest.fixture
def remote_services(ray_cluster, settings, pipeline):  # noqa: ANN001, ANN201
    services = build_services(serve_settings(settings), pipeline)
    assert isinstance(services.runner, ServeRunner)
    yield services
    services.close()


async def test_the_client_gets_what_the_pipeline_gives(remote_services, pipeline, photo_bytes,
                                                       corrupt_photo_bytes):
    runner = remote_services.runner
    photos = photo_bytes[:4]
    parsed = await asyncio.gather(*(runner.run_batch_for(f"user{i}", pipeline.load_and_parse_many,
                                                         photo) for i, photo in enumerate(photos)))
    for photo, (image, outfit) in zip(photos, parsed, strict=True):
        local_image, local = pipeline.load_and_parse(photo)
        assert image.size == local_image.size
        assert [i.as_dict()["name"] for i in outfit.items] == [i.as_dict()["name"]
                                                               for i in local.items]
    assert not runner.local.batches  # parsed on the replicas, not here
    with pytest.raises(BadImage) as bad:
        await runner.run_batch_for("user0", pipeline.load_and_parse_many, corrupt_photo_bytes)
    with pytest.raises(BadImage) as local_bad:
        pipeline.load(corrupt_photo_bytes)
    assert (bad.value.code, bad.value.values) == (local_bad.value.code, local_bad.value.values)

    (_, a), (_, b) = parsed[:2]
    args = (a.as_dict(), b.as_dict(), [], [], Profile(), date(2026, 11, 30), "uk")
    verdict = await runner.run(check, *args)
    assert verdict.as_dict() == check(*args).as_dict()
    comments = await runner.run(pipeline.comment, a.as_dict(), 2, 1)
    assert [c.text for c in comments] == [c.text for c in pipeline.comment(a.as_dict(), 2, 1)]
    embedding = await runner.run(pipeline.embed_outfit, a)
    assert embedding is not None and embedding.tolist() == pipeline.embed_outfit(a).tolist()
    queries = await runner.run(pipeline.garment_queries, a)
    local_queries = pipeline.garment_queries(a)
    assert [q.name for q in queries] == [q.name for q in local_queries] and queries
    assert all(np.allclose(q.vector, local.vector, atol=1e-5)
               for q, local in zip(queries, local_queries, strict=True))
    assert await runner.unavailable() is None


async def test_the_web_chat_answers_a_photo_through_ray_serve(remote_services, photo_bytes):
    srv = TestServer(create_app(remote_services), host="127.0.0.1")
    await srv.start_server()
    try:
        async with browser_session(srv) as session:
            replies = await post(session, photos=(photo_bytes[0],))
            assert replies[0]["text"].startswith("Here's what I see") and replies[0]["images"]
            async with session.get("/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["ok"] is True
    finally:
        await srv.close()
    assert not remote_services.runner.local.batches


UNREACHABLE = """
import asyncio, json, os, sys, time
from bot.config import load_settings
from inference.core.runner import InferenceUnavailable
from inference.pipeline import Pipeline, PipelineConfig
from inference.serve.client import ServeRunner
settings = load_settings(None, inference__serve=sys.argv[1], inference__serve_timeout_s=2,
                         inference__serve_retries=1)
pipeline = Pipeline(PipelineConfig.from_settings(settings.inference))
runner = ServeRunner(settings.inference, pipeline)
photo = open(sys.argv[2], "rb").read()
start = time.monotonic()
health = asyncio.run(runner.unavailable())  # what /healthz says, before any call
health_seconds, start = time.monotonic() - start, time.monotonic()
try:
    asyncio.run(runner.run_batch_for("u", pipeline.load_and_parse_many, photo))
    said = "answered"
except InferenceUnavailable as err:
    said = str(err)
print(json.dumps({"seconds": time.monotonic() - start, "error": said, "health": health,
                  "health_seconds": health_seconds}), flush=True)
os._exit(0)  # the join attempt may still be retrying in its thread
"""


def test_an_unreachable_cluster_is_unavailable_within_the_timeout(photo_paths):
    """A fresh process (this one is in the test cluster) pointed at a port nobody serves."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-c", UNREACHABLE, f"ray://127.0.0.1:{port}", str(photo_paths[0])],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["seconds"] < 2 * 2 + 1.5  # 1 + 1 retry, 2 s each, and the back-off
    assert said["error"].startswith("stylebot-parse.parse: ConnectionError")
    assert said["health"].startswith("stylebot-parse: ConnectionError")  # /healthz: 503
    assert said["health_seconds"] < 2 + 1


async def test_a_stopped_deployment_gets_the_kind_message_in_time(remote_services, photo_bytes):
    """Runs last (it deletes the parsing application; the cluster goes at the session's end)."""
    serve.delete(PARSE_APP)
    inference = remote_services.settings.inference
    budget = (inference.serve_retries + 1) * inference.serve_timeout_s + 1.5  # + back-off
    srv = TestServer(create_app(remote_services), host="127.0.0.1")
    await srv.start_server()
    try:
        async with browser_session(srv) as session:
            start = time.monotonic()
            [reply] = await post(session, photos=(photo_bytes[1],))
            assert time.monotonic() - start < budget
            assert reply["text"] == prompts.reply("inference_unavailable", "en")
            assert "Traceback" not in reply["text"] and not reply["images"]
            async with session.get("/healthz") as resp:
                body = await resp.json()
                assert resp.status == 503 and body["reason"] == "inference unavailable"
                assert PARSE_APP in body["inference"]
    finally:
        await srv.close()
