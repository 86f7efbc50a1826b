"""An emulated social-media backend (the Transactional Event Processing example): a post store,
a content moderation service that takes its time, and the users' feeds.

Every action goes to the ledger, so a run can prove a post was created once even though the
service crashed while processing it, and that each user's feed got the posts in order.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from restate_play.world import ledger
from restate_play.world.faults import latency, should_fail

PENDING = "PENDING"
DONE = "DONE"

# `serve` mimics the document (moderation is still pending 80% of the time); scenarios decide
# per user how many checks stay pending ("moderation.pending:userid1" = 3).
PENDING_PROBABILITY_ENV = "RESTATE_PLAY_MODERATION_PENDING_PROBABILITY"


def create_post(user_id: str, post: dict[str, Any]) -> str:
    latency("post.create", user_id)
    post_id = str(uuid.uuid4())
    ledger.record("post.created", user=user_id, post_id=post_id, content=post.get("content"))
    print(f"Created post {post_id} for user {user_id} with content: {post.get('content')}", flush=True)
    return post_id


def get_post_status(user_id: str, post_id: str) -> str:
    if should_fail("moderation.pending", key=user_id, default=_pending_probability()):
        ledger.record("moderation.pending", user=user_id, post_id=post_id)
        print(f"Content moderation for post {post_id} is still pending... Will check again in 5 seconds", flush=True)
        return PENDING
    ledger.record("moderation.done", user=user_id, post_id=post_id)
    print(f"Content moderation for post {post_id} is done", flush=True)
    return DONE


def update_user_feed(user: str, post_id: str) -> None:
    entries = ledger.read()
    content = next((e.args.get("content") for e in entries if e.matches("post.created", post_id=post_id)), None)
    # The feed's position tells the order the user's posts really reached it.
    position = 1 + sum(1 for e in entries if e.matches("feed.updated", user=user))
    ledger.record("feed.updated", user=user, post_id=post_id, content=content, position=position)
    print(f"Updating the user feed for user {user} and post {post_id}", flush=True)


def _pending_probability() -> float:
    try:
        return float(os.environ.get(PENDING_PROBABILITY_ENV, "0"))
    except ValueError:
        return 0.0
