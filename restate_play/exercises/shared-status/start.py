"""Exercise shared-status: a cart whose status must answer while it checks out."""

from datetime import timedelta

import restate

cart = restate.VirtualObject("Cart")


@cart.handler()
async def add(ctx: restate.ObjectContext, item: str) -> int:
    items = await ctx.get("items", type_hint=list[str]) or []
    items.append(item)
    ctx.set("items", items)
    return len(items)


@cart.handler()
async def checkout(ctx: restate.ObjectContext) -> str:
    ctx.set("status", "checking out")
    await ctx.sleep(timedelta(seconds=1.2), name="Wait for the warehouse")
    ctx.set("status", "shipped")
    return "shipped"


# CHANGE THIS: an exclusive read waits behind every checkout of this cart.
@cart.handler()
async def status(ctx: restate.ObjectContext) -> str:
    return await ctx.get("status", type_hint=str) or "open"


services = [cart]
