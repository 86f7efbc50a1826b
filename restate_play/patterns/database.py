"""Database Interaction Patterns: reading and writing PostgreSQL from Restate handlers.

The premise of the source document:
  1. Nothing special is needed: a handler talks to its database like any other service would.
  2. But Restate's journal, state and per-key concurrency help with what usually goes wrong around
     a database: concurrent requests racing on a row, retries applying an update twice, and
     "zombie" executions (an attempt that was given up on but still reaches the database).

Four services walk through that step by step:
  simple          plain access, one durable read
  keyed           a Virtual Object per user row: serialised updates, exactly-once via a version
  idempotency     exactly-once via an idempotency-token table, updated in the same transaction
  twoPhaseCommit  exactly-once via PostgreSQL's PREPARE TRANSACTION / COMMIT PREPARED

The queries pass values as parameters (never pasted into the SQL text). The connection URL comes
from DATABASE_URL (the document's database by default).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import restate
from restate import Context, ObjectContext, ObjectSharedContext, TerminalError

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import database as db
from restate_play.world.timing import scaled

NOT_FOUND = "(row not found)"


class User(Body):
    user_id: str
    name: str
    address: str
    credits: int


class NameUpdate(Body):
    user_id: str
    new_name: str


class CreditsUpdate(Body):
    user_id: str
    add_credits: int


# ---------------------------------------------------------------------------------------------
# simple: the database accessed the way any other microservice would, without Restate's help.
# ---------------------------------------------------------------------------------------------

# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
simple = restate.Service("simple", invocation_context_managers=[bad_request_is_400])


@simple.handler(input_serde=JsonBody(str))
async def read(ctx: Context, userid: str) -> Any:
    """A plain read, exactly as from a service without Restate."""
    rows = await db.query("SELECT * FROM users WHERE userid = %(userid)s", {"userid": userid})
    return rows[0] if rows else NOT_FOUND


@simple.handler("durableRead", input_serde=JsonBody(str))
async def durable_read(ctx: Context, userid: str) -> Any:
    """A read whose result goes into the journal.

    Worth it when the code branches on the value: if this invocation is retried later, the retry
    takes the same branch with the same value, even if the row changed in between, so whatever
    the branch starts is carried through to the end instead of being half done.
    """

    async def read_credits():
        rows = await db.query("SELECT credits FROM users WHERE userid = %(userid)s", {"userid": userid})
        return rows[0]["credits"] if rows else None

    credits = await ctx.run_typed("read credits", read_credits)
    if credits == 0:
        # Some conditional work (alerting, a reminder…). Retries replay the journaled `credits`,
        # so they follow this branch again and finish it.
        print("Found an account without balance, doing something about it...", flush=True)
    return credits


@simple.handler(input_serde=JsonBody(User))
async def insert(ctx: Context, row: User) -> bool:
    """An insert made safe against retries by the primary key alone: a second insert does nothing."""
    inserted = await db.execute(
        """INSERT INTO users (userid, name, address, credits, version)
           VALUES (%(userid)s, %(name)s, %(address)s, %(credits)s, 0)
           ON CONFLICT (userid) DO NOTHING""",
        {"userid": row.user_id, "name": row.name, "address": row.address, "credits": row.credits},
    )
    return inserted == 1


@simple.handler("update", input_serde=JsonBody(NameUpdate))
async def simple_update(ctx: Context, update: NameUpdate) -> bool:
    """An update with no effort at exactly-once: it relies on the update itself being harmless to repeat.

    Setting a name twice leaves the same name, so a retry does no harm. Concurrent updates of the
    same row still overwrite each other (last writer wins), which can be fine for a rare update.
    The statement runs directly because it is the handler's only step; with more steps after it,
    wrap it in `ctx.run_typed` so that retries of the later steps do not run it again.
    """
    changed = await db.execute(
        "UPDATE users SET name = %(newName)s WHERE userid = %(userid)s",
        {"userid": update.user_id, "newName": update.new_name},
    )
    return changed == 1


# ---------------------------------------------------------------------------------------------
# keyed: a Virtual Object whose key is the row's primary key.
#
# Restate runs one exclusive handler per key at a time, so all updates of a row go through the
# database one after another. Most databases serialise writes to a row anyway (locks, or aborts on
# conflict); queueing them in front of the database avoids lock contention and the retry storms of
# optimistic concurrency on a hot key. And it makes a version check enough for exactly-once.
# ---------------------------------------------------------------------------------------------

keyed = restate.VirtualObject("keyed", invocation_context_managers=[bad_request_is_400])


@keyed.handler("update", input_serde=JsonBody(int))
async def keyed_update(ctx: ObjectContext, credits: int) -> None:
    """Adds credits, without protection against running twice.

    The window is small: only when the statement committed and the process died before Restate
    learned that the handler finished does the retry add the credits again. Concurrent updates
    cannot interfere, though: the object lets one update of this user run at a time.
    """
    await db.execute(
        "UPDATE users SET credits = credits + %(credits)s WHERE userid = %(userid)s",
        {"userid": ctx.key(), "credits": credits},
    )


@keyed.handler("updateConditional", input_serde=JsonBody(int))
async def update_conditional(ctx: ObjectContext, add_credits: int) -> None:
    """Adds credits exactly once, using the row's version (a "semantic lock").

    The read of credits and version is a journaled step: this invocation and all its retries see
    one and the same version, whatever happens to the process. The write only applies if the row
    still has that version. If it does not, an earlier attempt of this very invocation already
    applied it (and died before finishing): nobody else can have changed the row meanwhile, since
    every update of this user queues in this object. So a retry, or a zombie attempt, changes nothing.
    """
    userid = ctx.key()

    async def read_credits_and_version():
        rows = await db.query("SELECT credits, version FROM users WHERE userid = %(userid)s", {"userid": userid})
        if len(rows) != 1:
            raise TerminalError(f"No single row with userid = '{userid}'", status_code=404)
        return [rows[0]["credits"], rows[0]["version"]]

    credits, version = await ctx.run_typed("read credits, version", read_credits_and_version)
    changed = await db.execute(
        """UPDATE users SET credits = %(credits)s, version = %(newVersion)s
           WHERE userid = %(userid)s AND version = %(version)s""",
        {"userid": userid, "credits": credits + add_credits, "version": version, "newVersion": version + 1},
    )
    if changed != 1:
        print("Update was not applied - version no longer matches.", flush=True)


@keyed.handler("read", kind="shared")
async def keyed_read(ctx: ObjectSharedContext) -> Any:
    """A shared handler: reads do not queue behind this user's updates, and run concurrently."""
    rows = await db.query("SELECT * FROM users WHERE userid = %(userid)s", {"userid": ctx.key()})
    return rows[0] if rows else NOT_FOUND


