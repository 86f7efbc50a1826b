"""Restate's documented error codes (`RT…`, in `last_failure_error_code` and journal events), each
in one line of our own words, from the server's error-code pages (restatedev/restate,
crates/errors/src/error_codes). Only the codes an invocation can show are here."""

from __future__ import annotations

MEANINGS = {
    "RT0001": "the service sent nothing for too long (response_abort_timeout): blocked or deadlocked code",
    "RT0003": "the service sent a message larger than worker.invoker.message_size_limit",
    "RT0006": "a generic error while invoking the service: see the service's log",
    "RT0007": "the service failed with a retryable error (an exception in the handler): see its log",
    "RT0010": "network error reaching the service: it is down, unreachable, or registered at another address",
    "RT0011": "no deployment serves this service any more (it was removed)",
    "RT0012": "protocol violation: incompatible SDK and server versions, or an SDK bug",
    "RT0013": "the service's SDK speaks no service-protocol version this server supports",
    "RT0014": "the invocation started on a service-protocol version this server can no longer resume",
    "RT0015": "the SDK no longer supports the protocol version negotiated at registration: re-register",
    "RT0016": "journal mismatch on replay: the code changed, or takes a non-deterministic path",
    "RT0017": "a journal entry failed a precondition: it and later ones were discarded and are retried",
    "RT0018": "the called service or handler does not exist (not registered yet?)",
    "RT0019": "the service answered 413 Payload Too Large",
    "RT0020": "the service's deployment uses a deprecated protocol version: upgrade the SDK",
    "RT0023": "the service (or a proxy before it) answered 429/503: Restate backs off as told",
    "RT0024": "invalid use of the flow-control API (scope or limit key)",
}


def explain(code: str | None) -> str:
    """`RT0010 (network error reaching the service: …)`, or the code alone when unknown."""
    if not code:
        return ""
    meaning = MEANINGS.get(code)
    return f"{code} ({meaning})" if meaning else code
