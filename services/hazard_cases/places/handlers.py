"""Keep the case service's copy of the registry current, and assign hazards that waited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.places import repository as places
from services.hazard_cases.places.cache import PlaceCopy
from shared.events import AssignmentsChanged, CalendarChanged, GridChanged, RiskPointChanged
from shared.messaging import Broker, Delivery

Document = dict[str, Any]
# Called with (point id or None, grid id or None) when who answers there may have changed.
Retry = Callable[[str | None, str | None], Awaitable[None]]


def subscribe(
    broker: Broker, db: AsyncDatabase[Document], copy: PlaceCopy, retry_waiting: Retry
) -> None:
    """Register the handlers that copy the registry's changes (and forget what `copy` kept of
    a place this process just changed)."""

    async def store(
        collection: str, key: str, version_field: str, version: int, fields: Document
    ) -> bool:
        stored = await places.store(db, collection, key, version_field, version, fields)
        if stored:
            copy.forget(collection, key)
        return stored

    async def on_point_changed(event: RiskPointChanged, delivery: Delivery) -> None:
        fields = {
            "name": event.name,
            "category": event.category.value,
            "risk_grade": event.risk_grade.value,
            "grid_id": event.grid_id,
            "grid_path": event.grid_path,
            "school_name": event.school_name,
        }
        if await store(places.POINTS, event.point_id, "version", event.version, fields):
            await retry_waiting(event.point_id, None)

    async def on_grid_changed(event: GridChanged, delivery: Delivery) -> None:
        fields = {"name": event.name, "level": event.level.value, "grid_path": event.path}
        await store(places.GRIDS, event.grid_id, "version", event.version, fields)

    async def on_assignments_changed(event: AssignmentsChanged, delivery: Delivery) -> None:
        collection = places.POINTS if event.target_kind == "point" else places.GRIDS
        fields = {"assignments": [a.model_dump(mode="json") for a in event.assignments]}
        stored = await store(
            collection, event.target_id, "assignments_version", event.version, fields
        )
        if stored:
            point_id = event.target_id if event.target_kind == "point" else None
            grid_id = event.target_id if event.target_kind == "grid" else None
            await retry_waiting(point_id, grid_id)

    async def on_calendar_changed(event: CalendarChanged, delivery: Delivery) -> None:
        calendar = event.calendar.model_dump(mode="json") if event.calendar else None
        stored = await store(
            places.GRIDS,
            event.grid_id,
            "calendar_version",
            event.version,
            {"calendar": calendar},
        )
        if stored:  # who answers when may have changed, and an unreadable one may read again
            await retry_waiting(None, event.grid_id)

    broker.subscribe("places_points", [RiskPointChanged], on_point_changed)
    broker.subscribe("places_grids", [GridChanged], on_grid_changed)
    broker.subscribe("places_assignments", [AssignmentsChanged], on_assignments_changed)
    broker.subscribe("places_calendars", [CalendarChanged], on_calendar_changed)
