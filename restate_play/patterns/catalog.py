"""The patterns of the source documents: slug, title, category, summary, services, scenario."""

from __future__ import annotations

import difflib
import importlib.util
from dataclasses import dataclass, field

from restate_play.errors import PlayError

COMMUNICATION = "Communication"
ORCHESTRATION = "Orchestration"
SCHEDULING = "Scheduling"
EVENTS = "Event processing (Kafka)"
COORDINATION = "Coordination constructs"
CATEGORIES = (COMMUNICATION, ORCHESTRATION, SCHEDULING, EVENTS, COORDINATION)


@dataclass(frozen=True)
class Pattern:
    slug: str
    title: str
    category: str
    summary: str
    services: tuple[str, ...]
    # Ports of the small client app the source document talks to (served by the same process).
    client_ports: tuple[int, ...] = ()
    needs: frozenset[str] = field(default_factory=frozenset)  # "kafka", "postgres"
    source: str = "TypeScript"
    # Fault settings `serve` uses to mimic the document's random failures (scenarios set their own).
    serve_env: tuple[tuple[str, str], ...] = ()
    # Kafka subscriptions (topic, "Service/handler") the playground creates for `run` (needs "kafka").
    subscriptions: tuple[tuple[str, str], ...] = ()
    # Its emulated provider acts on its own (webhooks): the world's process runs that work, beside
    # the service and out of reach of the scenario's crashes (see world/later.py).
    world_process: bool = False

    @property
    def module(self) -> str:
        return f"restate_play.patterns.{self.slug.replace('-', '_')}"

    @property
    def default_scenario(self) -> str:
        return f"{self.slug}.toml"

    @property
    def curls(self) -> list[str]:
        """The source document's curl lines (scenarios/<slug>.curls): they work verbatim against `serve`."""
        from restate_play.paths import scenarios_dir

        try:
            text = (scenarios_dir() / f"{self.slug}.curls").read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        commands, pending = [], ""
        for line in text.splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending = f"{pending}\n{line}" if pending else line
            if pending.count("'") % 2 == 0:  # a quoted body may span lines, as in the documents
                commands.append(pending)
                pending = ""
        return commands

    @property
    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "durable-rpc",
        "Durable RPC, Idempotency & Concurrency",
        COMMUNICATION,
        "Call handlers from a client app; idempotency keys deduplicate retries.",
        ("product",),
        client_ports=(5000, 5050),
    ),
    Pattern(
        "message-queue",
        "(Delayed) Message Queue",
        COMMUNICATION,
        "Restate as a queue: send (delayed) tasks, deduplicated, results fetched later.",
        ("asyncTaskWorker",),
    ),
    Pattern(
        "webhook-callbacks",
        "Webhook Callbacks",
        COMMUNICATION,
        "Point a payment provider's webhooks at a handler: durable, exactly-once event processing.",
        ("WebhookCallbackRouter", "PaymentTracker"),
        client_ports=(4242,),  # the emulated payment provider's test API (like `stripe trigger`)
        world_process=True,
    ),
    Pattern(
        "database",
        "Database Interaction Patterns",
        COMMUNICATION,
        "Read and write PostgreSQL from handlers: durable reads, keyed updates, idempotency, 2PC.",
        ("simple", "keyed", "idempotency", "twoPhaseCommit"),
        needs=frozenset({"postgres"}),
    ),
    Pattern(
        "sync-to-async",
        "Convert Sync Tasks to Async",
        COMMUNICATION,
        "Wait for an upload synchronously; if it takes too long, get the URL by email instead.",
        ("dataUploader",),
        client_ports=(5000,),  # the document's upload client, as a small app: POST /upload/<userId>
    ),
    Pattern(
        "batching",
        "Batching",
        COMMUNICATION,
        "Group items into batches of 10, flushing undersized batches after a linger timeout.",
        ("batcher", "batchReceiver"),
    ),
    Pattern(
        "payment-signals",
        "Payment Signals",
        COMMUNICATION,
        "One handler awaits a payment's synchronous answer or its later webhook, whichever comes.",
        ("payments",),
        world_process=True,
    ),
    Pattern(
        "sagas",
        "Sagas",
        ORCHESTRATION,
        "Book flight, car and hotel; when the hotel is fully booked, undo what was done.",
        ("BookingWorkflow",),
    ),
    Pattern(
        "stateful-actors",
        "Stateful Actors and State Machines",
        ORCHESTRATION,
        "A factory machine as a virtual object: transitions queue per machine and survive crashes.",
        ("machineOperator",),
        serve_env=(("RESTATE_PLAY_MACHINE_CRASH_PROBABILITY", "0.4"),),
    ),
    Pattern(
        "payment-state-machines",
        "Payment State Machines",
        ORCHESTRATION,
        "Payments by token: processed once, cancellable, consistent under concurrent requests.",
        ("payments", "accounts"),
    ),
    Pattern(
        "concurrent-tasks",
        "Concurrent Async Tasks",
        ORCHESTRATION,
        "Email verification: a durable promise raced against reminder and expiry timers.",
        ("EmailVerification",),
        source="Java",
    ),
    Pattern(
        "cron",
        "Cron Jobs",
        SCHEDULING,
        "A cron service built from durable timers, task control and K/V state.",
        ("CronJobInitiator", "CronJob", "TaskService", "TaskObject"),
    ),
    Pattern(
        "scheduling-tasks",
        "Scheduling Tasks",
        SCHEDULING,
        "Payment failures schedule reminder emails, escalating after three; success stops them.",
        ("PaymentTracker",),
    ),
    Pattern(
        "parallelize-work",
        "Parallelizing Work",
        SCHEDULING,
        "Fan out subtasks in parallel, then gather their results.",
        ("worker",),
    ),
    Pattern(
        "event-transactions",
        "Transactional Event Processing",
        EVENTS,
        "Kafka posts per user, processed in order per user and in parallel across users.",
        ("userFeed",),
        needs=frozenset({"kafka"}),
        subscriptions=(("social-media-posts", "userFeed/processPost"),),
        serve_env=(("RESTATE_PLAY_MODERATION_PENDING_PROBABILITY", "0.8"),),
    ),
    Pattern(
        "event-enrichment",
        "Event Enrichment / Joins",
        EVENTS,
        "Packages registered by RPC, located by Kafka events, queried by RPC.",
        ("package-tracker",),
        needs=frozenset({"kafka"}),
        subscriptions=(("package-location-updates", "package-tracker/updateLocation"),),
    ),
    Pattern(
        "durable-promises",
        "Durable Promises as a Service",
        COORDINATION,
        "Promises identified by id, awaited from anywhere, completed exactly once.",
        ("durablePromiseServer", "durablePromise"),
    ),
    Pattern(
        "priority-queue",
        "Priority Queue",
        COORDINATION,
        "An in-flight limit with a priority queue built from state and awakeables.",
        ("myService", "queue"),
    ),
    Pattern(
        "rate-limiting",
        "Rate Limiting",
        COORDINATION,
        "A token bucket limiter object built from state and durable sleeps.",
        ("limiter", "myService"),
    ),
)

_BY_SLUG = {p.slug: p for p in PATTERNS}


def get_pattern(slug: str) -> Pattern:
    pattern = _BY_SLUG.get(slug)
    if pattern is None:
        close = difflib.get_close_matches(slug, list(_BY_SLUG), n=1, cutoff=0.4)
        hint = f"Did you mean '{close[0]}'? " if close else ""
        raise PlayError(f"Unknown pattern '{slug}'.", f"{hint}See `restate-play list` for all patterns.")
    return pattern


def available_patterns() -> list[Pattern]:
    return [p for p in PATTERNS if p.available]
