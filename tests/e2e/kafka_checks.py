"""Kafka helpers for the e2e tests of the Kafka patterns (event-transactions, event-enrichment)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import pid_gone

from restate_play.sandbox.ports import free_ports, port_in_use


def assert_clean(result: dict) -> None:
    """The run's server, service and broker are gone, and their ports free."""
    sb = result["sandbox"]
    kafka = sb["components"]["kafka"]
    assert pid_gone(sb["server"]["pid"]) and pid_gone(sb["service"]["pid"]) and pid_gone(kafka["pid"])
    for port in (sb["server"]["ingress"], sb["server"]["admin"], sb["service"]["port"], kafka["port"]):
        assert not port_in_use(port), f"port {port} still bound"


def serve_kafka(serve, monkeypatch, slug: str):
    """`serve <slug>` with its broker on a free port; Restate not subscribed yet (the document's step 5)."""
    (kafka_port,) = free_ports(1)
    monkeypatch.setenv("RESTATE_PLAY_KAFKA_PORT", str(kafka_port))
    s = serve(slug)
    kafka = json.loads(Path(s.sandbox["state_file"]).read_text())["components"]["kafka"]
    assert kafka["port"] == kafka_port and kafka["subscriptions"] == []  # step 5 is the user's
    assert "Restate is not subscribed yet" in s.output()
    return s, kafka
