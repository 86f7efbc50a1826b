"""A child's log tail reads only the end of its log, which grows with every request."""

from __future__ import annotations

from pathlib import Path

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
