"""A pytest plugin for your own Restate services: a real restate-server, no Docker.

    import pytest
    pytestmark = pytest.mark.restate_app("app:app")

    def test_state(restate):
        restate.call("machineOperator/a/setUp")
        assert restate.state("machineOperator", "a") == {"state": "UP"}

Registered through the `pytest11` entry point (`restate_play.testing.plugin`); `docs/testing.md`
is the guide. Importing this package is cheap: nothing starts until a test asks for `restate`.
"""

from restate_play.testing.errors import CrashNotReached, InvocationFailed, RestateCallError

__all__ = ["CrashNotReached", "InvocationFailed", "RestateCallError"]
