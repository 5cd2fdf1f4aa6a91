"""The demo county (dev mode only): a small tree, its people, risk points and demo logins.

Ids are fixed, so seeding twice changes nothing and other services' demo data can refer to
them. Passwords equal the usernames: this is why start-up refuses demo data outside dev mode.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.grid_registry.auth.passwords import hash_password
from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository as people
from services.grid_registry.responsibility import service as responsibility
from services.grid_registry.risk_points import repository as risk_points
from services.grid_registry.risk_points import service as risk_point_service
from shared.clock import utc_now
from shared.events import GridChanged, PersonRef
from shared.outbox import new_outbox
from shared.vocabulary import GridLevel, HazardCategory, RiskGrade, Role

Document = dict[str, Any]

COUNTY = "demo-county"
TOWNSHIP = "demo-township"
SCHOOL = "demo-school"
ZONE_TEACHING = "demo-zone-teaching"
ZONE_CANTEEN = "demo-zone-canteen"
OUTSIDE_GATE = "demo-outside-gate"
POLICE_AGENCY = "demo-agency-police"

# (grid id, parent id, level, name, head person id)
GRIDS = [
    (COUNTY, None, GridLevel.BUREAU, "示范县教育局", "demo-p-admin"),
    (TOWNSHIP, COUNTY, GridLevel.TOWNSHIP, "城关镇", "demo-p-township"),
    (SCHOOL, TOWNSHIP, GridLevel.SCHOOL, "城关镇第一小学", "demo-p-head"),
    (ZONE_TEACHING, SCHOOL, GridLevel.ZONE, "教学楼", "demo-p-teacher"),
    (ZONE_CANTEEN, SCHOOL, GridLevel.ZONE, "学校食堂", "demo-p-canteen"),
    (OUTSIDE_GATE, SCHOOL, GridLevel.OUTSIDE, "校门口周边", "demo-p-guard"),
]

# (person id, name, grid id, post, login, role)
PEOPLE = [
    ("demo-p-admin", "李建国", COUNTY, "安全股股长", "demo-admin", Role.COUNTY_OPERATOR),
    ("demo-p-township", "陈志强", TOWNSHIP, "中心校校长", None, None),
    ("demo-p-head", "张伟", SCHOOL, "校长", "demo-head", Role.SCHOOL_HEAD),
    ("demo-p-teacher", "王芳", SCHOOL, "班主任", "demo-teacher", Role.TEACHER),
    ("demo-p-canteen", "赵建华", SCHOOL, "食堂管理员", None, None),
    ("demo-p-guard", "孙强", SCHOOL, "保安", None, None),
    ("demo-p-police", "城关派出所值班室", COUNTY, "公安联络员", "demo-police", Role.AGENCY),
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


async def seed_demo(db: AsyncDatabase[Document]) -> None:
    """Write the demo county if it is not there yet."""
    now = utc_now()
    names = {pid: name for pid, name, *_ in PEOPLE}
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
    paths: dict[str, str] = {}
    for grid_id, parent_id, level, name, head in GRIDS:
        path = f"{paths[parent_id] if parent_id else '/'}{grid_id}/"
        paths[grid_id] = path
        event = GridChanged(
            grid_id=grid_id,
            parent_id=parent_id,
            path=path,
            level=level,
            name=name,
            head=PersonRef(person_id=head, name=names[head]),
            version=1,
        )
        doc = {
            "_id": grid_id,
            "name": name,
            "level": level.value,
            "parent_id": parent_id,
            "path": path,
            "head_person_id": head,
            "version": 1,
            "created_at": now,
        }
        await _insert_once(grids.insert, db, {**doc, **new_outbox(event)})
    for point_id, grid_id, name, category, grade, checks in POINTS:
        grid = await grids.get(db, grid_id)
        assert grid is not None
        doc = {
            "_id": point_id,
            "grid_id": grid_id,
            "grid_path": grid["path"],
            "name": name,
            "category": category.value,
            "risk_grade": grade.value,
            "responsible_person_id": None,
            "check_items": checks,
            "version": 1,
            "created_at": now,
        }
        answer = await responsibility.for_point(db, doc, grid)
        event = risk_point_service.announcement(doc, grid, answer)
        await _insert_once(risk_points.insert, db, {**doc, **new_outbox(event)})
