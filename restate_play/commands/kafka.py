"""`restate-play kafka publish|tail|topics`: the documents' console producer, against the sandbox's broker."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

import httpx
from rich.table import Table

from restate_play.commands.common import (
    pick_serve,
    print_json,
    running_serves,
    stderr_console,
    stdout_console,
)
from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.sandbox.kafka_client import (
    Published,
    RecordLineError,
    list_topics,
    publish_lines,
    tail,
    topic_offsets,
)

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def resolve_bootstrap(explicit: str | None) -> str:
    """--bootstrap-server, else the running `serve`'s broker, else $KAFKA_BOOTSTRAP_SERVERS, else 9092."""
    if explicit:
        return explicit
    serve = pick_serve(
        having="kafka", flag="--bootstrap-server", value=lambda s: s.raw["components"]["kafka"]["bootstrap"]
    )
    kafka = (serve.raw.get("components") or {}).get("kafka") if serve else None
    if kafka and kafka.get("bootstrap"):
        return kafka["bootstrap"]
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP


def publish(topic: str, records: list[str], bootstrap: str | None, as_json: bool) -> None:
    from restate_play.sandbox.kafka_client import create_topics

    server = resolve_bootstrap(bootstrap)
    err = stderr_console()
    if not records and sys.stdin.isatty():
        err.print(f"Type key:json lines for {topic} (Ctrl-D ends):", style="dim")
    # Like a broker with auto.create.topics.enable (the documents' docker-compose Kafka).
    if create_topics(server, [topic]):
        err.print(f"Created topic {topic} on {server}.", style="dim")
    lines: Iterable[str] = records if records else sys.stdin
    where = "argument" if records else "line"
    out = stdout_console()
    done: list[Published] = []

    def report(p: Published) -> None:
        done.append(p)
        if not as_json:
            out.print(f"{p.key} → {p.topic} partition {p.partition} offset {p.offset}", highlight=False)

    try:
        publish_lines(server, topic, lines, on_published=report, where=where)
    except RecordLineError as error:
        if as_json:
            print_json([p.to_dict() for p in done])
        kept = f"{len(done)} record(s) before it were published. " if done else "Nothing was published. "
        raise PlayError(error.message, kept + (error.hint or "")) from None
    if as_json:
        print_json([p.to_dict() for p in done])
    _warn_if_unsubscribed(topic, server, err)


def _warn_if_unsubscribed(topic: str, server: str, err) -> None:
    """Records wait in the topic until Restate subscribes to it: say so (serve leaves that to you)."""
    serve = next((s for s in running_serves("kafka") if s.raw["components"]["kafka"].get("bootstrap") == server), None)
    if serve is None:
        return
    try:
        with loopback_client(timeout=3.0) as http:
            subs = http.get(f"{serve.admin_url}/subscriptions").json().get("subscriptions", [])
    except (httpx.HTTPError, ValueError):
        return
    if not any(s.get("source", "").rsplit("/", 1)[-1] == topic for s in subs):
        err.print(
            f"Restate has no subscription to {topic} yet: the records wait in the topic. Create it with the "
            "document's curl line (shown by `serve`); it starts from the earliest record.",
            style="yellow",
        )


def show_topics(bootstrap: str | None, as_json: bool) -> None:
    server = resolve_bootstrap(bootstrap)
    topics = list_topics(server)
    rows = []
    for name, partitions in topics.items():
        offsets = topic_offsets(server, name)
        rows.append(
            {
                "topic": name,
                "partitions": partitions,
                "records": sum(high - low for _p, low, high in offsets),
                "end_offsets": {str(p): high for p, _low, high in offsets},
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Kafka topics at {server}", title_justify="left")
    for col in ("topic", "partitions", "records", "end offsets"):
        table.add_column(col)
    for r in rows:
        ends = ", ".join(f"{p}:{o}" for p, o in r["end_offsets"].items())
        table.add_row(r["topic"], str(r["partitions"]), str(r["records"]), ends)
    stdout_console().print(table if rows else f"No topics at {server}.")


def tail_topic(topic: str, bootstrap: str | None, from_beginning: bool, count: int | None, as_json: bool) -> None:
    import json

    server = resolve_bootstrap(bootstrap)
    out = stdout_console()
    if not as_json:
        where = "from the beginning" if from_beginning else "new records"
        stderr_console().print(f"Tailing {topic} at {server} ({where}); Ctrl-C stops.", style="dim")
    for seen, rec in enumerate(tail(server, topic, from_beginning=from_beginning), start=1):
        if as_json:
            sys.stdout.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            out.print(f"[{rec.partition}@{rec.offset}] {rec.key}:{rec.value}", highlight=False, soft_wrap=True)
        if count is not None and seen >= count:
            break
