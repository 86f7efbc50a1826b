"""`restate-play ps`: the sandboxes running now (each `serve`, each `run` in progress), from the registry."""

from __future__ import annotations

import sys

from restate_play.sandbox import registry
from restate_play.sandbox.registry import Record

COLUMNS = ("NAME", "PATTERN", "INGRESS", "ADMIN", "PID", "AGE")
INDENT = "    "


def row(record: Record) -> list[str]:
    ports = record.ports
    return [
        record.name,
        record.pattern,
        str(ports.get("ingress", "")),
        str(ports.get("admin", "")),
        str(record.owner_pid),
        registry.format_age(record.age),
    ]


def other_ports(record: Record) -> str:
    """The ports not in the columns (service, fabric, kafka, db, clients), for the line under the row."""
    return " · ".join(f"{name} {port}" for name, port in record.ports.items() if name not in ("ingress", "admin"))


def table(records: list[Record]) -> str:
    """Plain aligned columns, no box: within 80 columns (names up to 24 characters), and grep finds
    a sandbox's name, pattern and main ports on one line; its other ports are on the next."""
    rows = [row(r) for r in records]
    widths = [max(len(line[i]) for line in [COLUMNS, *rows]) for i in range(len(COLUMNS))]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(COLUMNS)]
    for record, cells in zip(records, rows, strict=True):
        out += [line(cells), INDENT + other_ports(record)]
    return "\n".join(out)


def show_running(as_json: bool) -> None:
    records = registry.records()
    if as_json:
        from restate_play.commands.common import print_json  # rich, only for --json

        print_json([r.to_dict() for r in records])
        return
    if not records:
        sys.stdout.write("Nothing runs. Start a sandbox with: restate-play serve <pattern>\n")
        return
    sys.stdout.write(table(records) + "\n")
