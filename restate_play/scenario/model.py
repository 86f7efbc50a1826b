"""The scenario model, loaded from TOML and validated with errors naming file, step and field.

A scenario is a list of steps; each step has exactly one action key:

  call / send        a request to the ingress ("Service/handler" or "Object/key/handler")
  parallel           several call/send tables at once
  crash / restart    "service" or "server" (crash: SIGKILL, optionally after a journal entry)
  wait / wait_for    seconds, or until a labelled invocation completes
  attach             fetch a labelled invocation's result later
  resolve_awakeable  complete an awakeable whose id a handler published in its state or output
  expect_state / expect_ledger / expect_journal / expect_invocation / expect_invocations    checks
  say                narration only
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restate_play.errors import PlayError

TARGET_RE = re.compile(r"^[A-Za-z_][\w.-]*(/[^/\s]+)?/[A-Za-z_][\w-]*$")
DELAY_RE = re.compile(r"^\d+(\.\d+)?(ms|s|m|h)$|^P")
VAR_RE = re.compile(r"\{([A-Za-z_]\w*)\}")  # a value captured from an earlier answer, used in a target

ACTIONS = (
    "call",
    "send",
    "parallel",
    "crash",
    "restart",
    "wait",
    "wait_for",
    "attach",
    "resolve_awakeable",
    "sql",
    "publish",
    "expect_state",
    "expect_ledger",
    "expect_journal",
    "expect_invocation",
    "expect_invocations",
    "expect_sql",
    "expect_spans",
    "expect_concurrency",
    "say",
)


class ScenarioError(PlayError):
    pass


@dataclass
class Expect:
    """What a response must look like."""

    status: int | None = None
    body: Any = None
    has_body: bool = False
    body_contains: str | None = None
    invocation_status: str | None = None  # send: "Accepted" | "PreviouslyAccepted"
    same_invocation_as: str | None = None  # the answer names the invocation of this earlier label


@dataclass
class Request:
    kind: str  # "call" | "send"
    target: str
    body: Any = None
    has_body: bool = False
    raw_body: str | None = None
    idempotency_key: str | None = None
    delay: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    label: str | None = None
    background: bool = False
    expect: Expect | None = None
    via: str = "ingress"  # or "client": the pattern's client app (e.g. Durable RPC's on port 5000)
    capture: dict[str, str] = field(default_factory=dict)  # variable → regex on the answer's text
    repeat: int = 1  # send it this many times, one after the other; "{i}" in body_json becomes 1..N


@dataclass
class Step:
    number: int
    action: str
    say: str | None = None
    requests: list[Request] = field(default_factory=list)  # call / send / parallel
    target: str | None = None  # crash / restart: "service" | "server"
    after_entry: str | None = None  # crash after this journal entry name is recorded
    of: str | None = None  # label of an invocation
    restart_after: float | None = None
    seconds: float | None = None
    timeout: float = 30.0
    args: dict[str, Any] = field(default_factory=dict)  # the expect_* tables
    expect: Expect | None = None  # attach
    stagger: float = 0.0  # parallel: start requests this many seconds apart, in list order
    expect_count: dict[str, Any] | None = None  # parallel: {body = X, count = N}


@dataclass
class Scenario:
    path: Path
    title: str
    description: str
    steps: list[Step]
    time_scale: float | None = None
    faults: dict[str, float] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)  # [world.durations]: named waits pinned

    @property
    def name(self) -> str:
        return self.path.stem


class _Ctx:
    def __init__(self, path: Path, step: int | None = None, action: str | None = None):
        self.path, self.step, self.action = path, step, action

    def fail(self, field_name: str, expected: str, got: Any = None) -> ScenarioError:
        where = f"{self.path.name}"
        if self.step is not None:
            where += f": step {self.step}" + (f" ({self.action})" if self.action else "")
        shown = "" if got is None else f", got {got!r}"
        return ScenarioError(
            f"{where}: field '{field_name}': expected {expected}{shown}.", f"Scenario file: {self.path}"
        )


def _typed(ctx: _Ctx, table: dict, name: str, types: type | tuple, expected: str, default: Any = None) -> Any:
    if name not in table:
        return default
    value = table[name]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise ctx.fail(name, expected, value)
    if not isinstance(value, types):
        raise ctx.fail(name, expected, value)
    return value


def _check_keys(ctx: _Ctx, table: dict, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise ctx.fail(key, "one of " + ", ".join(sorted(allowed)), "an unknown field")


def _expect(ctx: _Ctx, raw: Any, name: str = "expect") -> Expect | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ctx.fail(name, "a table like { status = 200, body = ... }", raw)
    sub = _Ctx(ctx.path, ctx.step, ctx.action)
    _check_keys(sub, raw, {"status", "body", "body_contains", "invocation_status", "same_invocation_as"})
    return Expect(
        status=_typed(sub, raw, "status", int, "an HTTP status code (integer)"),
        body=raw.get("body"),
        has_body="body" in raw,
        body_contains=_typed(sub, raw, "body_contains", str, "a string"),
        invocation_status=_typed(sub, raw, "invocation_status", str, "'Accepted' or 'PreviouslyAccepted'"),
        same_invocation_as=_typed(sub, raw, "same_invocation_as", str, "the label ('as') of an earlier request"),
    )


_REQUEST_FIELDS = {
    "capture",
    "call",
    "send",
    "body",
    "body_json",
    "idempotency_key",
    "delay",
    "headers",
    "as",
    "background",
    "expect",
    "say",
    "via",
    "repeat",
}
CLIENT_PATH_RE = re.compile(r"^/\S*$")


def _request(ctx: _Ctx, table: dict) -> Request:
    _check_keys(ctx, table, _REQUEST_FIELDS)
    kind = "call" if "call" in table else "send" if "send" in table else None
    if kind is None or ("call" in table and "send" in table):
        raise ctx.fail("call", "exactly one of 'call' or 'send' in each request", table)
    target = table[kind]
    via = _typed(ctx, table, "via", str, "'ingress' or 'client'", "ingress")
    if via not in ("ingress", "client"):
        raise ctx.fail("via", "'ingress' or 'client'", via)
    if via == "client":
        if kind != "call" or not isinstance(target, str) or not CLIENT_PATH_RE.match(target):
            raise ctx.fail(kind, "a 'call' with a path on the client app, like '/reserve/product1/r1'", target)
    elif not isinstance(target, str) or not TARGET_RE.match(target):
        raise ctx.fail(kind, "'Service/handler' or 'Object/key/handler'", target)
    if "body" in table and "body_json" in table:
        raise ctx.fail("body_json", "either 'body' (a TOML value) or 'body_json' (raw text), not both")
    delay = _typed(ctx, table, "delay", str, "a duration with a unit, like '500ms', '2s' or 'PT1S'")
    if delay is not None:
        if kind != "send":
            raise ctx.fail("delay", "'delay' only on 'send' steps (Restate delays one-way sends)", delay)
        if not DELAY_RE.match(delay):
            raise ctx.fail("delay", "a duration with a unit, like '500ms', '2s' or 'PT1S'", delay)
    headers = _typed(ctx, table, "headers", dict, "a table of header names to strings", {})
    if not all(isinstance(v, str) for v in headers.values()):
        raise ctx.fail("headers", "string values", headers)
    repeat = _typed(ctx, table, "repeat", int, "how many times to send it, one after the other (an integer ≥ 1)", 1)
    if repeat < 1:
        raise ctx.fail("repeat", "an integer ≥ 1", repeat)
    if repeat > 1 and ("as" in table or table.get("background")):
        raise ctx.fail("repeat", "no 'as' or 'background' on a repeated request (it is many invocations)", repeat)
    capture = _typed(ctx, table, "capture", dict, "a table of variable name → regex on the answer", {})
    for name, pattern in capture.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", name) or not isinstance(pattern, str):
            raise ctx.fail("capture", "variable names (letters, digits, _) → regex strings", capture)
        try:
            re.compile(pattern)
        except re.error as err:
            raise ctx.fail("capture", f"a valid regex for '{name}' ({err})", pattern) from err
    return Request(
        kind=kind,
        target=target,
        capture=dict(capture),
        body=table.get("body"),
        has_body="body" in table,
        raw_body=_typed(ctx, table, "body_json", str, "a string of raw request body"),
        idempotency_key=_typed(ctx, table, "idempotency_key", str, "a string"),
        delay=delay,
        headers=headers,
        label=_typed(ctx, table, "as", str, "a label string"),
        background=_typed(ctx, table, "background", bool, "true or false", False),
        expect=_expect(ctx, table.get("expect")),
        via=via,
        repeat=repeat,
    )


def _step(path: Path, number: int, table: Any) -> Step:
    if not isinstance(table, dict):
        raise _Ctx(path, number).fail("step", "a table ([[step]])", table)
    actions = [a for a in ACTIONS if a in table and a != "say"]
    if not actions and "say" in table:
        actions = ["say"]
    if len(actions) != 1:
        raise _Ctx(path, number).fail("step", "exactly one action: " + ", ".join(ACTIONS), ", ".join(actions) or "none")
    action = actions[0]
    ctx = _Ctx(path, number, action)
    say = _typed(ctx, table, "say", str, "a string")
    step = Step(number, action, say=say)

    if action == "say":
        _check_keys(ctx, table, {"say"})
    elif action in ("call", "send"):
        step.requests = [_request(ctx, table)]
    elif action == "parallel":
        _check_keys(ctx, table, {"parallel", "say", "stagger", "expect_count"})
        items = table["parallel"]
        if not isinstance(items, list) or not items:
            raise ctx.fail("parallel", "a non-empty list of call/send tables", items)
        step.requests = [_request(ctx, item if isinstance(item, dict) else {"call": item}) for item in items]
        if any(r.repeat > 1 for r in step.requests):
            raise ctx.fail("repeat", "'repeat' only on a call/send step, not inside 'parallel'")
        step.stagger = float(_typed(ctx, table, "stagger", (int, float), "seconds between starts (a number)", 0.0))
        count = _typed(ctx, table, "expect_count", dict, "a table { body = <JSON value>, count = <int> }")
        if count is not None and (set(count) != {"body", "count"} or not isinstance(count["count"], int)):
            raise ctx.fail("expect_count", "a table { body = <JSON value>, count = <int> }", count)
        step.expect_count = count
    elif action in ("crash", "restart"):
        _check_keys(ctx, table, {action, "say", "after_entry", "of", "restart_after", "timeout"})
        step.target = table[action]
        if step.target not in ("service", "server"):
            raise ctx.fail(action, "'service' or 'server'", step.target)
        step.after_entry = _typed(ctx, table, "after_entry", str, "a journal entry name, like 'Book car'")
        step.of = _typed(ctx, table, "of", str, "the label ('as') of an earlier request")
        if step.after_entry and not step.of:
            raise ctx.fail("of", "the label of the invocation whose journal to watch (with after_entry)")
        step.restart_after = _typed(ctx, table, "restart_after", (int, float), "seconds (a number)")
        step.timeout = float(_typed(ctx, table, "timeout", (int, float), "seconds (a number)", 30.0))
    elif action == "wait":
        _check_keys(ctx, table, {"wait", "say"})
        step.seconds = float(_typed(ctx, table, "wait", (int, float), "seconds to wait (a number)"))
    elif action == "wait_for":
        _check_keys(ctx, table, {"wait_for", "say", "timeout"})
        step.of = _typed(ctx, table, "wait_for", str, "the label ('as') of an earlier request")
        step.timeout = float(_typed(ctx, table, "timeout", (int, float), "seconds (a number)", 30.0))
    elif action == "attach":
        _check_keys(ctx, table, {"attach", "say", "expect"})
        step.of = _typed(ctx, table, "attach", str, "the label ('as') of an earlier send")
        step.expect = _expect(ctx, table.get("expect"))
    elif action == "publish":
        _publish_step(ctx, table, step)
    elif action == "resolve_awakeable":
        _check_keys(ctx, table, {"resolve_awakeable", "say", "value", "from_state", "from_log", "timeout"})
        spec = table["resolve_awakeable"]
        if not isinstance(spec, str) or not spec:
            raise ctx.fail("resolve_awakeable", "an awakeable id, or 'from_log' to take the one the service logged")
        step.args = {"id": spec, "value": table.get("value", True)}
        step.timeout = float(_typed(ctx, table, "timeout", (int, float), "seconds (a number)", 15.0))
    elif action == "sql":
        _sql_step(ctx, table, step)
    elif action.startswith("expect_"):
        _check_keys(ctx, table, {action, "say", "timeout"})
        args = table[action]
        if not isinstance(args, dict):
            raise ctx.fail(action, "a table", args)
        _validate_expectation(ctx, action, args)
        step.args = args
        step.timeout = float(_typed(ctx, table, "timeout", (int, float), "seconds (a number)", 10.0))
    return step


def _publish_step(ctx: _Ctx, table: dict, step: Step) -> None:
    """publish = "topic", records = ["key:json", ...], as = ["label" or "", ...] (one per record)."""
    from restate_play.sandbox.kafka_client import RecordLineError, parse_line

    _check_keys(ctx, table, {"publish", "say", "records", "as"})
    topic = _typed(ctx, table, "publish", str, "a Kafka topic name, like 'social-media-posts'")
    if not topic:
        raise ctx.fail("publish", "a Kafka topic name, like 'social-media-posts'", topic)
    records = table.get("records")
    if not isinstance(records, list) or not records or not all(isinstance(r, str) for r in records):
        raise ctx.fail("records", 'a non-empty list of "key:json" strings, like \'u1:{"content": "Hi!"}\'', records)
    for number, record in enumerate(records, start=1):
        try:
            parse_line(record, number, "record")
        except RecordLineError as err:
            raise ctx.fail("records", f"key:json records ({err.message.rstrip('.')})") from None
    labels = table.get("as", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels) or len(labels) > len(records):
        raise ctx.fail("as", "a list of labels, one per record in order ('' for none)", labels)
    step.args = {"topic": topic, "records": list(records), "labels": [x or None for x in labels]}
    step.args["labels"] += [None] * (len(records) - len(labels))


def _validate_expectation(ctx: _Ctx, action: str, args: dict) -> None:
    if action == "expect_sql":
        return _validate_sql_expectation(ctx, args)
    if action == "expect_state":
        _check_keys(ctx, args, {"service", "key", "values", "absent"})
        for f in ("service", "key"):
            if not isinstance(args.get(f), str):
                raise ctx.fail(f, "a string")
        if "values" in args and not isinstance(args["values"], dict):
            raise ctx.fail("values", "a table of state key → expected JSON value", args["values"])
        if "absent" in args and not isinstance(args["absent"], list):
            raise ctx.fail("absent", "a list of state keys that must not exist", args["absent"])
    elif action == "expect_ledger":
        ledger_keys = {"action", "count", "at_least", "where", "order", "field", "values", "flat", "at_most"}
        _check_keys(ctx, args, ledger_keys | {"since", "gaps", "among_first"})
        first_n = args.get("among_first", 1)
        if not isinstance(first_n, int) or isinstance(first_n, bool):
            raise ctx.fail("among_first", "an integer N: every matching entry is among the first N of its action")
        _validate_ledger_timing(ctx, args)
        if "order" in args and ("count" in args or "at_least" in args):
            raise ctx.fail("order", "either 'order' or 'count'/'at_least', not both")
        if ("field" in args) != ("values" in args) or ("flat" in args and "field" not in args):
            raise ctx.fail("field", "'field' and 'values' together (the list of that argument across entries)")
        if "field" in args and not (isinstance(args["field"], str) and isinstance(args["values"], list)):
            raise ctx.fail("values", "'field' = an argument name, 'values' = a list", args["values"])
        if "flat" in args and not isinstance(args["flat"], bool):
            raise ctx.fail("flat", "true (concatenate list values) or false", args["flat"])
        if "order" in args:
            if not (isinstance(args["order"], list) and all(isinstance(a, str) for a in args["order"])):
                raise ctx.fail("order", "a list of ledger action names, in the order they must happen")
        else:
            if not isinstance(args.get("action"), str):
                raise ctx.fail("action", "a ledger action name, like 'flight.book'", args.get("action"))
            if "count" not in args and "at_least" not in args and "at_most" not in args and "values" not in args:
                raise ctx.fail("count", "'count' (exact) or 'at_least'")
        if "at_most" in args and ("count" in args or "order" in args):
            raise ctx.fail("at_most", "'at_most' alone or with 'at_least', not with 'count' or 'order'")
        for f in ("count", "at_least", "at_most"):
            if f in args and (not isinstance(args[f], int) or isinstance(args[f], bool)):
                raise ctx.fail(f, "an integer", args[f])
        if "where" in args and not isinstance(args["where"], dict):
            raise ctx.fail("where", "a table of argument → value", args["where"])
    elif action == "expect_journal":
        _check_keys(ctx, args, {"of", "entries", "absent"})
        if not isinstance(args.get("of"), str):
            raise ctx.fail("of", "the label ('as') of an earlier request")
        for f in ("entries", "absent"):
            if f in args and not (isinstance(args[f], list) and all(isinstance(e, str) for e in args[f])):
                raise ctx.fail(f, "a list of journal entry names or types, like 'Book flight' or 'Sleep'")
    elif action == "expect_invocations":
        _check_keys(ctx, args, {"target", "count", "status", "result"})
        if "result" in args and args["result"] not in ("success", "failure"):
            raise ctx.fail("result", "'success' or 'failure'", args["result"])
        if not isinstance(args.get("target"), str):
            raise ctx.fail("target", "an invocation target, like 'product/product1/reserve'", args.get("target"))
        if not isinstance(args.get("count"), int):
            raise ctx.fail("count", "an integer", args.get("count"))
    elif action == "expect_spans":
        _check_keys(ctx, args, {"start", "end", "by", "where", "count", "concurrent", "max_ratio"})
        for f in ("start", "end", "by"):
            if not isinstance(args.get(f), str):
                raise ctx.fail(f, "a string (start/end: ledger actions; by: the argument naming each span)")
        if "count" in args and (not isinstance(args["count"], int) or isinstance(args["count"], bool)):
            raise ctx.fail("count", "an integer", args["count"])
        if "concurrent" in args and not isinstance(args["concurrent"], bool):
            raise ctx.fail("concurrent", "true (all spans share a moment) or false (none overlap)", args["concurrent"])
        ratio = args.get("max_ratio")
        if "max_ratio" in args and (isinstance(ratio, bool) or not isinstance(ratio, int | float) or ratio <= 0):
            raise ctx.fail("max_ratio", "a positive number (wall time ÷ sum of the spans' durations)", ratio)
        if "where" in args and not isinstance(args["where"], dict):
            raise ctx.fail("where", "a table of argument → value", args["where"])
    elif action == "expect_concurrency":
        _check_keys(ctx, args, {"start", "end", "where", "at_most", "reaches"})
        for f in ("start", "end"):
            if not isinstance(args.get(f), str):
                raise ctx.fail(f, "a ledger action name (start: one more running; end: one fewer)", args.get(f))
        if "at_most" not in args and "reaches" not in args:
            raise ctx.fail("at_most", "'at_most' (never more at once) and/or 'reaches' (that many at once, once)")
        for f in ("at_most", "reaches"):
            if f in args and (not isinstance(args[f], int) or isinstance(args[f], bool)):
                raise ctx.fail(f, "an integer", args[f])
        if "where" in args and not isinstance(args["where"], dict):
            raise ctx.fail("where", "a table of argument → value", args["where"])
    elif action == "expect_invocation":
        _check_keys(ctx, args, {"of", "status", "result", "transient_errors"})
        if "transient_errors" in args and not isinstance(args["transient_errors"], bool):
            raise ctx.fail("transient_errors", "true (it failed and was retried) or false", args["transient_errors"])
        if not isinstance(args.get("of"), str):
            raise ctx.fail("of", "the label ('as') of an earlier request")
        if "result" in args and args["result"] not in ("success", "failure"):
            raise ctx.fail("result", "'success' or 'failure'", args["result"])


def _validate_ledger_timing(ctx: _Ctx, args: dict) -> None:
    """expect_ledger's `since` (only entries after a labelled answer) and `gaps` (their timing)."""
    if "since" in args and not isinstance(args["since"], str):
        raise ctx.fail("since", "the label ('as') of an earlier request", args["since"])
    if "gaps" not in args:
        return
    gaps = args["gaps"]
    expected = "a table { first = N, within = s, min = s, max = s } (seconds between the matching entries)"
    if "order" in args or not isinstance(gaps, dict) or not gaps:
        raise ctx.fail("gaps", expected, gaps)
    _check_keys(ctx, gaps, {"first", "within", "min", "max"})
    for name, value in gaps.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ctx.fail(f"gaps.{name}", "a number ≥ 0", value)
    if not isinstance(gaps.get("first", 1), int) or gaps.get("first", 1) < 1:
        raise ctx.fail("gaps.first", "an integer ≥ 1 (how many entries happen together)", gaps["first"])
    if ("within" in gaps) != ("first" in gaps):
        raise ctx.fail("gaps.within", "'first' and 'within' together: the first N entries within s seconds")
    if "min" in gaps and "max" in gaps and gaps["min"] > gaps["max"]:
        raise ctx.fail("gaps.max", f"at least min ({gaps['min']})", gaps["max"])


