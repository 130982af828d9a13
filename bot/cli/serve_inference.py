"""`stylebot serve-inference`: deploy the models on Ray Serve for bots that set
`inference.serve` (the `ray` extra).

    ray start --head --num-cpus 2 && stylebot serve-inference --address auto --replicas 2
    stylebot serve-inference     # no cluster yet: start one here, deploy, run until Ctrl+C
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.config import Settings

log = logging.getLogger(__name__)


def add_commands(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("serve-inference",
                         help="deploy the models on Ray Serve (for inference.serve)")
    cmd.add_argument("--address", default=None,
                     help="join this Ray cluster (auto, host:6379, ray://host:10001) and return;"
                          " without it a local cluster starts and runs until stopped")
    cmd.add_argument("--replicas", type=int, default=None,
                     help="replicas per deployment (default: inference.serve_replicas)")
    cmd.set_defaults(handler=cmd_serve_inference)


def cmd_serve_inference(args: argparse.Namespace, settings: Settings) -> int:
    import ray
    from ray import serve

    from bot.app import until_stopped
    from inference.serve.app import deploy

    if args.replicas is not None:
        settings.inference.serve_replicas = args.replicas
    ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
    serve.start(proxy_location="Disabled")  # bots call through handles, not HTTP
    deploy(settings.inference)
    log.info("deployed: %d replica(s) each of parsing and the other steps",
             settings.inference.serve_replicas)
    if args.address is not None:  # the applications live on in the cluster
        return 0
    log.info("a local Ray cluster: bots on this machine join it with inference.serve: auto;"
             " Ctrl+C stops it")
    asyncio.run(until_stopped())
    return 0
