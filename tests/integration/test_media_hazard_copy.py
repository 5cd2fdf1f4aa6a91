"""Media storage's copy of who may see a hazard, on the real FerretDB: events in any order and
delivered twice give the same copy; the assignee only moves forward; joined reporters are kept
once each and bounded; a photo follows the copy of the hazard it is attached to."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.media_storage.hazards import repository, service, visibility
from services.media_storage.media import repository as media
from shared.auth import Principal
from shared.events import (
    Event,
    HazardAssigned,
    HazardEscalated,
    HazardOpened,
    HazardReferred,
    HazardTransitioned,
    PersonRef,
    ReportLinked,
)
from shared.vocabulary import Role

PATH = "/c/t/s/z/"
REPORTER = PersonRef(person_id="reporter", name="王芳")
FIRST = PersonRef(person_id="first", name="李四")
SECOND = PersonRef(person_id="second", name="赵六")
JOINER = PersonRef(person_id="joiner", name="钱七")


def opened(hazard_id: str = "h1", photos: tuple[str, ...] = ()) -> HazardOpened:
    return HazardOpened(
        hazard_id=hazard_id,
        report_id=hazard_id,
        point_id="p",
        point_name="消防通道",
        grid_id="z",
        grid_path=PATH,
        school_name="第一小学",
        category="fire",
        risk_grade="red",
        description="消防通道堆放杂物",
        reporter=REPORTER,
        status="reported",
        reported_at="2026-11-23T08:00:00Z",
        photo_ids=photos,
        version=1,
    )


def assigned(person: PersonRef, version: int) -> HazardAssigned:
    return HazardAssigned(
        hazard_id="h1",
        grid_path=PATH,
        category="fire",
        description="消防通道堆放杂物",
        point_name="消防通道",
        assignee=person,
        assigned_by="system",
        status="assigned",
        version=version,
    )


def stepped(person: PersonRef | None, version: int, photos: tuple[str, ...] = ()) -> Event:
    return HazardTransitioned(
        hazard_id="h1",
        grid_path=PATH,
        category="fire",
        risk_grade="red",
        description="消防通道堆放杂物",
        point_name="消防通道",
        school_name="第一小学",
        action="submit_rectification" if photos else "accept",
        from_status="assigned",
        status="rectified" if photos else "rectifying",
        actor=person or REPORTER,
        assignee=person,
        reporter=REPORTER,
        rectify_by=None,
        photo_ids=photos,
        version=version,
    )


def escalated(person: PersonRef, version: int) -> HazardEscalated:
    return HazardEscalated(
        hazard_id="h1",
        grid_path=PATH,
        category="fire",
        risk_grade="red",
        description="消防通道堆放杂物",
        point_name="消防通道",
        school_name="第一小学",
        level=1,
        escalated_to=person,
        reason="not_accepted",
        due_at="2026-11-23T09:00:00Z",
        assignee=person,
        status="assigned",
        rectify_by=None,
        version=version,
    )


def linked(person: PersonRef, report_id: str = "r2") -> ReportLinked:
    return ReportLinked(
        report_id=report_id,
        hazard_id="h1",
        grid_path=PATH,
        reporter=person,
        description="又看到了",
        hazard_status="assigned",
        version=2,
    )


def referred(agency_id: str = "police") -> HazardReferred:
    return HazardReferred(
        referral_id=f"ref-{agency_id}", hazard_id="h1", agency_id=agency_id, grid_path=PATH
    )


async def apply(db: AsyncDatabase[dict], event: Event) -> None:
    """Apply an event as media storage's handlers do (the copy only)."""
    if isinstance(event, HazardReferred):
        await service.record_referral(db, event)
    else:
        assert isinstance(
            event,
            HazardOpened | ReportLinked | HazardTransitioned | HazardAssigned | HazardEscalated,
        )
        await service.record(db, [event])


def teacher(person: PersonRef) -> Principal:
    return Principal(
        user_id=person.person_id,
        username=person.person_id,
        name=person.name,
        roles=frozenset({Role.TEACHER}),
        scope=("/c/t/s/other-zone/",),
    )


LIAISON = Principal(
    user_id="officer",
    username="officer",
    name="民警",
    roles=frozenset({Role.AGENCY}),
    scope=("/c/t/",),
    agency_id="police",
)
HEAD = Principal(
    user_id="head",
    username="head",
    name="校长",
    roles=frozenset({Role.SCHOOL_HEAD}),
    scope=("/c/t/s/",),
)


EVENTS = [
    opened(),
    assigned(FIRST, 2),
    stepped(FIRST, 3),
    escalated(SECOND, 4),
    linked(JOINER),
    referred(),
]
# Every 97th of the 720 orders of the six events: the first, the last and some between.
ORDERS = [
    *itertools.islice(itertools.permutations(range(len(EVENTS))), 0, 720, 97),
    (5, 4, 3, 2, 1, 0),
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda order: "".join(map(str, order)))
async def test_any_order_and_redelivery_give_the_same_copy(
    db: AsyncDatabase[dict], order: tuple[int, ...]
) -> None:
    events = [EVENTS[n] for n in order]
    for event in (*events, *events):  # and every event delivered twice
        await apply(db, event)
    copy = await repository.get(db, "h1")
    assert copy is not None
    assert copy["grid_path"] == PATH
    assert copy["reporter_id"] == "reporter"
    assert (copy["assignee_id"], copy["assignee_version"]) == ("second", 4)
    assert copy["joined_reporter_ids"] == ["joiner"]
    assert await repository.get_referral(db, "h1", "police") is not None

    async def sees(principal: Principal) -> bool:
        return await visibility.can_see(db, principal, "h1")

    assert await sees(teacher(REPORTER))
    assert await sees(teacher(SECOND))  # assigned now
    assert not await sees(teacher(FIRST))  # assigned before the escalation
    assert await sees(teacher(JOINER))
    assert await sees(HEAD)
    assert await sees(LIAISON)


