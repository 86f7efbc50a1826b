"""What a pattern's chaos module is written against: the requests its traffic sends, the evidence a
chaos run gathers, and the verdicts its invariants give.

A pattern keeps its chaos beside it, in `patterns/<slug>_chaos.py` (a user's own service could do
the same): one `PatternChaos` with a traffic generator and named invariants.

    chaos = PatternChaos("sagas")

    @chaos.traffic
    def request(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
        return ChaosRequest(n=n, target="BookingWorkflow/run", body={...}, key=f"c{n}")

    @chaos.invariant("one-saga-per-trip", "each trip ran as one saga")
    def one_saga(ev: Evidence) -> Verdict:
        return Verdict("12 trips", anomalies=["customer c3's trip was booked by two invocations …"])

An invariant is a pure function of the evidence (responses, ledger, final state, invocations): it
is unit-tested with synthetic evidence, no server needed. A failing verdict carries one sentence
per anomaly that a person can check by hand, naming the requests, the ledger lines and the state
it saw, next to the raw counts. This module uses only the stdlib and the ledger's entry type, so
the patterns' room can import it (patterns use `world` only).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from restate_play.world.ledger import LedgerEntry

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class ChaosRequest:
    n: int  # its place in the traffic, from 0: "request #n" in every explanation
    target: str  # "Svc/key/handler" for HTTP; for a Kafka record (`topic` set) the "key:json" line
    body: Any = None
    idempotency_key: str | None = None
    key: str = ""  # the object / customer it concerns, for invariants
    meta: Mapping[str, Any] = field(default_factory=dict)
    topic: str | None = None
    after: int | None = None  # starts only once request #after is answered (e.g. its package registered)

    def __str__(self) -> str:
        if self.topic is not None:
            return f"request #{self.n} (record on {self.topic})"
        keyed = f"idempotency key {self.idempotency_key}" if self.idempotency_key else "no idempotency key"
        return f"request #{self.n} ({self.target}, {keyed})"


@dataclass
class ChaosOutcome:
    request: ChaosRequest
    status: int | None = None  # None: never answered
    body: Any = None
    attempts: int = 0  # HTTP attempts by the client (retries after connection errors)
    done_at: float = 0.0
    invocation: str | None = None  # the answer's x-restate-id

    @property
    def offset(self) -> int:
        """The Kafka offset a published record got (-1 when unknown)."""
        return self.body["offset"] if isinstance(self.body, dict) and "offset" in self.body else -1

    def __str__(self) -> str:
        """'request #3 (BookingWorkflow/run, idempotency key trip-3) → 200 from inv_… after 2 attempts'."""
        if self.status is None:
            return f"{self.request} → no answer after {self.attempts} attempts"
        if self.request.topic is not None:
            return f"request #{self.request.n} (record on {self.request.topic} at offset {self.offset})"
        by = f" from {self.invocation}" if self.invocation else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.request} → {self.status}{by}{tries}"


class InvocationView(Protocol):
    """One of the pattern's invocations after the run (a row of sys_invocation)."""

    @property
    def id(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def handler(self) -> str: ...
    @property
    def key(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def completion_result(self) -> str | None: ...  # "success" | "failure"


@dataclass
class Evidence:
    """Everything a chaos run saw, gathered once the traffic is over and the pattern is idle."""

    outcomes: list[ChaosOutcome]
    ledger: list[LedgerEntry]
    state: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # service → key → name → JSON
    invocations: Sequence[InvocationView] = ()

    def state_of(self, service: str, name: str) -> dict[str, Any]:
        """One state entry of every object of `service`: object key → value."""
        return {key: names[name] for key, names in self.state.get(service, {}).items() if name in names}

    def published(self) -> list[ChaosOutcome]:
        return [o for o in self.outcomes if o.request.topic is not None]

    def published_by(self, meta: str) -> dict[Any, ChaosOutcome]:
        """The Kafka records this run published, by one of their `meta` values."""
        return {o.request.meta[meta]: o for o in self.published()}

    def invocations_of(self, service: str, handler: str) -> list[InvocationView]:
        return [i for i in self.invocations if i.service == service and i.handler == handler]


@dataclass
class Verdict:
    summary: str  # the raw counts ("100 trips consistent", "3 of 12 products with two winners")
    anomalies: list[str] = field(default_factory=list)  # one sentence a person can check, per anomaly

    @property
    def passed(self) -> bool:
        return not self.anomalies

    @classmethod
    def tally(cls, anomalies: list[str], total: int, bad: str, good: str) -> Verdict:
        """'3 of 12 <bad>' when anything failed, else '12 <good>'."""
        return cls(f"{len(anomalies)} of {total} {bad}" if anomalies else f"{total} {good}".rstrip(), anomalies)


Traffic = Callable[..., ChaosRequest]  # (rng, n, *, keys, idempotent) -> ChaosRequest
InvariantFn = Callable[[Evidence], Verdict]


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    check: InvariantFn


class PatternChaos:
    """One pattern's chaos traffic and its invariants, registered by name."""

    def __init__(self, slug: str):
        self.slug = slug
        self.invariants: dict[str, Invariant] = {}
        self._traffic: Traffic | None = None

    def traffic(self, fn: Traffic) -> Traffic:
        self._traffic = fn
        return fn

    def invariant(self, name: str, description: str) -> Callable[[InvariantFn], InvariantFn]:
        def register(fn: InvariantFn) -> InvariantFn:
            self.invariants[name] = Invariant(name, description, fn)
            return fn

        return register

    def request(self, rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
        if self._traffic is None:
            raise LookupError(f"{self.slug}: no chaos traffic registered")
        return self._traffic(rng, n, keys=keys, idempotent=idempotent)


# -- words for explanations ------------------------------------------------------------------------


def and_join(items: Iterable[object]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = [str(i) for i in items]
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def ledger_lines(entries: Iterable[LedgerEntry]) -> str:
    """'ledger line 4' / 'ledger lines 41 and 57': where a reader finds them in ledger.jsonl."""
    seqs = sorted({e.seq for e in entries})
    return f"ledger line{'s' if len(seqs) > 1 else ''} {and_join(seqs)}" if seqs else "no ledger line"


def invocation_ids(ids: Iterable[str | None]) -> str:
    """'invocation inv_1' / 'invocations inv_1 and inv_2'."""
    known = sorted({i for i in ids if i})
    return f"invocation{'s' if len(known) > 1 else ''} {and_join(known)}" if known else "no known invocation"


def order_violations(observed: Mapping[str, Sequence[tuple[int, str]]], subject: str) -> list[str]:
    """Per group, its items in the order they were observed, as (topic offset, how to name it): the
    first one seen after an item with a higher offset, as '<subject> <that item> before <it>, against
    the topic's order'; `subject` is formatted with the group ("{}'s feed got")."""
    sentences = []
    for group, seen in sorted(observed.items()):
        if pair := _first_inversion(seen):
            (_, earlier), (_, later) = pair
            sentences.append(f"{subject.format(group)} {earlier} before {later}, against the topic's order")
    return sentences


def _first_inversion(seen: Sequence[tuple[int, T]]) -> tuple[tuple[int, T], tuple[int, T]] | None:
    top: tuple[int, T] | None = None
    for pair in seen:
        if top is not None and pair[0] < top[0]:
            return top, pair
        if top is None or pair[0] > top[0]:
            top = pair
    return None
