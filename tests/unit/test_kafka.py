"""Kafka pieces without a broker: record lines, the cluster setting, the scenario's publish step."""

from __future__ import annotations

import subprocess

import pytest

from restate_play.sandbox.kafka import CLUSTER, cluster_env, cluster_setting, subscription_curl
from restate_play.sandbox.kafka_client import RecordLineError, parse_line


def test_parse_line_splits_at_the_first_separator():
    rec = parse_line('package123:{"timestamp": "2024-10-10 13:00", "location": "Pinetree Road 5, Paris"}')
    assert rec.key == "package123" and rec.value.startswith('{"timestamp"')


@pytest.mark.parametrize(
    "line, problem",
    [("no separator", "no key separator"), (':{"a": 1}', "empty key"), ("k:{not json", "not JSON")],
)
def test_parse_line_names_the_line_and_the_problem(line, problem):
    with pytest.raises(RecordLineError) as info:
        parse_line(line, 7)
    assert info.value.message.startswith("line 7:") and problem in info.value.message


def test_cluster_setting_keeps_the_users_options_and_fills_in_brokers(tmp_path):
    config = tmp_path / "restate.toml"
    config.write_text(
        '[[ingress.kafka-clusters]]\nname = "my-cluster"\nbrokers = ["x:1"]\n"session.timeout.ms" = "3000"\n'
    )
    (cluster,) = cluster_setting("127.0.0.1:4242", config)
    assert cluster == {"name": CLUSTER, "brokers": ["127.0.0.1:4242"], "session.timeout.ms": "3000"}
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    (default,) = cluster_setting("127.0.0.1:4242", empty)
    assert default["session.timeout.ms"] and default["brokers"] == ["127.0.0.1:4242"]


def test_restate_server_reads_the_cluster_override(restate_binary):
    from restate_play.paths import server_config

    env = cluster_env("127.0.0.1:4242")
    out = subprocess.run(
        [str(restate_binary), "--config-file", str(server_config()), "--dump-config"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **env},
    ).stdout
    section = out[out.index("[[ingress.kafka-clusters]]") :]
    assert 'name = "my-cluster"' in section and 'brokers = ["127.0.0.1:4242"]' in section
    assert '"session.timeout.ms" = "3000"' in section


def test_subscription_curl_is_the_documents():
    line = subscription_curl("localhost:9070", "package-location-updates", "package-tracker/updateLocation")
    assert '"source": "kafka://my-cluster/package-location-updates"' in line
    assert '"options": {"auto.offset.reset": "earliest"}' in line
