"""`restate-play cluster status`: nodes, roles, alive/dead, partition leaders, log sequencers.

restatectl (npm registry, the server's version) reads the cluster over the node-to-node port: the
admin API of 1.7.12 only tells the metadata members (`GET /cluster-health`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from restate_play.commands.common import normalize_url, pick_serve, print_json, stderr_console, stdout_console
from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.sandbox import registry
from restate_play.sandbox.binary import ensure_restatectl
from restate_play.sandbox.cluster import query_cluster
from restate_play.views.cluster import cluster_panel

DEFAULT_FABRIC = "http://127.0.0.1:5122"


def addresses_for(admin_url: str | None, address: list[str] | None) -> tuple[list[str], str | None]:
    """(restatectl's fabric addresses, the admin URL) for --address, --admin-url or the running serve."""
    if address:
        return [normalize_url(a) for a in address], normalize_url(admin_url) if admin_url else None
    try:
        serve = pick_serve(admin_url)
    except PlayError:
        if not admin_url or ":" not in admin_url:  # several serves, or an unknown serve's name
            raise
        serve = None  # an admin URL that is no serve of ours: its host, the default fabric port
    if serve is not None and serve.record is not None:
        return registry.fabric_addresses(serve.record), serve.admin_url
    if admin_url:
        host = urlsplit(normalize_url(admin_url)).hostname or "127.0.0.1"
        return [f"http://{host}:5122"], normalize_url(admin_url)
    return [DEFAULT_FABRIC], None


def metadata_members(admin_url: str | None) -> list[int] | None:
    """The admin API's own cluster view: the metadata cluster's members (None if it does not answer)."""
    if not admin_url:
        return None
    try:
        with loopback_client(timeout=3.0) as http:
            resp = http.get(f"{admin_url}/cluster-health")
        return (resp.json().get("metadata_cluster_health") or {}).get("members") if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def show_status(admin_url: str | None, address: list[str] | None, as_json: bool) -> None:
    addresses, admin = addresses_for(admin_url, address)
    view = query_cluster(ensure_restatectl(lambda m: stderr_console().print(f"[dim]{m}[/]")), addresses)
    members = metadata_members(admin)
    if as_json:
        print_json({**view.to_dict(), "admin_url": admin, "metadata_members": members})
        return
    out = stdout_console()
    out.print(cluster_panel(view, title=f"cluster · {view.source}"))
    if members is not None:
        out.print(f"metadata cluster members (admin API {admin}/cluster-health): {sorted(members)}", soft_wrap=True)


def majority_losses(kills: list[dict]) -> list[str]:
    """Chaos --beyond-quorum: a line per kill that took the majority away, saying what happened."""
    lines = []
    for k in kills:
        if k.get("landed") and str(k.get("target", "")).startswith("nodes "):
            down = k.get("downtime", 0.0) + k.get("restart_took", 0.0)
            lines.append(
                f"⚠ {k['target']} down together for {down:.1f} s: no majority, so nothing could be committed; "
                f"the {k.get('in_flight', 0)} requests in flight waited until the nodes were back, and were "
                "answered then (none lost: see 'every request got an answer')"
            )
    return lines
