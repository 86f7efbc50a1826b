"""The emulated outside world the patterns call (booking APIs, payment provider, mail, ...).

Everything here runs outside Restate's control, like a real third-party API would: each external
action is appended to the ledger, so a run can count what really happened, retries included.

A public API for your own services too (`restate-play new` projects import it):

    from restate_play.world import ledger

    ledger.record("email.sent", to=address, subject="Welcome")   # one line per side effect

- `ledger.record(action, **args)` appends one JSON line (action, args, time, the Restate invocation
  running it, pid) to the file the playground names in `$RESTATE_PLAY_LEDGER` (outside the
  playground: `$XDG_STATE_HOME/restate-play/ledger.jsonl`). Call it where the side effect really
  happens, usually inside `ctx.run_typed(...)`, so a replayed step that is not re-run records nothing.
  Arguments must be JSON-serialisable (anything else is written as its `str`).
- Scenarios check it with `expect_ledger` (counts, order, argument values), `expect_concurrency`
  and `expect_spans`. A service that never records has its ledger checks reported as
  "not observed: this service keeps no ledger", never as passed.
- The ready-made providers (`world.travel`, `world.mail`, `world.payment_intents`, ...) record
  their actions themselves; `world.faults.should_fail(point, key)` and `world.faults.latency(point,
  key)` make them fail or slow down as a scenario's `[world.faults]` / `[world.latency]` say, and
  `world.timing.scaled(timedelta)` scales long waits by `$RESTATE_PLAY_TIME_SCALE`.
"""
