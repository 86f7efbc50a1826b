"""`restate-play kafka publish/tail` against a bare broker: bad lines named, the ones before kept."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO, cli, pid_gone

from restate_play.sandbox.kafka import KafkaBroker
from restate_play.sandbox.ports import port_in_use

pytestmark = pytest.mark.e2e


def test_kafka_publish_names_the_bad_line_and_keeps_the_ones_before(tmp_path, isolated_state):
    broker = KafkaBroker({})
    broker.start(tmp_path)
    try:
        lines = 'a:{"n": 1}\nb:{"n": 2}\nnot a record\nc:{"n": 3}\n'
        server = broker.bootstrap
        proc = subprocess.run(
            [sys.executable, "-m", "restate_play", "kafka", "publish", "things", "--bootstrap-server", server],
            input=lines,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "line 3" in proc.stderr and "not a record" in proc.stderr
        assert "2 record(s) before it were published" in proc.stderr
        assert "b → things partition 0 offset 1" in proc.stdout
        bad_json = cli("kafka", "publish", "things", 'd:{"n": ', "--bootstrap-server", server)
        assert bad_json.returncode == 2 and "argument 1" in bad_json.stderr and "not JSON" in bad_json.stderr
        tailed = cli("kafka", "tail", "things", "--from-beginning", "--count", "2", "--bootstrap-server", server)
        assert tailed.stdout.splitlines() == ['[0@0] a:{"n": 1}', '[0@1] b:{"n": 2}']
    finally:
        broker.stop()
    assert pid_gone(broker.child.pid) and not port_in_use(broker.port)