# ---------------------------------------------------------------------------------------------
# idempotency: a table of idempotency tokens, written in the same transaction as the update.
# ---------------------------------------------------------------------------------------------

idempotency = restate.Service("idempotency", invocation_context_managers=[bad_request_is_400])
TOKEN_RETENTION = timedelta(days=1)


@idempotency.handler("update", input_serde=JsonBody(CreditsUpdate))
async def idempotent_update(ctx: Context, update: CreditsUpdate) -> None:
    """Adds credits exactly once (for a day), by recording a token with the update.

    The token comes from Restate's deterministic random generator: every retry of this invocation
    generates the same one, without a journal round-trip. Inserting the token and updating the row
    commit together, so if the token is already there, an earlier attempt committed the update:
    this attempt stops there. A day later, a delayed call deletes the token again.
    """
    token = str(ctx.uuid())
    ctx.service_send(expire_idempotency_key, token, send_delay=scaled(TOKEN_RETENTION))

    async with db.transaction("serializable") as tx:
        # The primary key decides: inserting a token that exists changes nothing.
        inserted = await tx.execute(
            "INSERT INTO user_idempotency (id) VALUES (%(id)s) ON CONFLICT (id) DO NOTHING", {"id": token}
        )
        if inserted != 1:
            await tx.rollback()  # a retry: the update is already in
            return
        await tx.execute(
            "UPDATE users SET credits = credits + %(addCredits)s WHERE userid = %(userid)s",
            {"userid": update.user_id, "addCredits": update.add_credits},
        )
        await tx.commit()  # token and update, atomically; an error before this rolls both back


@idempotency.handler("expireIdempotencyKey", input_serde=JsonBody(str))
async def expire_idempotency_key(ctx: Context, key: str) -> None:
    """Deletes a token once it is old enough (called with a one-day delay by `update`)."""
    await db.execute("DELETE FROM user_idempotency WHERE id = %(id)s", {"id": key})


