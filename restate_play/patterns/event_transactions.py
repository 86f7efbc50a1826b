"""Transactional Event Processing: social-media posts from Kafka, processed per user.

Restate subscribes `userFeed/processPost` to the `social-media-posts` topic; the Kafka key (the
user id) becomes the Virtual Object key. So posts of one user are processed one after the other,
in topic order, while other users' posts go ahead in parallel: a slow post only holds up its own
user, never the partition (no head-of-line blocking).

Each step is journaled: after a crash the handler fast-forwards, recovers the post id it already
created and keeps waiting for moderation, instead of creating the post again.
"""

from __future__ import annotations

from datetime import timedelta

import restate
from restate import ObjectContext

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import social
from restate_play.world.timing import scaled

MODERATION_RETRY = timedelta(seconds=5)


class SocialMediaPost(Body):
    content: str
    metadata: str | None = None


# A post of the wrong shape fails at once with a 400 naming the field: a retried one would hold up
# every later post of its user.
user_feed = restate.VirtualObject("userFeed", invocation_context_managers=[bad_request_is_400])


@user_feed.handler("processPost", input_serde=JsonBody(SocialMediaPost))
async def process_post(ctx: ObjectContext, post: SocialMediaPost) -> None:
    # The Kafka key routes the event here: one queue per user.
    user_id = ctx.key()

    post_id = await ctx.run_typed("Create post", social.create_post, user_id=user_id, post=post.model_dump())

    # Wait for content moderation with durable sleeps (the invocation suspends meanwhile). This
    # only holds up this user's next posts, not other users'.
    while (
        await ctx.run_typed("Get post status", social.get_post_status, user_id=user_id, post_id=post_id)
    ) == social.PENDING:
        await ctx.sleep(scaled(MODERATION_RETRY), name="Moderation pending")

    await ctx.run_typed("Update user feed", social.update_user_feed, user=user_id, post_id=post_id)


services = [user_feed]
