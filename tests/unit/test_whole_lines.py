"""The service's stdout keeps lines whole when threads print at once (ctx.run actions do)."""

from __future__ import annotations

import os
import re
import sys
import threading

from restate_play.sandbox.whole_lines import WholeLineWriter

LINE = re.compile(r"^thread \d line \d+ x+ end$")


def _print_from_threads(stream, threads: int = 4, lines: int = 1500) -> None:
    def work(n: int) -> None:
        for i in range(lines):
            print(f"thread {n} line {i}", "x" * (1 + i % 90), "end", file=stream)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to give mixing every chance
    try:
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        sys.setswitchinterval(interval)


def test_concurrent_prints_stay_whole_lines(tmp_path):
    path = tmp_path / "service.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        _print_from_threads(WholeLineWriter(fd))
    finally:
        os.close(fd)
    lines = path.read_text().splitlines()
    assert len(lines) == 4 * 1500
    assert [line for line in lines if not LINE.match(line)] == []


def test_partial_text_is_kept_until_its_newline_or_a_flush(tmp_path):
    path = tmp_path / "service.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        out = WholeLineWriter(fd)
        out.write("half a ")
        assert path.read_text() == ""  # a reader never sees a line without its end
        out.write("line\nand a tail")
        assert path.read_text() == "half a line\n"
        out.write("é")  # encoded on the way out
        out.flush()
        assert path.read_text(encoding="utf-8") == "half a line\nand a tailé"
    finally:
        os.close(fd)
