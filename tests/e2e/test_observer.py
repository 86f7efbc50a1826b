"""The live view's observer against a real restate-server: bounded queries, sweeps beside the refreshes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from restate_play.patterns.catalog import get_pattern
from restate_play.restate.introspection import Introspection
from restate_play.sandbox.ports import free_ports
from restate_play.sandbox.sandbox import Sandbox, SandboxOptions
from restate_play.scenario.observer import LiveModel, Observer
from restate_play.waiting import eventually_async

pytestmark = pytest.mark.e2e

SWEEP = "FROM sys_invocation_status WHERE target_service_name"  # the one query that scans


class CountingSql(Introspection):
    """Introspection that remembers every SQL text it sent."""

    def __init__(self, admin_url: str):
        super().__init__(admin_url)
        self.sent: list[str] = []

    async def query(self, sql: str):
        self.sent.append(sql)
        return await super().query(sql)


@pytest.fixture
def sandbox(restate_binary, isolated_state):
    pattern = get_pattern("durable-rpc")  # its client app on a free port, not the document's 5000
    with Sandbox(pattern, SandboxOptions(client_ports=tuple(free_ports(len(pattern.client_ports))))) as sb:
        yield sb


async def reserve(sb: Sandbox, products: list[str]) -> list[str]:
    async with httpx.AsyncClient(timeout=30) as http:
        answers = [await http.post(f"{sb.ingress_url}/product/{p}/reserve") for p in products]
    assert all(a.status_code == 200 for a in answers)
    return [a.headers["x-restate-id"] for a in answers]


def test_follows_reported_ids_and_sweeps_for_the_others(sandbox):
    async def main() -> None:
        sql = CountingSql(sandbox.admin_url)
        model = LiveModel()
        observer = Observer(sql, ("product",), sandbox.ledger_path, model)
        await observer.refresh()  # the first refresh sweeps in place: an empty view
        assert model.invocations == {}
        known = await reserve(sandbox, ["k1"])
        observer.track(known[0])
        unknown = await reserve(sandbox, ["u1", "u2"])  # e.g. started by Kafka: no id reported
        sql.sent.clear()
        await observer.refresh()  # refresh 1: follows the reported id only
        assert set(model.invocations) == set(known) and model.journals[known[0]]
        assert not any(SWEEP in q for q in sql.sent)  # no sweep on this refresh
        for _ in range(8):  # refresh 5 starts a sweep beside the refreshes; its finds show up after
            await observer.refresh()
            await asyncio.sleep(0.05)
        assert set(model.invocations) == {*known, *unknown}
        assert all(model.journals[i] and model.invocations[i].done for i in unknown)
        scans = [q for q in sql.sent if SWEEP in q]
        assert len(scans) == 1 and "modified_at >=" in scans[0]  # later sweeps look only at changes

        async def keys_shown() -> set[str]:  # the state of every key seen invoked, read by its partition key
            await observer.refresh()
            return {s.key for s in model.state}

        await eventually_async(
            keys_shown, until=lambda keys: keys == {"k1", "u1", "u2"}, timeout=10, interval=0.05, what="3 keys' state"
        )
        assert {(s.key, s.value) for s in model.state} == {("k1", "true"), ("u1", "true"), ("u2", "true")}
        state_reads = [q for q in sql.sent if "FROM state" in q]
        assert state_reads and all("partition_key IN" in q for q in state_reads), state_reads
        await observer.close()
        await sql.aclose()

    asyncio.run(main())


def test_without_sweeps_no_table_is_scanned(sandbox):
    """A storm reports every id: `sweep_every=None` reads by id and by the shown keys only."""

    async def main() -> None:
        sql = CountingSql(sandbox.admin_url)
        model = LiveModel()
        observer = Observer(sql, ("product",), sandbox.ledger_path, model, sweep_every=None)
        ids = await reserve(sandbox, ["s1", "s2", "s3"])
        await reserve(sandbox, ["other"])  # not reported: must stay unseen
        for inv_id in ids:
            observer.track(inv_id)

        async def state_shown() -> int:  # the state is read beside the refreshes (every 5th starts a read)
            await observer.refresh()
            return len(model.state)

        await eventually_async(state_shown, until=lambda n: n == 3, timeout=10, interval=0.05, what="3 keys' state")
        await observer.close()
        assert set(model.invocations) == set(ids)
        assert {(s.key, s.value) for s in model.state} == {("s1", "true"), ("s2", "true"), ("s3", "true")}
        for q in sql.sent:
            assert "sys_invocation_status" not in q or "WHERE id IN" in q, q  # lookups by id, no sweep
            assert "FROM state WHERE" not in q or "partition_key IN" in q, q  # by key, no scan
        await sql.aclose()

    asyncio.run(main())
