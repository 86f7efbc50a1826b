"""Convert Sync Tasks to Async: the upload client and the workflow's requests against `serve`."""

from __future__ import annotations

import json

import pytest

from restate_play.patterns.catalog import get_pattern

pytestmark = pytest.mark.e2e


def test_sync_to_async_curls_against_serve(serve):
    s = serve("sync-to-async")
    client, submit, attach, by_email = get_pattern("sync-to-async").curls
    answer = json.loads(s.curl(client))  # fast or slow, at random, as in the document
    if answer["message"] == "Fast upload":
        assert answer["url"].startswith("https://s3-eu-central-1.amazonaws.com/")
        assert f"Fast upload: URL was {answer['url']}" in s.wait_output("Fast upload: URL was")
    else:
        assert answer == {"message": "Slow upload... Mail the link later", "email": "someone21@example.com"}
        assert "Sending email to 'someone21@example.com'" in s.wait_output("someone21@example.com'", timeout=30)

    assert json.loads(s.curl(submit))["status"] == "Accepted"
    url = json.loads(s.curl(attach))  # at most 10 s × the serve test's time scale 0.2
    assert url.startswith("https://s3-eu-central-1.amazonaws.com/")
    assert json.loads(s.curl(by_email))["status"] == "Accepted"
    out = s.wait_output("Sending email to 'someone22@example.com'")
    assert "Sending email to 'someone22@example.com'" in out and "Slow upload: client requested" in out
    s.stop()


def test_sync_to_async_run_records(default_run):
    code, result = default_run("sync-to-async")
    assert code == 0, [c for c in result["expectations"] if not c["passed"]]
    answers = [r for r in result["requests"] if r["target"].startswith("/upload/")]
    assert [(r["target"], r["status"]) for r in answers] == [
        ("/upload/alice", 200),
        ("/upload/bob", 202),
        ("/upload/alice", 200),
    ]
    assert answers[0]["body"]["url"] == answers[2]["body"]["url"]  # the workflow ran once for alice
    # Bob's email carries the URL his workflow created, and was sent after his upload finished.
    bob = [e for e in result["ledger"] if e["args"].get("user") == "bob" or e["args"].get("to") == "bob@example.com"]
    assert [e["action"] for e in bob] == ["bucket.create", "upload.start", "upload.done", "email.sent"]
    assert bob[-1]["args"]["url"] == bob[0]["args"]["url"]
    run = next(i for i in result["invocations"] if i["target"] == "dataUploader/bob/run")
    assert bob[0]["invocation"] == run["id"]
