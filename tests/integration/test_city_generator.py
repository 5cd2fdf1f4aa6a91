"""The synthetic city in a real database: its tree, its people, idempotence, and who answers."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.demo.city import ANCHOR, COLLECTIONS, City, build_city, run, write_city
from services.grid_registry.responsibility.service import answer, load_place, load_point_place
from shared.responsibility import Assignment, Duty, SlotKind
from shared.vocabulary import GridLevel
from tests.support.servers import InfraEnv

Document = dict[str, Any]

SEED = 1
CN = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)
AT_RECESS = datetime(2026, 11, 23, 9, 40, tzinfo=CN)
AT_THREE = datetime(2026, 11, 23, 15, 0, tzinfo=CN)


@pytest.fixture
async def city(db: AsyncDatabase[Document]) -> City:
    generated = build_city(SEED, "small")
    await write_city(db, generated)
    return generated


async def all_grids(db: AsyncDatabase[Document]) -> dict[str, Document]:
    return {doc["_id"]: doc async for doc in db["grids"].find({}, {"outbox": 0})}


async def counts(db: AsyncDatabase[Document]) -> dict[str, int]:
    return {name: await db[name].count_documents({}) for name in COLLECTIONS}


def held(doc: Document) -> list[Assignment]:
    return [Assignment.model_validate(entry) for entry in doc["assignments"]]


async def test_every_school_has_zones_and_outside_grids(
    db: AsyncDatabase[Document], city: City
) -> None:
    grids = await all_grids(db)
    schools = [doc for doc in grids.values() if doc["level"] == GridLevel.SCHOOL]
    assert len(schools) == 5
    for school in schools:
        below = Counter(doc["level"] for doc in grids.values() if doc["parent_id"] == school["_id"])
        assert below[GridLevel.ZONE] >= 6, school["name"]
        assert below[GridLevel.OUTSIDE] >= 1, school["name"]
        points = await db["risk_points"].count_documents(
            {"grid_path": {"$regex": f"^{school['path']}"}}
        )
        assert 25 <= points <= 30


async def test_paths_are_the_parent_path_and_own_id(
    db: AsyncDatabase[Document], city: City
) -> None:
    grids = await all_grids(db)
    roots = [doc for doc in grids.values() if doc["parent_id"] is None]
    assert [doc["level"] for doc in roots] == [GridLevel.BUREAU]
    for doc in grids.values():
        parent_path = grids[doc["parent_id"]]["path"] if doc["parent_id"] else "/"
        assert doc["path"] == f"{parent_path}{doc['_id']}/"
    async for point in db["risk_points"].find({}, {"grid_id": 1, "grid_path": 1}):
        assert point["grid_path"] == grids[point["grid_id"]]["path"]


async def test_outside_grids_have_three_persons(db: AsyncDatabase[Document], city: City) -> None:
    grids = await all_grids(db)
    outside = [doc for doc in grids.values() if doc["level"] == GridLevel.OUTSIDE]
    assert outside
    for doc in outside:
        result = answer(await load_place(db, doc["path"], None), AT_THREE)
        assert result.responsible.person is not None
        persons = {result.responsible.person, *result.members}
        assert len(persons) == 3, doc["name"]
        school_staff = {p["_id"] async for p in db["people"].find({"grid_id": doc["parent_id"]})}
        assert {person.person_id for person in persons} <= school_staff


async def test_blind_spot_zones_have_no_head(db: AsyncDatabase[Document], city: City) -> None:
    grids = await all_grids(db)
    zones = [doc for doc in grids.values() if doc["level"] == GridLevel.ZONE]
    headless = {doc["_id"] for doc in zones if not any(a.duty == Duty.HEAD for a in held(doc))}
    assert headless
    assert headless == set(city.blind_spots)
    assert city.summary()["blind_spots"] == len(headless)
    for zone_id in headless:
        result = answer(await load_place(db, grids[zone_id]["path"], None), AT_THREE)
        assert result.responsible.person is None
        # Nobody here, so it goes up: the school's head is next in the chain.
        assert result.chain[0].level == GridLevel.SCHOOL
        assert result.chain[0].person is not None


async def test_a_second_run_changes_nothing(db: AsyncDatabase[Document], city: City) -> None:
    before = await counts(db)
    assert before == {
        "people": len(city.people),
        "grids": len(city.grids),
        "risk_points": len(city.points),
    }
    new = await write_city(db, build_city(SEED, "small"))
    assert new == dict.fromkeys(COLLECTIONS, 0)
    assert await counts(db) == before


async def test_weekly_duty_teacher_at_recess_and_zone_head_after(
    db: AsyncDatabase[Document], city: City
) -> None:
    grids = await all_grids(db)
    zone = next(doc for doc in grids.values() if any(a.slot == SlotKind.RECESS for a in held(doc)))
    point = await db["risk_points"].find_one({"grid_id": zone["_id"], "assignments": []})
    assert point is not None, "a point of the zone without its own responsible person"
    rotation = next(a.rotation for a in held(zone) if a.slot == SlotKind.RECESS)
    head = next(a.person for a in held(zone) if a.slot == SlotKind.ALWAYS)
    assert rotation is not None
    place = await load_point_place(db, point["_id"])
    assert place is not None

    week = (MONDAY - ANCHOR).days // 7
    at_recess = answer(place, AT_RECESS).responsible
    assert at_recess.slot == SlotKind.RECESS
    assert at_recess.person == rotation.cycle[week % len(rotation.cycle)]
    next_week = answer(place, AT_RECESS + timedelta(days=7)).responsible
    assert next_week.person == rotation.cycle[(week + 1) % len(rotation.cycle)]
    assert next_week.person != at_recess.person

    at_three = answer(place, AT_THREE)
    assert at_three.responsible.slot == SlotKind.ALWAYS
    assert at_three.responsible.person == head
    assert at_three.school_name == grids[zone["parent_id"]]["name"]


async def test_command_line_wipes_and_writes_events(
    db: AsyncDatabase[Document], infra: InfraEnv
) -> None:
    await db["grids"].insert_one({"_id": "left-over", "path": "/left-over/"})
    summary = await run(
        infra.mongo_url, db.name, seed=SEED, scale="small", wipe=True, with_events=True
    )
    assert await db["grids"].find_one({"_id": "left-over"}) is None
    assert await counts(db) == {
        "people": summary["people"],
        "grids": summary["grids"],
        "risk_points": summary["risk_points"],
    }
    root = await db["grids"].find_one({"parent_id": None})
    assert root is not None
    assert [entry["routing_key"] for entry in root["outbox"]] == [
        "grid_registry.grid.changed",
        "grid_registry.assignments.changed",
        "grid_registry.calendar.changed",
    ]
    point = await db["risk_points"].find_one({})
    assert point is not None
    assert [entry["routing_key"] for entry in point["outbox"]] == [
        "grid_registry.risk_point.changed",
        "grid_registry.assignments.changed",
    ]
    indexes = {index["name"] async for index in await db["grids"].list_indexes()}
    assert {"parent", "path"} <= indexes
