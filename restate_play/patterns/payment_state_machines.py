"""Payment State Machines: payments by token, processed once, cancellable, expiring.

`payments` is a Virtual Object keyed by the payment token (stripe-style). Restate runs one handler
per token at a time, so a payment and its cancellation never interleave, whatever order and however
often they arrive: a cancellation that comes first blocks the payment for good, one that comes after
refunds it. The token's state expires an hour later through a delayed call Restate keeps durably.
`accounts` stands in for the bank (it would be a database in a real system).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, TypedDict

import restate
from restate import ObjectContext, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import bank
from restate_play.world.timing import scaled

EXPIRY_TIMEOUT = timedelta(hours=1)

PaymentStatus = Literal["NEW", "COMPLETED", "CANCELLED"]
STATUS, PAYMENT, BALANCE = "status", "payment", "balance"


class Payment(Body):
    account_id: str
    amount: int


class StoredPayment(TypedDict):
    accountId: str
    amountCents: int


class WithdrawResult(TypedDict, total=False):
    success: bool
    reason: str


# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
payments = restate.VirtualObject("payments", invocation_context_managers=[bad_request_is_400])
accounts = restate.VirtualObject("accounts", invocation_context_managers=[bad_request_is_400])


@payments.handler("makePayment", input_serde=JsonBody(Payment))
async def make_payment(ctx: ObjectContext, payment: Payment) -> str:
    payment_id = ctx.key()
    # A repeated call, or a cancellation that overtook this payment: nothing to charge.
    match await ctx.get(STATUS, type_hint=str):
        case "COMPLETED":
            return f"{payment_id} previously completed"
        case "CANCELLED":
            return f"{payment_id} was cancelled before"

    # The token stays locked while the account is charged: a cancellation waits its turn.
    result = await ctx.object_call(withdraw, key=payment.account_id, arg=payment.amount)
    if result["success"]:
        ctx.set(STATUS, "COMPLETED")
        ctx.set(PAYMENT, StoredPayment(accountId=payment.account_id, amountCents=payment.amount))
        _expire_later(ctx)
    return f"{payment_id} successful: {'true' if result['success'] else 'false'}"


@payments.handler("cancelPayment")
async def cancel_payment(ctx: ObjectContext) -> None:
    status: PaymentStatus = await ctx.get(STATUS, type_hint=str) or "NEW"
    match status:
        case "COMPLETED":
            # Already charged: give the money back.
            payment = await ctx.get(PAYMENT, type_hint=dict)
            ctx.object_send(deposit, key=payment["accountId"], arg=payment["amountCents"])
            ctx.set(STATUS, "CANCELLED")
        case "CANCELLED":
            pass  # a repeated cancellation
        case "NEW":
            # Not seen yet: the cancellation overtook the payment. Block the token for later.
            ctx.set(STATUS, "CANCELLED")
            _expire_later(ctx)


@payments.handler("expireToken")
async def expire_token(ctx: ObjectContext) -> None:
    ctx.clear_all()


def _expire_later(ctx: ObjectContext) -> None:
    ctx.object_send(expire_token, key=ctx.key(), arg=None, send_delay=scaled(EXPIRY_TIMEOUT, "token expiry"))


# --- accounts: one object per account, so its balance has a single writer ---------------------


@accounts.handler(input_serde=JsonBody(int))
async def deposit(ctx: ObjectContext, amount_cents: int) -> None:
    if amount_cents < 0:
        raise TerminalError(f"Amount must be greater than 0: amount = {amount_cents}")
    await _book(ctx, "deposit", amount_cents, await _balance(ctx) + amount_cents)


@accounts.handler(input_serde=JsonBody(int))
async def withdraw(ctx: ObjectContext, amount_cents: int) -> WithdrawResult:
    if amount_cents < 0:
        raise TerminalError(f"Amount must be greater than 0: amount = {amount_cents}")
    balance = await _balance(ctx)
    if balance < amount_cents:
        return WithdrawResult(success=False, reason=f"Insufficient funds: {balance} cents")
    await _book(ctx, "withdraw", amount_cents, balance - amount_cents)
    return WithdrawResult(success=True)


async def _balance(ctx: ObjectContext) -> int:
    balance = await ctx.get(BALANCE, type_hint=int)
    if balance is None:
        balance = await ctx.run_typed("Open account", bank.open_account, account_id=ctx.key())
        ctx.set(BALANCE, balance)
    return balance


async def _book(ctx: ObjectContext, kind: str, amount_cents: int, new_balance: int) -> None:
    await ctx.run_typed(
        f"Book {kind}", bank.book, account_id=ctx.key(), kind=kind, amount_cents=amount_cents, balance_cents=new_balance
    )
    ctx.set(BALANCE, new_balance)


services = [payments, accounts]
