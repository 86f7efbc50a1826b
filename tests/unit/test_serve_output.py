"""The serve banner at 80 and 120 columns: every command on one line of its own, no border on it,
the sandbox's own ports in its curl lines."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from restate_play.commands.serve import _banner, local_curls
from restate_play.patterns.catalog import get_pattern
from restate_play.sandbox.target import PatternTarget

BOX = re.compile("[\u2500-\u257f]")  # box-drawing characters: │ ┃ ╭ ╰ ─ …


class FakeKafka:
    name = "kafka"

    def describe(self) -> dict:
        return {"port": 29092, "bootstrap": "127.0.0.1:29092", "cluster": "my-cluster", "subscriptions": []}


def fake_sandbox(slug: str, ingress: int, admin: int, components=()) -> SimpleNamespace:
    pattern = get_pattern(slug)
    clients = [admin + 100 + i for i, _ in enumerate(pattern.client_ports)]
    state = {
        "pattern": slug,
        "server": {"pid": 1, "ingress": ingress, "admin": admin, "fabric": admin + 1},
        "service": {"pid": 2, "port": admin + 10, "client_ports": clients},
        "components": {c.name: c.describe() for c in components},
    }
    return SimpleNamespace(
        pattern=pattern,
        target=PatternTarget(pattern),
        ingress_url=f"http://127.0.0.1:{ingress}",
        admin_url=f"http://127.0.0.1:{admin}",
        service=SimpleNamespace(url=f"http://127.0.0.1:{admin + 10}", pid=2, client_ports=clients),
        components=list(components),
        data_dir=Path("/tmp/restate-play-x"),
        timings=SimpleNamespace(ready=1.0),
        describe=lambda: state,
    )


def banner(sb, width: int) -> list[str]:
    out = Console(file=io.StringIO(), width=width, force_terminal=False, no_color=True)
    _banner(out, sb, sb.pattern.slug, f" --admin-url {sb.admin_url}", [])
    return out.file.getvalue().splitlines()


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("slug", ["sagas", "stateful-actors", "event-enrichment", "durable-rpc", "payment-signals"])
def test_commands_are_whole_lines_without_borders(slug, width):
    components = [FakeKafka()] if "kafka" in get_pattern(slug).needs else []
    sb = fake_sandbox(slug, 28080, 29070, components)
    lines = banner(sb, width)
    clients = {f"client{i + 1 if i else ''}": port for i, port in enumerate(sb.service.client_ports)}
    curls = local_curls(sb.pattern, {"ingress": 28080, "admin": 29070, **clients})
    text = "\n".join(lines)
    # Each curl line whole, starting a line of its own (payment-signals' body spans lines, as in its document).
    assert curls and all(f"\n{curl}\n" in f"\n{text}\n" for curl in curls)
    commands = [line for line in lines if re.match(r"\(?(curl|restate-play) ", line)]
    assert len(commands) >= len(curls) + 3
    for line in lines:
        if "curl " in line or "restate-play " in line:
            assert not BOX.search(line), line
    assert "restate-play invocations list --admin-url http://127.0.0.1:29070" in lines
    assert "http://127.0.0.1:29070/ui/" in text


def test_curl_lines_carry_the_sandboxs_ports():
    (line,) = local_curls(get_pattern("sagas"), {"ingress": 28080, "admin": 29070})
    assert line.startswith("curl localhost:28080/BookingWorkflow/run ")
    for curl in local_curls(get_pattern("event-enrichment"), {"ingress": 28080, "admin": 29070}):
        assert "localhost:8080" not in curl and "localhost:9070" not in curl
    lines = local_curls(
        get_pattern("durable-rpc"), {"ingress": 28080, "admin": 29070, "client": 25000, "client2": 25050}
    )
    assert lines == [
        "curl -X POST localhost:25000/reserve/product1/reservation1",
        "curl -X POST localhost:25050/reserve/product1/reservation2",
        "curl -X POST localhost:25050/reserve/product1/reservation1",
    ]
