"""Exercise kafka-order, solved: a Virtual Object keyed by the Kafka key, one account's events in order."""

import restate

from restate_play.world import shop

# Keyed by the record's Kafka key (the account): Restate runs one event of an account at a time,
# in the order of the topic, and the accounts side by side.
accounts = restate.VirtualObject("Accounts")


@accounts.handler()
async def apply(ctx: restate.ObjectContext, record: dict) -> str:
    account, event = record["account"], record["event"]
    await ctx.run_typed("Fraud check", shop.fraud_check, account=account, amount=record["amount"])
    await ctx.run_typed("Apply", shop.account_event, account=account, event=event)
    return f"{account}: event {event} applied"


services = [accounts]
