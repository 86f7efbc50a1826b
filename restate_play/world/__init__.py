"""The emulated outside world the patterns call (booking APIs, payment provider, mail, ...).

Everything here runs outside Restate's control, like a real third-party API would: each external
action is appended to the ledger, so a run can count what really happened, retries included.
"""
