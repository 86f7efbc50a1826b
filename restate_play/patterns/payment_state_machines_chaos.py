"""Chaos for Payment State Machines: makes and cancels of a few tokens, each paying from its own
account, while the service and the server are killed. A token is charged or cancelled, never both,
so its account holds what its status says, and no money appears or vanishes."""

from __future__ import annotations

import random
from dataclasses import dataclass

from restate_play.world.chaos_api import ChaosRequest, Evidence, PatternChaos, Verdict, and_join, ledger_lines

chaos = PatternChaos("payment-state-machines")
OPENING, AMOUNT = 100_000, 100  # cents: world/bank's opening balance, the traffic's payment


@chaos.traffic
def payment(rng: random.Random, n: int, *, keys: int, idempotent: bool) -> ChaosRequest:
    # Each token pays from its own account, so the account's balance tells what happened to the token.
    token = f"t{rng.randrange(keys)}"
    key = f"op-{n}" if idempotent else None
    if rng.random() < 0.7:
        body = {"accountId": f"acc-{token}", "amount": AMOUNT}
        return ChaosRequest(n=n, target=f"payments/{token}/makePayment", body=body, idempotency_key=key, key=token)
    return ChaosRequest(n=n, target=f"payments/{token}/cancelPayment", idempotency_key=key, key=token)


@dataclass
class _Mismatch:
    token: str
    status: str
    balance: int
    expected: int


def _mismatches(ev: Evidence) -> tuple[dict[str, str], dict[str, int], list[_Mismatch]]:
    """Statuses, balances, and the tokens whose account does not hold what their status says."""
    status, balance = ev.state_of("payments", "status"), ev.state_of("accounts", "balance")
    wrong = []
    for token, state in sorted(status.items()):
        expected = OPENING - AMOUNT if state == "COMPLETED" else OPENING
        got = balance.get(f"acc-{token}", OPENING)  # never charged: the account may not even exist
        if got != expected:
            wrong.append(_Mismatch(token, state, got, expected))
    return status, balance, wrong


def _explain(ev: Evidence, m: _Mismatch) -> str:
    account = f"acc-{m.token}"
    moves = [e for e in ev.ledger if e.args.get("account") == account and e.action != "account.opened"]
    requests = sorted(o.request.n for o in ev.outcomes if o.request.key == m.token)
    shown = and_join(f"#{n}" for n in requests[:6]) + (f" and {len(requests) - 6} more" if len(requests) > 6 else "")
    return (
        f"token {m.token}'s status is {m.status} (payments/{m.token} 'status') but account {account} holds "
        f"{m.balance} cents, not {m.expected} ({account} 'balance'; its bookings: {ledger_lines(moves)}); "
        f"the token's requests: {shown or 'none'}"
    )


@chaos.invariant(
    "charged-xor-cancelled", "no token both charged and cancelled: each account holds what its token's status says"
)
def charged_xor_cancelled(ev: Evidence) -> Verdict:
    status, _, wrong = _mismatches(ev)
    return Verdict.tally([_explain(ev, m) for m in wrong], len(status), "tokens inconsistent", "tokens consistent")


@chaos.invariant("balances-conserved", "money is conserved: balances + completed payments = opening balances")
def balances_conserved(ev: Evidence) -> Verdict:
    status, balance, wrong = _mismatches(ev)
    completed = sum(1 for s in status.values() if s == "COMPLETED")
    held, expected = sum(balance.values()), OPENING * len(balance)
    summary = f"{held + AMOUNT * completed} vs {expected} over {len(balance)} accounts"
    if held + AMOUNT * completed == expected:
        return Verdict(summary)
    off = and_join(f"{m.token} ({m.status}, {m.balance} cents)" for m in wrong[:5]) or "no single token"
    return Verdict(
        summary,
        [
            f"the {len(balance)} accounts hold {held} cents and the {completed} completed payments took "
            f"{AMOUNT * completed}: {held + AMOUNT * completed} in all, but they opened with {expected} "
            f"({held + AMOUNT * completed - expected:+} cents); tokens whose account is off: {off}"
        ],
    )
