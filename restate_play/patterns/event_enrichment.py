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

from restate_play.patterns.bodies import Body, JsonBody, bad_request_is_400

PACKAGE_INFO = "package-info"


class PackageInfo(Body):
    final_destination: str


class LocationUpdate(Body):
    timestamp: str
    location: str


# A request (or Kafka record) of the wrong shape fails at once with a 400 naming the field: a
# retried one would hold up every later update of its package.
package_tracker = restate.VirtualObject("package-tracker", invocation_context_managers=[bad_request_is_400])


# Called first by the seller over HTTP.
@package_tracker.handler("registerPackage", input_serde=JsonBody(PackageInfo))
async def register_package(ctx: ObjectContext, package_info: PackageInfo) -> None:
    ctx.set(PACKAGE_INFO, package_info.model_dump())


# Connected to a Kafka topic for real-time location updates.
@package_tracker.handler("updateLocation", input_serde=JsonBody(LocationUpdate))
async def update_location(ctx: ObjectContext, location_update: LocationUpdate) -> None:
    package_info = await ctx.get(PACKAGE_INFO, type_hint=dict)
    if package_info is None:
        # Final: retrying will not make an unknown package appear.
        raise TerminalError(f"Package {ctx.key()} not found")
    package_info.setdefault("locations", []).append(location_update.model_dump())
    ctx.set(PACKAGE_INFO, package_info)


# Called by the delivery dashboard; shared, so it never waits behind updates.
@package_tracker.handler("getPackageInfo", kind="shared")
async def get_package_info(ctx: ObjectSharedContext) -> dict[str, Any] | None:
    return await ctx.get(PACKAGE_INFO, type_hint=dict)


services = [package_tracker]
