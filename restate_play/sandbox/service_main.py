"""Entry point of a pattern's service process: one hypercorn server in one PID, h2c.

    python -m restate_play.sandbox.service_main <slug> --port 9080 [--client-port 5000 ...]

The restate endpoint and the pattern's small client app (if any) share this one process, so a
SIGKILL of this PID crashes everything the pattern runs, exactly like killing a real service.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys

import restate
from hypercorn.asyncio import serve
from hypercorn.config import Config

from restate_play.patterns.catalog import get_pattern


def build_app(slug: str, client_ports: list[int]):
    pattern = get_pattern(slug)
    module = importlib.import_module(pattern.module)
    restate_app = restate.app(services=list(module.services))
    client_app = getattr(module, "client_app", None) if client_ports else None

    async def app(scope, receive, send):
        # Requests arriving on a client port go to the pattern's client app (e.g. Durable RPC's
        # reservation front-end); everything else is the Restate endpoint.
        if (
            client_app is not None
            and scope.get("type") == "http"
            and scope.get("server", (None, None))[1] in client_ports
        ):
            return await client_app(scope, receive, send)
        return await restate_app(scope, receive, send)

    return app


async def _main(args: argparse.Namespace) -> None:
    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"] + [f"127.0.0.1:{p}" for p in args.client_port]
    config.accesslog = None
    config.errorlog = "-"
    config.graceful_timeout = 2.0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        # The Restate ASGI app installs its own SIGTERM hook on first request; registering ours
        # through the SDK's hook chain keeps both (otherwise the process would ignore SIGTERM).
        from restate.server import install_shutdown_hook

        install_shutdown_hook(loop, stop.set, signal.SIGTERM)
    except ImportError:  # restate-sdk < 1.3
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    app = build_app(args.slug, args.client_port)
    print(
        f"[restate-play] serving {args.slug} on 127.0.0.1:{args.port}"
        + "".join(f", client app on 127.0.0.1:{p}" for p in args.client_port),
        flush=True,
    )
    await serve(app, config, shutdown_trigger=stop.wait)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="restate_play.sandbox.service_main")
    parser.add_argument("slug")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-port", type=int, action="append", default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for noisy in ("hypercorn.error", "hypercorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
