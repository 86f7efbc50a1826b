"""Entry point of a pattern's service process: one hypercorn server in one PID, h2c.

    python -P -m restate_play.sandbox.service_main <slug> --port 9080 [--client-port 5000 ...]
    python -P -m restate_play.sandbox.service_main <name> --path DIR (--file F | --module M) [--attr A] --port 9080

The first serves a pattern, the second the user's own code (see sandbox/target.py, user_code.py).

The restate endpoint and the pattern's small client app (if any) share this one process, so a
SIGKILL of this PID crashes everything the pattern runs, exactly like killing a real service.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import importlib
import json
import logging
import signal
import sys
from pathlib import Path

# Never used by a service, and ~150 ms of CPU at every start (a restart under --watch waits for it):
# restate's test harness (testcontainers, docker) and httpx's command line (rich, pygments). A None
# in sys.modules makes their import fail, and both packages then fall back to a stub by themselves.
for _unused in ("restate.harness", "httpx._main"):
    sys.modules.setdefault(_unused, None)

import restate  # noqa: E402
from hypercorn.asyncio import serve  # noqa: E402
from hypercorn.config import Config  # noqa: E402

from restate_play.patterns.catalog import get_pattern  # noqa: E402
from restate_play.sandbox.whole_lines import WholeLineWriter  # noqa: E402


def lenient_void_input(restate_app):
    """Serve the discovery manifest without `"input": {}` for handlers that take no input.

    The Python SDK declares such handlers as "no body, no content-type", so the server rejects
    `curl … -H 'content-type: application/json' -d ''`, a line the TypeScript document uses. The
    TypeScript SDK leaves `input` out, and the server's default rule then accepts an empty body
    with any content type. Dropping the empty declaration gives the Python services the same
    contract, so the documents' curl lines work verbatim.
    """

    async def app(scope, receive, send):
        if scope.get("type") != "http" or not scope.get("path", "").endswith("/discover"):
            return await restate_app(scope, receive, send)
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    await send_rewritten()

        async def send_rewritten():
            body = b"".join(chunks)
            try:
                manifest = json.loads(body)
                for service in manifest.get("services", []):
                    for handler in service.get("handlers", []):
                        if handler.get("input") == {}:
                            del handler["input"]
                body = json.dumps(manifest).encode()
            except (ValueError, AttributeError):
                pass  # not JSON: pass through untouched
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await restate_app(scope, receive, capture)

    return app


def user_app(args: argparse.Namespace):
    """The user's services, or exit 2 with the reason (the parent shows the log's tail)."""
    from restate_play.sandbox.user_code import TargetError, find_app, import_target

    file = Path(args.file).resolve() if args.file else None
    try:
        module = import_target(Path(args.path), file, args.module)
        return find_app(module, args.attr, str(file or args.module)), file or module.__file__
    except TargetError as err:
        print(f"[restate-play] cannot serve {file or args.module}: {err}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def build_app(args: argparse.Namespace):
    client_ports: list[int] = args.client_port
    if args.path is not None:
        found, source = user_app(args)
        restate_app, client_app = lenient_void_input(found), None
    else:
        pattern = get_pattern(args.slug)
        module = importlib.import_module(pattern.module)
        restate_app = lenient_void_input(restate.app(services=list(module.services)))
        client_app = getattr(module, "client_app", None) if client_ports else None
        source = module.__file__
    print(f"[restate-play] code: {source}", flush=True)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":  # nothing to set up; answer so hypercorn does not warn
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
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
    config.errorlog = None  # its records reach the root logger below, printed once
    config.graceful_timeout = 2.0
    # Hypercorn closes an HTTP/2 connection after 1000 requests by default (a GOAWAY); restate-server
    # keeps one connection to a deployment for every invocation, so under load that GOAWAY broke the
    # streams in flight and stalled them ~5 s before Restate retried them ("h2 pool connection error:
    # stream closed because of a broken pipe"). Restate is this server's only client: no limit.
    config.keep_alive_max_requests = 2**31
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
    app = build_app(args)
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
    parser.add_argument("--path", help="The user's code: this directory goes on sys.path.")
    parser.add_argument("--file", help="The user's Python file to import.")
    parser.add_argument("--module", help="The user's module to import (from --path).")
    parser.add_argument("--attr", help="The attribute holding restate.app(...) or a list of services.")
    args = parser.parse_args(argv)
    # Whole lines only: ctx.run actions print from a thread pool (see whole_lines.py).
    sys.stdout, sys.stderr = WholeLineWriter(1), WholeLineWriter(2)
    atexit.register(sys.stdout.flush)
    atexit.register(sys.stderr.flush)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for noisy in ("hypercorn.error", "hypercorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
