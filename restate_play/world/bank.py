"""Emulated core banking for the Payment State Machines example: the statement behind each account.

The `accounts` Virtual Object keeps the balances; every booking it makes is mirrored here as a
statement line, so a run can add up what really moved (opened, withdrawn, deposited) independently
of Restate's state.
"""

from __future__ import annotations

from restate_play.world import ledger

OPENING_BALANCE_CENTS = 100_000  # the same for every new account, so a scenario can check balances


def open_account(account_id: str) -> int:
    ledger.record("account.opened", account=account_id, balance=OPENING_BALANCE_CENTS)
    return OPENING_BALANCE_CENTS


def book(account_id: str, kind: str, amount_cents: int, balance_cents: int) -> None:
    ledger.record(f"account.{kind}", account=account_id, amount=amount_cents, balance=balance_cents)
    print(f"Account {account_id}: {kind} {amount_cents} cents, balance {balance_cents} cents", flush=True)
