"""A cluster's pure parts: restatectl rows → ClusterView, node settings, the panel, expect_cluster,
crash = "node" validation, and the transport that skips a dead node."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
from rich.console import Console
from scenario_helpers import rejected, steps

from restate_play.restate.cluster import ClusterView, decode, failovers_between
from restate_play.sandbox.cluster import SpreadTransport, node_env, nodes_ports
from restate_play.sandbox.ports import free_ports
from restate_play.sandbox.server import ServerPorts
from restate_play.scenario.actions.cluster import ClusterSeen
from restate_play.views.cluster import cluster_panel, with_cluster_panel

ROLES = {k: True for k in ("has_admin_role", "has_worker_role", "has_metadata_server_role", "has_log_server_role")}


def view(leader: str, dead: tuple[str, ...] = ()) -> ClusterView:
    # Restate numbers nodes as they join: n3 joined second, so it is N2.
    names = {"N1": "n1", "N2": "n3", "N3": "n2"}
    nodes = [
        {"plain_node_id": i, "name": n, "state": "dead" if i in dead else "alive", **ROLES} for i, n in names.items()
    ]
    parts = [{"partition_id": 0, "leader_plain_node_id": leader, "leader_epoch": "e2", "current_replica_set": "N1,N3"}]
    logs = [{"log_id": 0, "kind": "replicated", "sequencer": f"{leader}:2", "nodeset": "[N1, N2, N3]"}]
    return decode(nodes, parts, logs, source="test")


def test_decode_numbers_nodes_by_their_names_not_restates_ids():
    v = view("N2")
    assert [(n.number, n.id) for n in v.nodes] == [(1, "N1"), (2, "N3"), (3, "N2")]  # sorted as a person counts
    assert v.leader_number(0) == 3 and v.label("N2") == "n3 (N2)"
    assert v.logs[0].sequencer == "N2"  # generation stripped
    assert v.numbered(2).id == "N3" and "metadata-server" in v.numbered(2).roles
    assert v.partition_of(12345).id == 0


def test_leaders_alive_is_false_when_the_leader_is_dead():
    assert view("N1").leaders_alive()
    assert not view("N1", dead=("N1",)).leaders_alive()


def test_node_env_makes_one_provisioner_and_lists_every_metadata_server():
    ports = nodes_ports(ServerPorts(1, 2, 3), 3, lambda n: list(range(10, 10 + n)))
    assert [p.fabric for p in ports] == [3, 12, 15]
    envs = [node_env(i, ports) for i in (1, 2, 3)]
    assert [e["RESTATE_AUTO_PROVISION"] for e in envs] == ["true", "false", "false"]
    assert json.loads(envs[2]["RESTATE_METADATA_CLIENT__ADDRESSES"]) == [
        "http://127.0.0.1:3",
        "http://127.0.0.1:12",
        "http://127.0.0.1:15",
    ]
    assert envs[1]["RESTATE_ADVERTISED_ADDRESS"] == "http://127.0.0.1:12"
    assert (
        envs[0]["RESTATE_DEFAULT_REPLICATION"] == "2" and envs[0]["RESTATE_BIFROST__DEFAULT_PROVIDER"] == "replicated"
    )


def test_panel_shows_the_dead_node_and_the_failover():
    before, after = view("N3"), view("N1", dead=("N3",))
    lines = failovers_between(before, after)
    assert lines == ["P0: leader n2 (N3) → n1 (N1)", "n2 (N3) is dead"]
    console = Console(width=120, record=True, color_system=None)
    console.print(cluster_panel(after, lines))
    text = console.export_text()
    assert "2/3 nodes alive" in text and "down: n2 (N3)" in text and "✖ dead" in text and "⇄ P0" in text


def test_the_live_dashboard_gets_the_cluster_panel_on_its_right():
    from restate_play.views.dashboard import dashboard

    layout = with_cluster_panel(dashboard("t", [], [], {}, [], [], []), view("N1", dead=("N3",)), ["+1.0s P0: …"])
    console = Console(width=160, height=50, record=True, color_system=None)
    console.print(layout)
    text = console.export_text()
    assert "cluster" in text and "✖ dead" in text and "Service log" in text


def test_panel_says_when_the_majority_is_gone():
    console = Console(width=120, record=True, color_system=None)
    console.print(cluster_panel(view("N1", dead=("N2", "N3"))))
    assert "no majority" in console.export_text()


LABELLED = '[[step]]\ncall = "S/h"\nas = "trip"\nbackground = true\n'


def test_crash_node_needs_a_number_or_leader_and_leader_needs_of():
    rejected('[[step]]\ncrash = "node"\n', "'node'", "a node number or 'leader'")
    rejected('[[step]]\ncrash = "service"\nnode = 2\n', "'node'", "only then")
    rejected('[[step]]\ncrash = "node"\nnode = "leader"\n', "'of'", "partition's leader")
    rejected('[[step]]\ncrash = "node"\nnode = 0\n', "'node'")
    rejected('[[step]]\nrestart = "service"\nnode = 2\n', "'node'", "restart = 'node'")
    _, crash, restart = steps(
        LABELLED + '[[step]]\ncrash = "node"\nnode = "leader"\nof = "trip"\n[[step]]\nrestart = "node"\n'
    )
    assert (crash.crash, crash.node, restart.restart, restart.node) == ("node", "leader", "node", None)


def expect(text: str):
    (only,) = steps(f"[[step]]\nexpect_cluster = {text}\n")
    return only


def test_expect_cluster_dead_and_alive():
    check = expect("{ dead = [2], alive = [1, 3] }")
    assert check.judge(ClusterSeen(view("N1", dead=("N3",)), {})).ok
    verdict = check.judge(ClusterSeen(view("N1"), {}))
    assert not verdict.ok and "node 2 is alive, expected dead" in verdict.observed


def test_expect_cluster_leader_moved():
    check = expect("{ leader_moved = true }")
    # node 2 (N3) led P0 when it was killed
    assert check.judge(ClusterSeen(view("N1", dead=("N3",)), {2: [0]})).ok
    stuck = check.judge(ClusterSeen(view("N3", dead=("N3",)), {2: [0]}))
    assert not stuck.ok and "led by n2 (N3)" in stuck.observed
    assert not check.judge(ClusterSeen(view("N1"), {})).ok  # nothing was killed: nothing moved


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"port {self.server.server_address[1]}".encode())

    def log_message(self, *args):
        pass


def test_spread_transport_goes_round_and_skips_a_dead_node():
    server = HTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    live = server.server_address[1]
    (dead,) = free_ports(1)  # nothing listens there: a killed node

    async def answers() -> list[str]:
        async with httpx.AsyncClient(transport=SpreadTransport(lambda: [dead, live], spread=True)) as http:
            return [(await http.get(f"http://127.0.0.1:{dead}/x")).text for _ in range(3)]

    try:
        assert asyncio.run(answers()) == [f"port {live}"] * 3
    finally:
        server.shutdown()


def test_chaos_node_parts_stay_within_quorum_unless_asked():
    from restate_play.sandbox.cluster import node_part, node_parts

    assert node_parts(3) == ("node 1", "node 2", "node 3")
    assert node_parts(3, beyond_quorum=True)[3:] == ("nodes 1+2", "nodes 2+3")
    assert node_parts(5, beyond_quorum=True)[5:] == ("nodes 1+2+3", "nodes 2+3+4", "nodes 3+4+5")
    assert node_part("nodes 1+2") == [1, 2] and node_part("node 3") == [3] and node_part("server") is None


def test_a_majority_loss_is_told_as_waiting_not_losing():
    from restate_play.commands.cluster import majority_losses

    kills = [
        {"target": "node 1", "landed": True, "downtime": 0.5, "restart_took": 1.0, "in_flight": 3},
        {"target": "nodes 2+3", "landed": True, "downtime": 0.5, "restart_took": 1.5, "in_flight": 7},
    ]
    (line,) = majority_losses(kills)
    assert "nodes 2+3 down together for 2.0 s: no majority" in line and "7 requests in flight waited" in line
