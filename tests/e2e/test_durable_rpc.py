"""Durable RPC, Idempotency & Serverless: the document's curl lines against `serve`, only the ports changed.

Its default scenario runs in test_run_patterns.py; the storm, the observer and the shared server use
it as their vehicle (test_storm.py, test_observer.py, test_shared_server.py).
"""

from __future__ import annotations

import pytest

from restate_play.patterns.catalog import get_pattern

pytestmark = pytest.mark.e2e


def test_durable_rpc_document_curls(serve):
    s = serve("durable-rpc")
    first, second, again = get_pattern("durable-rpc").curls
    assert s.curl(first).strip() == "true"
    assert s.curl(second).strip() == "false"
    assert s.curl(again).strip() == "true"  # deduplicated by the reservation id
    assert s.stop() == 130  # Ctrl-C: stop() also checks that no process and no port is left
