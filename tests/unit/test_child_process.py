"""Child processes: the log tail reads only the end of the log; a spawn never loses its child."""

from __future__ import annotations

from pathlib import Path

import pytest

from restate_play.sandbox.process import Child


def test_log_tail_reads_the_last_lines_only(tmp_path, monkeypatch):
    child = Child("svc", ["true"], tmp_path / "svc.log")
    assert child.log_tail(3) == []  # no log yet
    (tmp_path / "svc.log").write_text("".join(f"Reserving product p{i}\n" for i in range(200_000)))
    read: list[int] = []
    real_open = Path.open

    class Counting:
        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def seek(self, *args):
            return self.file.seek(*args)

        def read(self, *args):
            data = self.file.read(*args)
            read.append(len(data))
            return data

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: Counting(real_open(self, *a, **k)))
    assert child.log_tail(2) == ["Reserving product p199998", "Reserving product p199999"]
    assert 0 < sum(read) <= 16384  # the end only, not the whole 5 MB


def test_a_signal_during_the_spawn_is_handled_once_the_pid_is_known(tmp_path, monkeypatch):
    """Ctrl-C inside Popen (after the fork) must not lose the child: it is raised after the spawn."""
    import os
    import signal
    import subprocess

    real_popen = subprocess.Popen

    def popen_interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the child is being spawned
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen_interrupted)
    child = Child("sleeper", ["sleep", "30"], tmp_path / "sleeper.log")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            child.start()
        assert child.pid is not None and child.alive()  # the interrupt came after the PID was kept…
    finally:
        signal.signal(signal.SIGINT, previous)
        child.stop()  # …so it can be stopped
    assert not child.alive()