# ---------------------------------------------------------------------------------------------
# twoPhaseCommit: Restate as the coordinator of a PostgreSQL two-phase commit.
#
# PREPARE TRANSACTION splits one database transaction in two: the work is done and made durable,
# but only COMMIT PREPARED makes it visible. Journaling the step in between lets Restate decide,
# after any crash, whether a prepared transaction is the one to commit or a leftover to roll back,
# so the update applies exactly once without idempotency tokens or versions. This is not 2PC across
# services (with its coupled availability): one participant, split in two stages.
#
# Needs `max_prepared_transactions` > 0 in PostgreSQL (the playground's database has 10). It relies
# on a streaming (HTTP/2) connection to tell a step run now from one restored from the journal.
# ---------------------------------------------------------------------------------------------

two_phase_commit = restate.Service("twoPhaseCommit", invocation_context_managers=[bad_request_is_400])


@two_phase_commit.handler("update", input_serde=JsonBody(CreditsUpdate))
async def two_phase_update(ctx: Context, update: CreditsUpdate) -> None:
    userid = update.user_id
    params = {"userid": userid, "addCredits": update.add_credits}

    async def add_credits(tx: db.Transaction) -> None:
        changed = await tx.execute(
            "UPDATE users SET credits = credits + %(addCredits)s WHERE userid = %(userid)s", params
        )
        if changed != 1:
            # Failing inside the transaction rolls it back: nothing was prepared, nothing to undo.
            raise TerminalError(f"No single row with userid = '{userid}'", status_code=404)

    await run_as_2pc_txn(ctx, add_credits, key=userid)


async def run_as_2pc_txn(ctx: Context, action, key: str | None = None) -> None:
    """Run `action(tx)` in a transaction that is prepared once, then committed exactly once.

    The loop ends once one attempt got through (1) the queries, (2) PREPARE TRANSACTION and
    (3) the journal entry saying so. Anything less, and the prepared transaction (if any) is rolled
    back and a new one is tried under a new id, so no lock is left behind and nothing runs twice.
    """
    prepared = None
    while prepared is None:
        prepared = await _prepare_once(ctx, action, key)  # [transaction id, PostgreSQL's xid]

    gid, xid = prepared

    async def commit():
        if await db.commit_prepared(gid, key):
            return
        # Gone already: an earlier attempt committed it and died before journaling this step
        # (COMMIT PREPARED itself cannot be repeated). PostgreSQL's commit log tells for sure.
        if await db.transaction_status(xid) != "committed":
            raise TerminalError(f"Prepared transaction {gid} was rolled back outside of this handler")
        print(f"Transaction {gid} was already committed by an earlier attempt.", flush=True)

    await ctx.run_typed("commit prepared transaction", commit)


async def _prepare_once(ctx: Context, action, key: str | None) -> list[str] | None:
    # Did *this* attempt generate the id, or was it restored from the journal? Only a fresh id is
    # safe to run the transaction under: a restored one may already have been prepared by an
    # attempt that died before its result was journaled.
    generated_now = False

    async def new_transaction_id():
        nonlocal generated_now
        generated_now = True
        return str(uuid.uuid4())

    txn_id = await ctx.run_typed("generate transaction id", new_transaction_id)

    async def attempt():
        if not generated_now:
            # An earlier attempt may have prepared this id and crashed before this step was
            # journaled (or be a zombie still on its way): roll it back, and try again under a new id.
            await db.rollback_prepared(txn_id, key)
            return None
        async with db.transaction() as tx:
            await action(tx)  # (1) the queries
            xid = (await tx.query("SELECT pg_current_xact_id()::text AS xid"))[0]["xid"]
            await tx.prepare(txn_id)  # (2) durable, but invisible until COMMIT PREPARED
        return [txn_id, xid]  # (3) once journaled, this is the transaction to commit

    try:
        return await ctx.run_typed("run txn attempt (or cleanup old txn)", attempt)
    except Exception:
        # Release a transaction this attempt may have prepared, rather than wait for a retry.
        await db.rollback_prepared(txn_id, key)
        raise


services = [simple, keyed, idempotency, two_phase_commit]
