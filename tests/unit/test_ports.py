"""free_ports: never the same port to two callers while the first may not have bound it yet."""

from __future__ import annotations

import pytest

from restate_play.sandbox import ports


class ScriptedSocket:
    """A socket whose bind(0) gets the next port of a script (as the kernel might hand them out)."""

    script: list[int] = []

    def __init__(self, *_args):
        self.port = ScriptedSocket.script.pop(0)

    def bind(self, _addr):
        pass

    def getsockname(self):
        return ("127.0.0.1", self.port)

    def close(self):
        pass


@pytest.fixture
def scripted(tmp_path, monkeypatch):
    monkeypatch.setattr(ports.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(ports.socket, "socket", ScriptedSocket)
    return ScriptedSocket.script


def test_a_port_handed_out_is_skipped_by_the_next_caller(scripted):
    scripted[:] = [40001, 40002, 40001, 40003, 40002, 40004]
    assert ports.free_ports(2) == [40001, 40002]
    # Another process (a parallel test worker): the kernel offers the same ports again, freed but not
    # yet bound by whoever they were for.
    assert ports.free_ports(2) == [40003, 40004]
    assert scripted == []  # the reserved ones were offered, and passed over


def test_reservations_expire(scripted, monkeypatch):
    scripted[:] = [40001, 40001]
    clock = [1000.0]
    monkeypatch.setattr(ports.time, "time", lambda: clock[0])
    assert ports.free_ports(1) == [40001]
    clock[0] += ports.RESERVE_SECONDS + 1
    assert ports.free_ports(1) == [40001]


def test_real_ports_are_distinct_across_calls(tmp_path, monkeypatch):
    monkeypatch.setattr(ports.tempfile, "gettempdir", lambda: str(tmp_path))
    handed = [p for _ in range(20) for p in ports.free_ports(3)]
    assert len(set(handed)) == len(handed) == 60
    assert all(not ports.port_in_use(p) for p in handed)
