"""Values that would break later reads, exports or consumers are refused with a bilingual 422
naming the field; values stored before the checks existed no longer break the exports."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pymongo import AsyncMongoClient

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import School, hazard, new_school, report

BEYOND_INT64 = 2**63
# The edges of what `datetime` holds: shifting either to UTC overflows.
FAR_FUTURE = "9999-12-31T23:59:59-14:00"
FAR_PAST = "0001-01-01T00:00:00+14:00"


def refused(response: httpx.Response, field: str, location: str = "body") -> dict[str, Any]:
    """Check that `response` is the shared 422 naming `field`, in both languages."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    found = {(d["field"], d["location"]): d for d in error["details"]}
    detail = found.get((field, location))
    assert detail is not None, f"{field} ({location}) not named in {error['details']}"
    assert detail["message_zh"]
    assert detail["message_en"]
    return dict(detail)


async def put_calendar(admin: ApiClient, grid_id: str, calendar: dict[str, Any]) -> httpx.Response:
    return await admin.http.put(
        f"{admin.platform.url('grid_registry')}/v1/grids/{grid_id}/calendar",
        json=calendar,
        headers=admin.headers,
    )


async def who_answers(admin: ApiClient, point_id: str, **params: Any) -> httpx.Response:
    return await admin.get("grid_registry", "/v1/responsibility", point_id=point_id, **params)


async def test_a_calendar_with_an_unknown_zone_or_an_inverted_holiday_is_refused(
    admin: ApiClient,
) -> None:
    school = await new_school(admin)
    detail = refused(
        await put_calendar(admin, school.school_id, {"timezone": "Mars/Olympus_Mons"}),
        "timezone",
    )
    assert "Asia/Shanghai" in detail["message_en"]
    inverted = {"name": "国庆节", "start": "2026-10-07", "end": "2026-10-01"}
    refused(await put_calendar(admin, school.school_id, {"holidays": [inverted]}), "holidays.0.end")
    # Nothing was stored: the subtree's lookups still answer.
    assert (await who_answers(admin, school.point_id)).status_code == 200
    holiday = {**inverted, "end": "2026-10-07"}
    response = await put_calendar(
        admin, school.school_id, {"timezone": "Asia/Shanghai", "holidays": [holiday]}
    )
    assert response.status_code == 200, response.text


async def test_control_characters_in_names_and_descriptions_are_refused(admin: ApiClient) -> None:
    school = await new_school(admin)
    person = {"name": "王\x0b芳", "grid_id": school.school_id, "post": "班主任"}
    refused(await admin.post("grid_registry", "/v1/people", person), "name")
    refused(
        await admin.post("grid_registry", "/v1/people", {**person, "name": "王\n芳"}),
        "name",
    )
    grid = {"name": "教学楼\x00", "level": "L4", "parent_id": school.school_id}
    refused(await admin.post("grid_registry", "/v1/grids", grid), "name")
    keeper = await school.login(admin, school.keeper)
    body = {"point_id": school.point_id, "category": "fire", "description": "通道\x00堵塞"}
    detail = refused(await keeper.post("hazard_intake", "/v1/reports", body), "description")
    assert "控制字符" in detail["message_zh"]
    # A description keeps its line breaks.
    body["description"] = "三楼通道堵塞\n灭火器过期"
    assert (await keeper.post("hazard_intake", "/v1/reports", body)).status_code == 202


async def test_paging_beyond_int64_is_refused(
    admin: ApiClient, platform: Platform, http: httpx.AsyncClient
) -> None:
    refused(await admin.get("hazard_cases", "/v1/hazards", skip=BEYOND_INT64), "skip", "query")
    police = await ApiClient.login(platform, http, "demo-police")
    refused(
        await police.get("agency_integration", "/v1/referrals", skip=BEYOND_INT64), "skip", "query"
    )
    refused(
        await admin.get(
            "grid_registry",
            "/v1/audit",
            target_kind="grid",
            target_id="demo-school",
            limit=BEYOND_INT64,
        ),
        "limit",
        "query",
    )
    refused(
        await admin.get("notifications", "/v1/notifications", limit=BEYOND_INT64), "limit", "query"
    )


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("9999-12-01", "9999-12-31", "from"),
        ("0001-01", "0001-01", "from"),
        ("2026-01", "9999-12", "to"),
    ],
)
async def test_statistics_at_the_edges_of_the_calendar_are_refused(
    admin: ApiClient, first: str, last: str, field: str
) -> None:
    for figures in ("summary", "schools", "overdue"):
        response = await admin.get(
            "hazard_cases", f"/v1/stats/{figures}", **{"from": first, "to": last}
        )
        refused(response, field, "query")


@pytest.mark.parametrize("moment", [FAR_FUTURE, FAR_PAST, "2026-11-23T09:40:00"])
async def test_moments_at_the_edges_of_the_calendar_or_without_offset_are_refused(
    admin: ApiClient, moment: str
) -> None:
    refused(await who_answers(admin, "demo-point-fire-exit", at=moment), "at", "query")
    closed = await admin.get(
        "hazard_cases", "/v1/hazard-lists/closed", since=moment, until="2026-12-01T00:00:00+08:00"
    )
    refused(closed, "since", "query")


async def test_exports_still_work_when_a_record_stored_before_the_checks_holds_control_characters(
    admin: ApiClient, platform: Platform
) -> None:
    school: School = await new_school(admin)
    keeper = await school.login(admin, school.keeper)
    hazard_id = await report(keeper, school, "楼梯扶手松动")
    await hazard(admin, hazard_id, status="assigned")
    # As the platform stored them before text was checked.
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.infra.mongo_url)
    try:
        registry = mongo[platform.database("grid_registry")]
        person_id = school.people[school.keeper]
        changed = await registry["people"].update_one(
            {"_id": person_id}, {"$set": {"name": "王\x0b芳\x00"}}
        )
        assert changed.modified_count == 1
        cases = mongo[platform.database("hazard_cases")]
        changed = await cases["hazards"].update_one(
            {"_id": hazard_id}, {"$set": {"description": "扶手\x0b松动\x1b[31m"}}
        )
        assert changed.modified_count == 1
    finally:
        await mongo.close()

    people = await admin.get(
        "grid_registry", "/v1/excel/export/people.xlsx", grid_id=school.school_id
    )
    assert people.status_code == 200, people.text
    names = [
        row[1]
        for row in load_workbook(io.BytesIO(people.content)).active.iter_rows(values_only=True)
    ]  # type: ignore[union-attr]
    assert "王芳" in names

    hazards = await admin.get(
        "hazard_cases", "/v1/hazard-lists/open.xlsx", grid_id=school.school_id
    )
    assert hazards.status_code == 200, hazards.text
    cells = {
        cell
        for row in load_workbook(io.BytesIO(hazards.content)).active.iter_rows(values_only=True)  # type: ignore[union-attr]
        for cell in row
    }
    assert "扶手松动[31m" in cells
