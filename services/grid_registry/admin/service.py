"""Announcing a subtree's current state again, for services that subscribed after the fact.

Queues are durable once declared, but a service deployed (or a queue added) after the registry
announced its grids never heard of them. Republishing sends every grid's and point's current
state once more; consumers keep the newest version of each, so repeats change nothing.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.audit import repository as audit
from services.grid_registry.grids import repository as grids
from services.grid_registry.grids.service import changed as grid_changed
from services.grid_registry.grids.service import head_now
from services.grid_registry.responsibility import service as responsibility
from services.grid_registry.risk_points import repository as points
from services.grid_registry.risk_points.service import announcement
from services.grid_registry.targets import Target, changed_event, stored_assignments
from shared.auth import Principal
from shared.clock import utc_now
from shared.events import CalendarChanged, Event
from shared.outbox import OutboxRelay, push_outbox
from shared.responsibility import Calendar

Document = dict[str, Any]


def _grid_events(doc: Document) -> list[Event]:
    events: list[Event] = [
        grid_changed(doc, head_now(doc)),
        changed_event(Target("grid", doc), stored_assignments(doc), doc["version"]),
    ]
    if doc.get("calendar"):
        events.append(
            CalendarChanged(
                grid_id=doc["_id"],
                grid_path=doc["path"],
                calendar=Calendar.model_validate(doc["calendar"]),
                version=doc["version"],
            )
        )
    return events


async def republish(
    *, db: AsyncDatabase[Document], principal: Principal, root: Document, relay: OutboxRelay
) -> dict[str, int]:
    """Queue the current state of every grid and point under `root` for publishing again."""
    under = {"$regex": "^" + re.escape(root["path"])}
    counts = {"grids": 0, "risk_points": 0}
    async for doc in db[grids.COLLECTION].find({"path": under}, {"outbox": 0}):
        await db[grids.COLLECTION].update_one({"_id": doc["_id"]}, push_outbox(*_grid_events(doc)))
        relay.notify(grids.COLLECTION, doc["_id"])
        counts["grids"] += 1
    now = utc_now()
    async for doc in db[points.COLLECTION].find({"grid_path": under}, {"outbox": 0}):
        place = await responsibility.load_place(db, doc["grid_path"], doc)
        events = [
            announcement(place, now),
            changed_event(Target("point", doc), stored_assignments(doc), doc["version"]),
        ]
        await db[points.COLLECTION].update_one({"_id": doc["_id"]}, push_outbox(*events))
        relay.notify(points.COLLECTION, doc["_id"])
        counts["risk_points"] += 1
    await audit.record(
        db,
        actor=principal,
        action="registry.republished",
        target_kind="grid",
        target_id=root["_id"],
        before=None,
        after=counts,
    )
    return counts