def _check_variables(path: Path, steps: list[Step]) -> None:
    """A `{name}` in a target must have been captured by an earlier step; `since` must name an earlier label."""
    captured: set[str] = set()
    labels: set[str] = set()
    for step in steps:
        # `{i}` in a repeated request's target is the loop's count (1…N), not a captured value.
        texts = [req.target.replace("{i}", "") if req.repeat > 1 else req.target for req in step.requests]
        texts += [step.args[f] for f in ("target", "key") if isinstance(step.args.get(f), str)]
        for name in (n for text in texts for n in VAR_RE.findall(text)):
            if name not in captured:
                raise _Ctx(path, step.number, step.action).fail(
                    "{" + name + "}", "a value captured ('capture') by a request in an earlier step", name
                )
        since = step.args.get("since") if step.action == "expect_ledger" else None
        if since is not None and since not in labels:
            raise _Ctx(path, step.number, step.action).fail("since", "the label ('as') of an earlier request", since)
        for req in step.requests:
            captured.update(req.capture)
            labels.update([req.label] if req.label else [])


def _sql_step(ctx: _Ctx, table: dict, step: Step) -> None:
    """sql = "SELECT …": run a query on the pattern's database and show the rows (narration)."""
    _check_keys(ctx, table, {"sql", "say"})
    query = table["sql"]
    if not isinstance(query, str) or not query.strip():
        raise ctx.fail("sql", "an SQL query, like 'SELECT * FROM users ORDER BY userid'", query)
    step.args = {"query": query}


