"""--watch: a save under the target's directory restarts the service on the new code.

`run --watch` plays the scenario again on a fresh sandbox (a new server, a new deployment: a
verdict never depends on what the previous replay left behind); `serve --watch` keeps its server
and its state, restarts the service and registers it again. Changes are collected by watchfiles
in a thread of this process (debounced: a burst of writes from one save is one change), so the
command itself is never restarted; a broken file shows its error and the loop waits for the next
save. Ctrl-C reaches the main thread, whose `with Sandbox(...)` stops everything.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.text import Text

from restate_play.errors import PlayError
from restate_play.sandbox.shared_server import SharedServer
from restate_play.sandbox.target import Target
from restate_play.scenario.result import RunResult

# What a project's code and scenarios are made of; editors' swap files, caches and .git are not.
WATCHED = (".toml", ".json", ".txt")


class Changes:
    """Debounced sets of changed paths under `root`, gathered in a daemon thread.

    Made before the command says it is ready, and returns once the watcher is watching: a save made
    right after "ready" (a person's, a test's) is never missed while the watcher is still starting.
    """

    READY_WITHIN = 10.0  # seconds for the file watcher to start

    def __init__(self, root: Path):
        import watchfiles

        self.root = root
        self._queue: queue.Queue[set[str]] = queue.Queue()
        self._stop = threading.Event()
        watching = threading.Event()
        watch_filter = watchfiles.PythonFilter(extra_extensions=WATCHED)

        def gather() -> None:
            # yield_on_timeout: an empty batch every rust_timeout ms without changes; the first one
            # says the watcher is set up.
            for batch in watchfiles.watch(
                root,
                watch_filter=watch_filter,
                debounce=1600,
                step=50,
                stop_event=self._stop,
                rust_timeout=200,
                yield_on_timeout=True,
            ):
                watching.set()
                if batch:
                    self._queue.put({path for _change, path in batch})

        self._thread = threading.Thread(target=gather, name="watch", daemon=True)
        self._thread.start()
        if not watching.wait(self.READY_WITHIN):
            raise PlayError(f"The file watcher on {root} did not start within {self.READY_WITHIN:g} s.")

    def next(self, timeout: float | None = None) -> set[str]:
        """The paths changed since the last call (waits for a change, up to `timeout` when given)."""
        paths = self._queue.get(timeout=timeout)
        while not self._queue.empty():  # saves made while a replay ran: one more replay, not several
            paths |= self._queue.get_nowait()
        return paths

    def pending(self) -> set[str]:
        try:
            return self.next(timeout=0)
        except queue.Empty:
            return set()

    def close(self) -> None:
        self._stop.set()

    def describe(self, paths: set[str]) -> str:
        names = sorted(_relative(Path(p), self.root) for p in paths)
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@contextlib.contextmanager
def kept_server(target: Target, status: Callable[[str], None]) -> Iterator[SharedServer | None]:
    """run --watch: one private restate-server for the whole session, reset before each replay
    (as runs on the shared server are), so a save does not wait for a new server to boot. None for
    targets whose parts configure the server (Kafka): they get a fresh one each time."""
    from restate_play.sandbox.binary import ensure_binary
    from restate_play.sandbox.ports import free_ports
    from restate_play.sandbox.server import RestateServer, ServerPorts

    if target.pattern.needs:
        yield None
        return
    binary = ensure_binary(status)
    ingress, admin, fabric = free_ports(3)
    base = Path(tempfile.mkdtemp(prefix="restate-play-watch-"))
    server = RestateServer(binary, base, ServerPorts(ingress, admin, fabric))
    try:
        server.start()
        server.wait_healthy()
        assert server.pid is not None
        yield SharedServer(server.pid, ingress, admin, fabric, str(base), str(binary), time.time())
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def watch_runs(
    spec: str | Target,
    play: Callable[[], RunResult],
    show: Callable[[RunResult], None],
    as_json: bool,
    status: Callable[[str], None],
) -> None:
    """run --watch: play, show the verdict (or the error: a broken file), wait for a save, again,
    until Ctrl-C. The directory watched is the target's as resolved now."""
    from restate_play.errors import report
    from restate_play.sandbox.target import as_target

    root = as_target(spec).root
    changes = Changes(root)
    try:
        while True:
            try:
                show(play())
            except PlayError as err:
                report(err, as_json)
            status(f"Watching {root} for changes; Ctrl-C stops.")
            paths = changes.next()
            status(f"Changed: {changes.describe(paths)}. Replaying on a fresh sandbox…")
    finally:
        changes.close()


def in_flight(admin_url: str, services: tuple[str, ...]) -> list[str]:
    """Invocations of the services not completed nor paused: those a reload interrupts ([] when unknown)."""
    from restate_play.restate import sql as q

    if not services:
        return []
    names = ", ".join(q.sql_str(s) for s in services)
    where = f"status NOT IN ('completed', 'paused') AND target_service_name IN ({names})"
    try:
        with q.SqlClient(admin_url, timeout=5.0) as sql:
            return [f"{inv.target} {inv.id[:12]}…" for inv in sql.run(q.invocations(where, limit=20))]
    except PlayError:
        return []


def serve_reloading(out: Console, sb, follow: Callable[[], None], changes: Changes) -> None:
    """serve --watch: `follow` (the log, in this thread) while a thread reloads the service on save."""

    def reload_on_save() -> None:
        while True:
            paths = changes.next()
            out.print(Text(f"Changed: {changes.describe(paths)}. Restarting the service…", style="bold yellow"))
            t0 = time.monotonic()
            moving = in_flight(sb.admin_url, sb.pattern.services)
            try:
                sb.reload_service()
            except PlayError as err:
                first = err.message.splitlines()[0]
                out.print(Text(f"{first} Its log is above; waiting for the next save.", style="bold red"))
                continue
            took = time.monotonic() - t0
            message = f"Reloaded in {took:.2f} s: pid {sb.service.pid}, registered again as {sb.deployment_id}."
            out.print(Text(message, style="bold green"), soft_wrap=True)
            if moving:  # same address, new code: what was under way replays its journal on it
                words = (
                    f"{len(moving)} invocation(s) under way on the old code ({', '.join(moving[:3])}"
                    f"{'…' if len(moving) > 3 else ''}) go on with the new code: Restate replays their journals "
                    "on it, and a step that changed order or name shows as a journal mismatch (RT0016)."
                )
                out.print(Text(words, style="yellow"), soft_wrap=True)
            from restate_play.commands.fix_forward import offer_resume

            try:  # invocations paused on the old code: offer (or, with --resume-paused, do) a resume on this one
                offer_resume(out, sb.admin_url, sb.pattern.services)
            except PlayError as err:
                out.print(Text(f"Could not list paused invocations: {err.message}", style="yellow"))

    threading.Thread(target=reload_on_save, name="reload", daemon=True).start()
    try:
        follow()
    finally:
        changes.close()
