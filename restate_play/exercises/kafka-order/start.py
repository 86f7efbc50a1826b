"""Exercise kafka-order: an account's events, from Kafka, applied to its balance."""

import restate

from restate_play.world import shop

# CHANGE THIS: a plain Service runs every record at once, so the events of one account race.
accounts = restate.Service("Accounts")


@accounts.handler()
async def apply(ctx: restate.Context, record: dict) -> str:
    account, event = record["account"], record["event"]
    await ctx.run_typed("Fraud check", shop.fraud_check, account=account, amount=record["amount"])
    await ctx.run_typed("Apply", shop.account_event, account=account, event=event)
    return f"{account}: event {event} applied"


services = [accounts]
