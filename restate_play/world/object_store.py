"""An emulated object store (S3-like): buckets, and uploads that are sometimes slow.

An upload takes 1.5 s, or 10 s with probability 0.5 (as in the source document), scaled by the
time scale. Fault point `upload.slow` (per user) pins it: `"upload.slow:bob" = 1` makes bob's
first upload slow, `"upload.slow" = 0` makes the others fast.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from restate_play.world import ledger
from restate_play.world.faults import should_fail
from restate_play.world.timing import scaled

FAST_UPLOAD = timedelta(milliseconds=1500)
SLOW_UPLOAD = timedelta(seconds=10)


def create_s3_bucket(user: str) -> str:
    url = f"https://s3-eu-central-1.amazonaws.com/{secrets.token_hex(4)}/"
    ledger.record("bucket.create", user=user, url=url)
    print(f" >>> Creating bucket with URL {url}", flush=True)
    return url


def upload_data(target: str, user: str) -> None:
    eta = SLOW_UPLOAD if should_fail("upload.slow", key=user, default=0.5) else FAST_UPLOAD
    ledger.record("upload.start", user=user, url=target, eta_ms=int(eta.total_seconds() * 1000))
    print(f" >>> Uploading data to target {target}. ETA: {int(eta.total_seconds() * 1000)} ms", flush=True)
    time.sleep(scaled(eta).total_seconds())
    ledger.record("upload.done", user=user, url=target)