def _validate_sql_expectation(ctx: _Ctx, args: dict) -> None:
    """expect_sql = { query = "SELECT …", rows = [ { column = value, … }, … ] } (or count = N)."""
    _check_keys(ctx, args, {"query", "rows", "count"})
    if not isinstance(args.get("query"), str) or not args["query"].strip():
        raise ctx.fail("query", "an SQL query, like 'SELECT credits FROM users'", args.get("query"))
    if "rows" not in args and "count" not in args:
        raise ctx.fail("rows", "'rows' (the exact result, in order) or 'count' (how many rows)")
    rows = args.get("rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ctx.fail("rows", "a list of tables, one per row: [ { userid = 'B', credits = 1012 } ]", rows)
    if "count" in args and (not isinstance(args["count"], int) or isinstance(args["count"], bool)):
        raise ctx.fail("count", "an integer", args["count"])


def load(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ScenarioError(f"Scenario file {path} does not exist.") from err
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path.name}: not valid TOML: {err}", f"Scenario file: {path}") from err
    ctx = _Ctx(path)
    _check_keys(ctx, data, {"title", "description", "time_scale", "world", "env", "step"})
    title = _typed(ctx, data, "title", str, "a string", path.stem)
    description = _typed(ctx, data, "description", str, "a string", "")
    time_scale = _typed(ctx, data, "time_scale", (int, float), "a number (1.0 = the document's real durations)")
    world = _typed(ctx, data, "world", dict, "a table", {})
    _check_keys(_Ctx(path), world, {"faults", "latency", "durations"})
    faults = world.get("faults", {})
    if not isinstance(faults, dict) or not all(isinstance(v, int | float) for v in faults.values()):
        raise ctx.fail("world.faults", "a table of fault point → count (int) or probability (float)", faults)
    latency = world.get("latency", {})
    if not isinstance(latency, dict) or not all(isinstance(v, int | float) for v in latency.values()):
        raise ctx.fail("world.latency", "a table of point → seconds", latency)
    durations = world.get("durations", {})
    if not isinstance(durations, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in durations.values()
    ):
        raise ctx.fail("world.durations", "a table of named wait → seconds (a number ≥ 0)", durations)
    env = _typed(ctx, data, "env", dict, "a table of environment variables", {})
    steps_raw = data.get("step")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise ctx.fail("step", "at least one [[step]] table", steps_raw)
    steps = [_step(path, i, raw) for i, raw in enumerate(steps_raw, start=1)]
    labels: set[str] = set()
    for step in steps:
        for req in step.requests:
            if req.label:
                labels.add(req.label)
        if step.action == "publish":  # labels of the invocations its records trigger
            labels.update(label for label in step.args["labels"] if label)
        ref = step.of or (step.args.get("of") if step.action.startswith("expect_") else None)
        if ref and ref not in labels:
            raise _Ctx(path, step.number, step.action).fail(
                "of", "the label ('as') of a request in an earlier step", ref
            )
        for expect in [r.expect for r in step.requests] + [step.expect]:
            same = expect.same_invocation_as if expect else None
            if same and (same not in labels or any(r.label == same for r in step.requests)):
                raise _Ctx(path, step.number, step.action).fail(
                    "same_invocation_as", "the label ('as') of a request in an earlier step", same
                )
    _check_variables(path, steps)
    return Scenario(
        path,
        title,
        description,
        steps,
        float(time_scale) if time_scale is not None else None,
        dict(faults),
        dict(latency),
        {str(k): str(v) for k, v in env.items()},
        durations={str(k): float(v) for k, v in durations.items()},
    )