async def test_events_handled_at_once_keep_the_newest_assignee(db: AsyncDatabase[dict]) -> None:
    steps = [assigned(FIRST, 2), stepped(SECOND, 3), escalated(FIRST, 5), stepped(None, 4)]
    await asyncio.gather(*(apply(db, event) for event in [opened(), *steps, *steps]))
    copy = await repository.get(db, "h1")
    assert copy is not None
    assert (copy["assignee_id"], copy["assignee_version"]) == ("first", 5)
    assert copy["reporter_id"] == "reporter"


async def test_joined_reporters_are_kept_once_each_up_to_the_bound(
    db: AsyncDatabase[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "MAX_JOINED_REPORTERS", 3)
    people = [PersonRef(person_id=f"t{n}", name=f"教师{n}") for n in range(5)]
    # The same person joining again (another report) takes no second place.
    for n, person in enumerate([people[0], people[0], *people[1:]]):
        await apply(db, linked(person, report_id=f"r{n}"))
    await apply(db, linked(people[4], report_id="r9"))  # redelivered once full
    copy = await repository.get(db, "h1")
    assert copy is not None
    assert copy["joined_reporter_ids"] == ["t0", "t1", "t2"]
    assert await visibility.can_see(db, teacher(people[2]), "h1")
    assert not await visibility.can_see(db, teacher(people[3]), "h1")


@pytest.mark.parametrize("order", ORDERS[:3], ids=lambda order: "".join(map(str, order)))
async def test_a_batch_of_events_written_together_gives_the_same_copy(
    db: AsyncDatabase[dict], order: tuple[int, ...]
) -> None:
    copy_events = [EVENTS[n] for n in order if not isinstance(EVENTS[n], HazardReferred)]
    # A burst arrives as one batch, redelivered whole after a crash.
    await service.record(db, [*copy_events, *copy_events])
    await service.record(db, copy_events)
    copy = await repository.get(db, "h1")
    assert copy is not None
    assert copy["grid_path"] == PATH
    assert copy["reporter_id"] == "reporter"
    assert (copy["assignee_id"], copy["assignee_version"]) == ("second", 4)
    assert copy["joined_reporter_ids"] == ["joiner"]


async def test_a_batch_of_joins_fills_the_bound_and_no_more(
    db: AsyncDatabase[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "MAX_JOINED_REPORTERS", 3)
    people = [PersonRef(person_id=f"t{n}", name=f"教师{n}") for n in range(5)]
    await service.record(db, [linked(people[0], report_id="r0")])
    # Room for two more, five in the batch (one already in): the first two new ones get it.
    await service.record(db, [linked(person, report_id=f"r{n}") for n, person in enumerate(people)])
    copy = await repository.get(db, "h1")
    assert copy is not None
    assert copy["joined_reporter_ids"] == ["t0", "t1", "t2"]


async def test_a_liaison_sees_only_its_agencys_referrals_inside_its_subtree(
    db: AsyncDatabase[dict],
) -> None:
    await apply(db, opened())
    assert not await visibility.can_see(db, LIAISON, "h1")  # not referred (yet)
    await apply(db, referred("market"))
    assert not await visibility.can_see(db, LIAISON, "h1")  # referred to another agency
    await apply(db, referred("police"))
    assert await visibility.can_see(db, LIAISON, "h1")
    elsewhere = LIAISON.model_copy(update={"scope": ("/c/other-township/",)})
    assert not await visibility.can_see(db, elsewhere, "h1")


async def test_a_photo_follows_the_hazard_it_is_attached_to(db: AsyncDatabase[dict]) -> None:
    await db[media.COLLECTION].insert_many(
        [
            {"_id": "finding", "owner_id": "reporter", "status": "stored"},
            {"_id": "evidence", "owner_id": "second", "status": "stored"},
        ]
    )
    assert await media.attach(db, "finding", owner_id="reporter", report_id="h1", hazard_id="h1")
    # Not the uploader's: attached to nothing.
    assert not await media.attach(db, "evidence", owner_id="first", report_id="h1", hazard_id="h1")
    assert await media.attach(db, "evidence", owner_id="second", report_id="h1", hazard_id="h1")
    doc = await media.get(db, "finding")
    assert doc is not None
    assert doc["hazard_id"] == "h1"
    # The copy has not arrived: nobody but the uploader (media/service.py) sees it.
    assert not await visibility.can_see(db, HEAD, "h1")
    await apply(db, opened())
    assert await visibility.can_see(db, HEAD, "h1")
