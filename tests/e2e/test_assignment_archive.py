"""Years of reassignments do not grow a grid's document without end: the oldest ended ones move
to the archive, and the accountability trace-back (责任倒查) still answers for any moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient

from services.grid_registry.assignments.archive import MAX_KEPT
from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import new_school


async def test_a_point_reassigned_beyond_what_its_document_keeps_still_answers_for_the_past(
    platform: Platform, admin: ApiClient
) -> None:
    school = await new_school(admin)
    keeper = school.people[school.keeper]
    zone_head = school.people[school.zone_head]

    async def hand_to(person_id: str) -> None:
        body = {"target_kind": "point", "target_id": school.point_id, "person_id": person_id}
        answer = await admin.post("grid_registry", "/v1/assignments", body)
        assert answer.status_code == 201, answer.text

    await hand_to(zone_head)
    first_moment = datetime.now(UTC)
    for n in range(MAX_KEPT + 20):  # the point changes hands, back and forth
        await hand_to(keeper if n % 2 == 0 else zone_head)

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.infra.mongo_url)
    try:
        point = await mongo[platform.database("grid_registry")]["risk_points"].find_one(
            {"_id": school.point_id}
        )
    finally:
        await mongo.close()
    assert point is not None
    assert len(point["assignments"]) <= MAX_KEPT
    assert point["archived_until"] is not None

    # The trace-back to a moment whose assignment left the document still finds who it was.
    then = await admin.get(
        "grid_registry",
        "/v1/responsibility",
        point_id=school.point_id,
        at=first_moment.isoformat(),
    )
    assert then.status_code == 200, then.text
    assert then.json()["responsible"]["person_id"] == zone_head
    now = await admin.get("grid_registry", "/v1/responsibility", point_id=school.point_id)
    assert now.json()["responsible"]["person_id"] == zone_head  # the last of the 220 changes

    # The history lists every assignment: those kept and those archived.
    history = await admin.get("grid_registry", f"/v1/risk-points/{school.point_id}/assignments")
    assert history.status_code == 200, history.text
    # The one new_school made, the first above, and the 220 changes of hands.
    assert len(history.json()) == MAX_KEPT + 22
