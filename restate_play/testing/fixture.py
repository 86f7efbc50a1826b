"""The `restate` fixture: requests, crashes, journals, state and the ledger of the app under test.

Blocking methods over the playground's async clients (run on the session's loop), so a test reads
top to bottom. Every wait has a bound (`timeout=`, seconds).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

from restate_play.restate.ingress import IngressResponse
from restate_play.restate.introspection import sql_str
from restate_play.restate.records import Invocation
from restate_play.sandbox.sandbox import Sandbox, reset_pattern
from restate_play.sandbox.server import RestateServer
from restate_play.scenario import entry_wait
from restate_play.testing.errors import CrashNotReached, InvocationFailed, RestateCallError
from restate_play.testing.handles import InvocationHandle, Journal, Ledger
from restate_play.testing.session import Clients, Session

_NO_BODY: Any = object()
JOURNAL_MISMATCH = "RT0016"  # a replay took another path than the journal: retrying cannot help
WATCH_INTERVAL = 0.25  # how often a waiting result() looks for a failure that retries cannot fix

Ref = InvocationHandle | str  # a handle, or an invocation id


class Restate:
    """The app under test on a real restate-server. See docs/testing.md."""

    def __init__(self, session: Session, sandbox: Sandbox, always_replay: bool):
        self._session = session
        self.sandbox = sandbox
        self.always_replay = always_replay
        self._clients: Clients = session.servers.clients(always_replay)
        self.ledger = Ledger(lambda: sandbox.ledger_path)
        self.crashes: list[dict[str, Any]] = []  # the scenario engine's crash records
        self._log_offset = 0

    # -- where -----------------------------------------------------------------------------------
    @property
    def ingress_url(self) -> str:
        return self.sandbox.ingress_url

    @property
    def admin_url(self) -> str:
        return self.sandbox.admin_url

    @property
    def _server(self) -> RestateServer:
        return self._session.servers.server(self.always_replay)

    def pids(self) -> dict[str, int | None]:
        assert self.sandbox.service is not None
        return {"server": self._server.pid, "service": self.sandbox.service.pid}

    def _run(self, coro: Any, timeout: float) -> Any:
        return self._session.loop.run(coro, timeout)

    # -- per test --------------------------------------------------------------------------------
    def begin(self) -> None:
        """Before each test: what earlier tests left (invocations, idempotency keys, state) is purged."""
        # An earlier test may have crashed a part without restarting it (restart=False).
        if self._server.child is not None and not self._server.child.alive():
            self.restart_server()
        if self.sandbox.service is not None and not self.sandbox.service.alive():
            self.restart_service()
        reset_pattern(self.admin_url, self.sandbox.pattern.services)
        self.ledger.begin()
        log = self.sandbox.service.log_path if self.sandbox.service else None
        self._log_offset = log.stat().st_size if log and log.exists() else 0

    def service_log(self, lines: int = 50) -> list[str]:
        """The service's output (prints, tracebacks) since this test began: the last `lines`."""
        assert self.sandbox.service is not None
        try:
            with self.sandbox.service.log_path.open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        return text.splitlines()[-lines:]

    # -- requests --------------------------------------------------------------------------------
    def call(
        self,
        target: str,
        json: Any = _NO_BODY,
        *,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Any:
        """Call a handler ("Svc/handler", "Obj/key/handler", "Wf/key/run") and return its JSON answer.

        Sent, then attached to: while it waits, a journal mismatch or a pause fails the call at once
        instead of after `timeout`."""
        return self.send(target, json, idempotency_key=idempotency_key, headers=headers).result(timeout)

    def send(
        self,
        target: str,
        json: Any = _NO_BODY,
        *,
        idempotency_key: str | None = None,
        delay: timedelta | float | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> InvocationHandle:
        """Start a handler without waiting (`/send`); `delay` as seconds, a timedelta or '500ms'."""
        body = () if json is _NO_BODY else (json,)  # no body at all, unlike a JSON null
        send = self._clients.ingress.send(
            target, *body, idempotency_key=idempotency_key, delay=_delay(delay), headers=headers
        )
        resp = self._answer(target, send, 30.0)
        if resp.status >= 300 or not resp.invocation_id:
            raise RestateCallError(target, resp.status, _message(resp))
        return InvocationHandle(self, resp.invocation_id, target, resp.status)

    def _answer(self, target: str, request: Any, timeout: float) -> IngressResponse:
        try:
            return self._run(asyncio.wait_for(request, timeout), timeout + 5.0)
        except TimeoutError:
            raise InvocationFailed(f"{target} did not answer within {timeout:g} s.") from None

    def attach(self, ref: Ref, timeout: float = 30.0) -> Any:
        """Wait for an invocation's answer (the ingress' attach)."""
        return self.result_of(_id(ref), _target(ref), timeout)

    def result_of(self, invocation_id: str, target: str, timeout: float) -> Any:
        resp = self._run(self._attach_or_fail(invocation_id, target, timeout), timeout + 10.0)
        return _value(target, resp)

    async def _attach_or_fail(self, invocation_id: str, target: str, timeout: float) -> IngressResponse:
        """The attach answer, unless Restate shows first that the invocation cannot complete."""
        attach = asyncio.ensure_future(self._clients.ingress.attach(invocation_id))
        watch = asyncio.ensure_future(self._hopeless(invocation_id))
        try:
            done, _ = await asyncio.wait({attach, watch}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if attach in done:
                return attach.result()
            if watch in done:
                raise InvocationFailed(f"{target} ({invocation_id}) cannot complete: {watch.result()}")
            words = await entry_wait.describe_invocation(self._clients.sql, invocation_id)
            raise InvocationFailed(f"{target} did not complete within {timeout:g} s: {words}")
        finally:
            attach.cancel()
            watch.cancel()

    async def _hopeless(self, invocation_id: str) -> str:
        """Returns (why) once the invocation is paused, or failed a replay (a journal mismatch)."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            inv = await self._clients.sql.invocation(invocation_id)
            if inv is None or inv.done:
                continue
            if inv.status == "paused" or inv.last_failure_error_code == JOURNAL_MISMATCH:
                return await entry_wait.describe_invocation(self._clients.sql, invocation_id)

    def cancel(self, ref: Ref) -> None:
        self._run(self._clients.admin.invocation_action(_id(ref), "cancel"), 30.0)

    def kill(self, ref: Ref) -> None:
        self._run(self._clients.admin.invocation_action(_id(ref), "kill"), 30.0)

    def resolve_awakeable(self, awakeable_id: str, value: Any = None) -> None:
        resp = self._run(self._clients.ingress.resolve_awakeable(awakeable_id, value), 30.0)
        if resp.status >= 300:
            raise RestateCallError(f"awakeable {awakeable_id}", resp.status, _message(resp))

    def reject_awakeable(self, awakeable_id: str, reason: str) -> None:
        resp = self._run(self._clients.ingress.reject_awakeable(awakeable_id, reason), 30.0)
        if resp.status >= 300:
            raise RestateCallError(f"awakeable {awakeable_id}", resp.status, _message(resp))

    # -- crashes ---------------------------------------------------------------------------------
    def crash_service(
        self, after_entry: str | None = None, of: Ref | None = None, *, restart: bool = True, timeout: float = 30.0
    ) -> None:
        """SIGKILL the service process (once `after_entry` is journaled in `of`), then start it again."""
        self._crash("service", after_entry, of, restart, timeout)

    def crash_server(
        self, after_entry: str | None = None, of: Ref | None = None, *, restart: bool = True, timeout: float = 30.0
    ) -> None:
        """SIGKILL restate-server (once `after_entry` is journaled in `of`), then start it on its data."""
        self._crash("server", after_entry, of, restart, timeout)

    def _crash(self, part: str, after_entry: str | None, of: Ref | None, restart: bool, timeout: float) -> None:
        if after_entry is not None:
            if of is None:
                raise ValueError(f"crash_{part}(after_entry={after_entry!r}) needs of=: the invocation to watch.")
            wait = entry_wait.wait_for_entry(self._clients.sql, _id(of), after_entry, timeout)
            seen, why = self._run(wait, timeout + 10.0)
            if not seen:
                raise CrashNotReached(f"'{after_entry}' was not journaled in {_id(of)}: {why}")
        (self.sandbox.kill_service if part == "service" else self._server.kill)()
        crash: dict[str, Any] = {"target": part, "at": time.time(), "of": _id(of) if of else None}
        crash["after_entry"] = after_entry
        self.crashes.append(crash)
        if restart:
            crash["restart_began_at"] = time.time()
            self.restart_service() if part == "service" else self.restart_server()
            crash["restarted_at"] = time.time()

    def restart_service(self) -> float:
        """Stop and start the service process (same port); Restate retries what was in flight now."""
        return self.sandbox.restart_service()

    def restart_server(self) -> float:
        """Stop and start restate-server on its data: invocations resume where their journals end."""
        took = self._server.restart()
        self.sandbox.resume_stuck()
        return took

    # -- what Restate knows ------------------------------------------------------------------------
    def invocation(self, ref: Ref) -> Invocation | None:
        return self._run(self._clients.sql.invocation(_id(ref)), 30.0)

    def invocations(self, target: str | None = None, *, status: str | None = None) -> list[Invocation]:
        """This test's invocations, oldest first; `target` like "Svc/handler" or "Obj/key/handler"."""
        # The app's services only: another module's app may have left invocations on the server.
        services = ", ".join(sql_str(name) for name in self.sandbox.pattern.services) or "''"
        where = [f"target_service_name IN ({services})"]
        where += [f"target = {sql_str(target)}"] if target else []
        where += [f"status = {sql_str(status)}"] if status else []
        query = self._clients.sql.invocations(" AND ".join(where), limit=500, order="created_at ASC")
        return self._run(query, 30.0)

    def describe(self, ref: Ref) -> str:
        """In words, what the invocation is doing (retrying after what error, waiting on what…)."""
        return self._run(entry_wait.describe_invocation(self._clients.sql, _id(ref)), 30.0)

    def journal(self, ref: Ref) -> Journal:
        inv = self.invocation(ref)
        entries = self._run(self._clients.sql.journal(_id(ref)), 30.0) if inv else []
        return Journal(inv, tuple(entries))

    def state(self, service: str, key: str) -> dict[str, Any]:
        """A Virtual Object's (or Workflow's) K/V state: {name: value}, JSON values decoded."""
        entries = self._run(self._clients.sql.state(service, key), 30.0)
        return {e.name: e.to_dict()["value"] for e in entries}

    def set_state(self, service: str, key: str, values: dict[str, Any]) -> None:
        """Replace a key's whole state (values written as JSON), through the admin API."""
        encoded = {name: json.dumps(value).encode() for name, value in values.items()}
        self._run(self._clients.admin.set_state(service, key, encoded), 30.0)


def _id(ref: Ref) -> str:
    return ref.id if isinstance(ref, InvocationHandle) else ref


def _target(ref: Ref) -> str:
    return ref.target if isinstance(ref, InvocationHandle) else ref


def _delay(delay: timedelta | float | str | None) -> str | None:
    if delay is None or isinstance(delay, str):
        return delay
    seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
    return f"{round(seconds * 1000)}ms"


def _message(resp: IngressResponse) -> str:
    body = resp.json
    return body.get("message", resp.text) if isinstance(body, dict) else resp.text


def _value(target: str, resp: IngressResponse) -> Any:
    if resp.status >= 300:
        raise RestateCallError(target, resp.status, _message(resp), resp.invocation_id)
    return resp.json if resp.json is not None else (resp.text or None)
