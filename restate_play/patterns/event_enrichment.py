"""Event Enrichment / Joins: a package's digital twin, fed by RPC and by Kafka.

The seller registers a package over HTTP (`registerPackage`); location updates arrive from the
`package-location-updates` topic, keyed by package id, and Restate delivers them in order to the
same Virtual Object (`updateLocation`). The state joins both streams and is queryable over RPC
(`getPackageInfo`) or with `restate-play state get package-tracker <id>`.
"""

from __future__ import annotations

from typing import Any

import restate
from restate import ObjectContext, ObjectSharedContext, TerminalError

PACKAGE_INFO = "package-info"

package_tracker = restate.VirtualObject("package-tracker")


# Called first by the seller over HTTP.
@package_tracker.handler("registerPackage")
async def register_package(ctx: ObjectContext, package_info: dict[str, Any]) -> None:
    ctx.set(PACKAGE_INFO, package_info)


# Connected to a Kafka topic for real-time location updates.
@package_tracker.handler("updateLocation")
async def update_location(ctx: ObjectContext, location_update: dict[str, Any]) -> None:
    package_info = await ctx.get(PACKAGE_INFO, type_hint=dict)
    if package_info is None:
        # Final: retrying will not make an unknown package appear.
        raise TerminalError(f"Package {ctx.key()} not found")
    package_info.setdefault("locations", []).append(location_update)
    ctx.set(PACKAGE_INFO, package_info)


# Called by the delivery dashboard; shared, so it never waits behind updates.
@package_tracker.handler("getPackageInfo", kind="shared")
async def get_package_info(ctx: ObjectSharedContext) -> dict[str, Any] | None:
    return await ctx.get(PACKAGE_INFO, type_hint=dict)


services = [package_tracker]
