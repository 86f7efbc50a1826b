"""Convert Sync Tasks to Async: wait for an upload if it is quick, get the URL by email if not.

`dataUploader` is a workflow, one per user id: `run` creates a bucket, uploads the data and
resolves the durable promise "url" with the bucket's URL. The upload client (the document's
client.ts, here a small app) starts the workflow and waits for its result for 5 seconds. If the
upload takes longer it stops waiting and calls `resultAsEmail` instead: that handler waits on the
same durable promise, for as long as it takes, and emails the URL once the upload is done.
"""

from __future__ import annotations

import os
from datetime import timedelta

import httpx
import restate
from restate import WorkflowContext, WorkflowSharedContext

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400
from restate_play.world import mail, object_store
from restate_play.world.asgi import respond_json, restate_client
from restate_play.world.timing import scaled

# A request of the wrong shape fails at once with a 400 naming the field, instead of being retried.
data_uploader = restate.Workflow("dataUploader", invocation_context_managers=[bad_request_is_400])


@data_uploader.main()
async def run(ctx: WorkflowContext) -> str:
    user = ctx.key()
    url = await ctx.run_typed("Create bucket", object_store.create_s3_bucket, user=user)
    await ctx.run_typed("Upload data", object_store.upload_data, target=url, user=user)
    await ctx.promise("url", type_hint=str).resolve(url)
    return url


class EmailRequest(Body):
    email: str


@data_uploader.handler("resultAsEmail", input_serde=JsonBody(EmailRequest))
async def result_as_email(ctx: WorkflowSharedContext, req: EmailRequest) -> None:
    print("Slow upload: client requested to be notified via email.", flush=True)
    url = await ctx.promise("url", type_hint=str).value()  # suspends until `run` resolves it
    await ctx.run_typed("Send email", mail.send_email, to=req.email, subject="Your data is uploaded", url=url)


services = [data_uploader]


# --- the upload client (the source document's client.ts) ------------------------------------------

RESTATE_URL = os.environ.get("RESTATE_INGRESS_URL", "http://127.0.0.1:8080")
SYNC_WAIT = timedelta(seconds=5)  # how long the client waits before switching to email


async def upload_data(restate_client: httpx.AsyncClient, user_id: str, email: str) -> tuple[int, dict]:
    print(f"Start upload for {user_id}", flush=True)
    workflow = f"{RESTATE_URL}/dataUploader/{user_id}"
    await restate_client.post(f"{workflow}/run/send")  # submit; runs once per user id
    try:
        answer = await restate_client.get(
            f"{RESTATE_URL}/restate/workflow/dataUploader/{user_id}/attach",
            timeout=scaled(SYNC_WAIT).total_seconds(),
        )
    except httpx.TimeoutException:
        print("Slow upload... Mail the link later", flush=True)
        await restate_client.post(f"{workflow}/resultAsEmail/send", json={"email": email})
        return 202, {"message": "Slow upload... Mail the link later", "email": email}
    url = answer.json()
    print(f"Fast upload: URL was {url}", flush=True)
    return 200, {"message": "Fast upload", "url": url}


async def client_app(scope, receive, send) -> None:
    """POST /upload/<userId>: upload that user's data; the URL now, or by email later."""
    parts = scope["path"].strip("/").split("/")
    if scope["method"] != "POST" or len(parts) != 2 or parts[0] != "upload":
        await respond_json(send, 404, {"error": "use POST /upload/<userId>"})
        return
    user_id = parts[1]
    status, body = await upload_data(restate_client(), user_id, email=f"{user_id}@example.com")
    await respond_json(send, status, body)
