"""The numbers of a storm (`run --requests`): counts, errors by status, throughput, latency."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def storm_table(storm: dict[str, Any]) -> Table:
    table = Table(title="Storm", title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    errors = storm.get("errors") or {}
    lat = storm.get("latency_ms") or {}
    table.add_row("requests", f"{storm['requests']} ({storm['concurrency']} in flight at most)")
    table.add_row("answered 2xx", str(storm["answered"]))
    table.add_row("errors", ", ".join(f"{k}: {v}" for k, v in errors.items()) or "none")
    table.add_row("duration", f"{storm['duration']:.2f} s")
    table.add_row("throughput", f"{storm['requests_per_second']:.0f} requests/s")
    if lat:
        table.add_row(
            "latency",
            f"p50 {lat['p50']:.1f} ms · p95 {lat['p95']:.1f} ms · p99 {lat['p99']:.1f} ms · max {lat['max']:.1f} ms",
        )
    inv = storm.get("invocations")
    if inv:
        table.add_row("invocations", f"{inv['ran']} ran (expected {inv['expected']})")
    return table
