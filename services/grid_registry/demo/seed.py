"""The demo county (dev mode only): a small tree, its people, who answers when, risk points.

Ids are fixed, so seeding twice changes nothing and other services' demo data can refer to
them. Passwords equal the usernames: this is why start-up refuses demo data outside dev mode.

What it shows: a zone head at all hours with weekly duty teachers at recess (值周), the canteen
manager, a holiday duty roster for the school, an outside-school grid with three persons
(一格三员), a bureau leader assigned to the township (包乡), and a county calendar with the
2026–2027 holidays.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.grid_registry.auth.passwords import hash_password
from services.grid_registry.grids import repository as grids
from services.grid_registry.grids.service import changed as grid_changed
from services.grid_registry.people import repository as people
from services.grid_registry.responsibility import service as responsibility
from services.grid_registry.risk_points import repository as risk_points
from services.grid_registry.risk_points.service import announcement
from services.grid_registry.targets import Target, changed_event, to_storage
from shared.clock import utc_now
from shared.events import CalendarChanged
from shared.outbox import new_outbox
from shared.refs import PersonRef
from shared.responsibility import (
    DEFAULT_CALENDAR,
    Assignment,
    Duty,
    Holiday,
    Rotation,
    RotationEntry,
    SlotKind,
)
from shared.vocabulary import GridLevel, HazardCategory, RiskGrade, Role

Document = dict[str, Any]

COUNTY = "demo-county"
TOWNSHIP = "demo-township"
SCHOOL = "demo-school"
ZONE_TEACHING = "demo-zone-teaching"
ZONE_CANTEEN = "demo-zone-canteen"
OUTSIDE_GATE = "demo-outside-gate"
POLICE_AGENCY = "demo-agency-police"
SINCE = datetime(2026, 9, 1, tzinfo=UTC)  # the school year the demo assignments start with

# (person id, name, grid id, post, login, role)
PEOPLE = [
    ("demo-p-admin", "李建国", COUNTY, "安全股股长", "demo-admin", Role.COUNTY_OPERATOR),
    ("demo-p-leader", "何文斌", COUNTY, "副局长", None, None),
    ("demo-p-township", "陈志强", TOWNSHIP, "中心校校长", None, None),
    ("demo-p-head", "张伟", SCHOOL, "校长", "demo-head", Role.SCHOOL_HEAD),
    ("demo-p-vice", "黄丽", SCHOOL, "分管安全副校长", None, None),
    ("demo-p-teacher", "王芳", SCHOOL, "班主任", "demo-teacher", Role.TEACHER),
    ("demo-p-duty1", "李强", SCHOOL, "体育教师（值周）", None, None),
    ("demo-p-duty2", "周敏", SCHOOL, "数学教师（值周）", None, None),
    ("demo-p-canteen", "赵建华", SCHOOL, "食堂管理员", None, None),
    ("demo-p-guard", "孙强", SCHOOL, "保安", None, None),
    ("demo-p-community", "吴丽", SCHOOL, "社区网格员", None, None),
    ("demo-p-beat", "刘洋", SCHOOL, "社区民警", None, None),
    ("demo-p-police", "城关派出所值班室", COUNTY, "公安联络员", "demo-police", Role.AGENCY),
]
NAMES = {pid: name for pid, name, *_ in PEOPLE}


def _person(person_id: str) -> PersonRef:
    return PersonRef(person_id=person_id, name=NAMES[person_id])


def _head(key: str, person_id: str, slot: SlotKind = SlotKind.ALWAYS) -> Assignment:
    return Assignment(
        assignment_id=f"demo-a-{key}", person=_person(person_id), slot=slot, valid_from=SINCE
    )


ASSIGNMENTS: dict[str, list[Assignment]] = {
    COUNTY: [
        _head("county", "demo-p-admin"),
    ],
    TOWNSHIP: [
        _head("township", "demo-p-township"),
        Assignment(
            assignment_id="demo-a-overlay",
            duty=Duty.OVERLAY,
            person=_person("demo-p-leader"),
            valid_from=SINCE,
        ),
    ],
    SCHOOL: [
        _head("school", "demo-p-head"),
        Assignment(
            assignment_id="demo-a-holiday-roster",
            slot=SlotKind.HOLIDAY,
            rotation=Rotation(
                roster=(
                    RotationEntry(
                        start=date(2026, 10, 1),
                        end=date(2026, 10, 4),
                        person=_person("demo-p-vice"),
                    ),
                    RotationEntry(
                        start=date(2026, 10, 5),
                        end=date(2026, 10, 7),
                        person=_person("demo-p-head"),
                    ),
                    RotationEntry(
                        start=date(2027, 1, 1), end=date(2027, 1, 3), person=_person("demo-p-vice")
                    ),
                )
            ),
            valid_from=SINCE,
        ),
    ],
    ZONE_TEACHING: [_head("teaching", "demo-p-teacher")],
    ZONE_CANTEEN: [_head("canteen", "demo-p-canteen")],
    OUTSIDE_GATE: [
        _head("gate", "demo-p-guard"),
        Assignment(
            assignment_id="demo-a-gate-community",
            duty=Duty.MEMBER,
            person=_person("demo-p-community"),
            valid_from=SINCE,
        ),
        Assignment(
            assignment_id="demo-a-gate-beat",
            duty=Duty.MEMBER,
            person=_person("demo-p-beat"),
            valid_from=SINCE,
        ),
    ],
}

# The stairs at recess: the weekly duty teachers in turn (值周); the zone head the rest of the time.
POINT_ASSIGNMENTS: dict[str, list[Assignment]] = {
    "demo-point-stairs": [
        Assignment(
            assignment_id="demo-a-weekly-duty",
            slot=SlotKind.RECESS,
            rotation=Rotation(
                cycle=(_person("demo-p-duty1"), _person("demo-p-duty2")),
                period_days=7,
                anchor=date(2026, 8, 31),  # a Monday
            ),
            valid_from=SINCE,
        ),
    ],
}

COUNTY_CALENDAR = DEFAULT_CALENDAR.model_copy(
    update={
        "holidays": (
            Holiday(name="国庆节", start=date(2026, 10, 1), end=date(2026, 10, 7)),
            Holiday(name="寒假", start=date(2027, 1, 23), end=date(2027, 2, 21)),
            Holiday(name="元旦", start=date(2027, 1, 1), end=date(2027, 1, 3)),
        ),
        "makeup_workdays": (date(2026, 10, 10),),
    }
)

# (grid id, parent id, level, name)
GRIDS = [
    (COUNTY, None, GridLevel.BUREAU, "示范县教育局"),
    (TOWNSHIP, COUNTY, GridLevel.TOWNSHIP, "城关镇"),
    (SCHOOL, TOWNSHIP, GridLevel.SCHOOL, "城关镇第一小学"),
    (ZONE_TEACHING, SCHOOL, GridLevel.ZONE, "教学楼"),
    (ZONE_CANTEEN, SCHOOL, GridLevel.ZONE, "学校食堂"),
    (OUTSIDE_GATE, SCHOOL, GridLevel.OUTSIDE, "校门口周边"),
]

# (point id, grid id, name, category, grade, check items)
POINTS = [
    (
        "demo-point-fire-exit",
        ZONE_TEACHING,
        "教学楼三楼东侧消防通道",
        HazardCategory.FIRE,
        RiskGrade.RED,
        ["通道是否畅通", "灭火器是否在有效期内", "应急照明是否正常"],
    ),
    (
        "demo-point-stairs",
        ZONE_TEACHING,
        "教学楼东楼梯",
        HazardCategory.BUILDINGS,
        RiskGrade.ORANGE,
        ["课间是否有教师值守", "扶手是否牢固", "地面是否湿滑"],
    ),
    (
        "demo-point-kitchen",
        ZONE_CANTEEN,
        "学校食堂后厨",
        HazardCategory.FOOD_HYGIENE,
        RiskGrade.ORANGE,
        ["生熟分开", "留样是否满48小时", "从业人员健康证"],
    ),
    (
        "demo-point-gate-road",
        OUTSIDE_GATE,
        "校门口上下学路段",
        HazardCategory.TRAFFIC,
        RiskGrade.YELLOW,
        ["护学岗是否到位", "减速带与警示标志", "违停车辆"],
    ),
]


async def _insert_once(insert: Any, db: AsyncDatabase[Document], doc: Document) -> None:
    with contextlib.suppress(DuplicateKeyError):
        await insert(db, doc)


async def _seed_people(db: AsyncDatabase[Document], now: datetime) -> None:
    for person_id, name, grid_id, post, login, role in PEOPLE:
        await _insert_once(
            people.insert_person,
            db,
            {
                "_id": person_id,
                "name": name,
                "grid_id": grid_id,
                "post": post,
                "phone": None,
                "username": login,
                "created_at": now,
            },
        )
        if login and role:
            account: Document = {
                "_id": login,
                "person_id": person_id,
                "password_hash": hash_password(login),
                "roles": [role.value],
                "created_at": now,
            }
            if role == Role.AGENCY:
                account["agency_id"] = POLICE_AGENCY
            await _insert_once(people.insert_account, db, account)


async def seed_demo(db: AsyncDatabase[Document]) -> None:
    """Write the demo county if it is not there yet."""
    now = utc_now()
    await _seed_people(db, now)
    paths: dict[str, str] = {}
    for grid_id, parent_id, level, name in GRIDS:
        path = f"{paths[parent_id] if parent_id else '/'}{grid_id}/"
        paths[grid_id] = path
        assignments = ASSIGNMENTS.get(grid_id, [])
        calendar = COUNTY_CALENDAR.model_dump(mode="json") if grid_id == COUNTY else None
        doc: Document = {
            "_id": grid_id,
            "name": name,
            "level": level.value,
            "parent_id": parent_id,
            "path": path,
            "assignments": to_storage(assignments),
            "calendar": calendar,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        head = next(
            (a.person for a in assignments if a.duty == Duty.HEAD and a.slot == SlotKind.ALWAYS),
            None,
        )
        events: list[Any] = [
            grid_changed(doc, head),
            changed_event(Target("grid", doc), assignments, 1),
        ]
        if calendar is not None:
            events.append(
                CalendarChanged(
                    grid_id=grid_id, grid_path=path, calendar=COUNTY_CALENDAR, version=1
                )
            )
        await _insert_once(grids.insert, db, {**doc, **new_outbox(*events)})
    for point_id, grid_id, name, category, grade, checks in POINTS:
        assignments = POINT_ASSIGNMENTS.get(point_id, [])
        doc = {
            "_id": point_id,
            "grid_id": grid_id,
            "grid_path": paths[grid_id],
            "name": name,
            "category": category.value,
            "risk_grade": grade.value,
            "check_items": checks,
            "assignments": to_storage(assignments),
            "qr_token": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        place = await responsibility.load_place(db, paths[grid_id], doc)
        events = [announcement(place, now), changed_event(Target("point", doc), assignments, 1)]
        await _insert_once(risk_points.insert, db, {**doc, **new_outbox(*events)})
