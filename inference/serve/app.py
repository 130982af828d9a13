"""The pipeline's model steps as Ray Serve deployments; each replica holds one Pipeline and
answers with the same functions the in-process runner calls, so there is one copy of the model
code. Results are the pipeline's own objects (outfits, comments, verdicts): plain data that
pickles.

    deploy(settings.inference)  # after ray.init(...): the two applications below, replaced

`stylebot-parse` decodes and parses photos, several users' photos batched into one network call
(`@serve.batch`, sized by inference.max_batch / batch_wait_ms), the busiest step. `stylebot-steps`
answers the rest: the diary's and the shop's embeddings, comments and Style Check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from ray import serve

from inference.core.decode import BadImage
from inference.parsing.outfit import Outfit
from inference.pipeline import Pipeline, PipelineConfig
from inference.stylecheck import StyleCheck, check

PARSE_APP, STEPS_APP = "stylebot-parse", "stylebot-steps"


@serve.deployment
class ParseDeployment:
    def __init__(self, config: PipelineConfig, max_batch: int, batch_wait_s: float) -> None:
        self.pipeline = Pipeline(config).load_parser()  # config.threads: a core a replica
        self.parse.set_max_batch_size(max_batch)
        self.parse.set_batch_wait_timeout_s(batch_wait_s)

    @serve.batch
    async def parse(self, uploads: list[bytes]) -> list[tuple | BadImage]:
        """(image, outfit) per upload, or its BadImage (one bad file fails only itself); off
        the replica's event loop, so the next batch gathers while this one runs."""
        return await asyncio.to_thread(self.pipeline.load_and_parse_many, uploads)

    def ping(self) -> bool:
        return True


@serve.deployment
class StepsDeployment:
    def __init__(self, config: PipelineConfig) -> None:
        self.pipeline = Pipeline(config)

    def embed_outfit(self, outfit: Outfit):  # noqa: ANN201 - np.ndarray | None
        return self.pipeline.embed_outfit(outfit)

    def garment_queries(self, outfit: Outfit, stocked: frozenset[str] | None = None) -> list:
        return self.pipeline.garment_queries(outfit, stocked)

    def comment(self, *args: object) -> list:
        return self.pipeline.comment(*args)

    def style_check(self, a: dict, b: dict, user_rows: list[dict], all_rows: list[dict],
                    profile: object, today: date | None, locale: str) -> StyleCheck:
        return check(a, b, user_rows, all_rows, profile, today, locale)

    def ping(self) -> bool:
        return True


def deploy(inference, runtime_env: dict | None = None) -> None:  # noqa: ANN001 - InferenceSettings
    """Deploy (or update) both applications on the connected Ray cluster, `serve_replicas`
    replicas each, one CPU a replica; returns when they are running. `runtime_env`: Ray's, for
    the replicas (tests point PYTHONPATH at the source tree they run from)."""
    config = PipelineConfig.from_settings(inference)
    options = {"num_replicas": inference.serve_replicas,
               "ray_actor_options": {"num_cpus": 1, "runtime_env": runtime_env or {}}}
    # Room for a whole batch to wait on a replica while another batch runs.
    parse = ParseDeployment.options(**options, max_ongoing_requests=2 * inference.max_batch)
    steps = StepsDeployment.options(**options)
    serve.run_many([  # both start at once: their replicas load the models side by side
        serve.RunTarget(parse.bind(config, inference.max_batch, inference.batch_wait_ms / 1000),
                        name=PARSE_APP, route_prefix=None),
        serve.RunTarget(steps.bind(config), name=STEPS_APP,
                        route_prefix=None)])


#: What the client sends where: the pipeline's methods (and Style Check's function) that run on
#: the deployments -> (application, deployment method). Everything else the bot runs itself.
ROUTES: dict[Callable, tuple[str, str]] = {
    Pipeline.load_and_parse_many: (PARSE_APP, "parse"),
    Pipeline.embed_outfit: (STEPS_APP, "embed_outfit"),
    Pipeline.garment_queries: (STEPS_APP, "garment_queries"),
    Pipeline.comment: (STEPS_APP, "comment"),
    check: (STEPS_APP, "style_check"),
}
