"""Decide what each row of a checked list does: create, update or leave unchanged.

Pure: it works on what the service loaded once (`Registry`) and builds the same documents and
events the single-item services write (grids with their path, people and logins, risk points
announced with who answers for them, assignments appended with `end_replaced`). Problems that
only the registry's state reveals (moving an existing grid, a taken username, a fourth person
on an outside grid) are recorded on the sheet like any other row error.

Ids are derived from (the importer's scope, kind, code), so the same list imported twice, or
imported again after an interrupted run, names the same documents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from services.grid_registry.assignments.service import MAX_BACKDATE, OUTSIDE_MEMBERS
from services.grid_registry.auth.service import ALL_GRIDS
from services.grid_registry.excel.models import ExcelKind, KindCounts
from services.grid_registry.excel.reader import Known, Row, Sheet
from services.grid_registry.excel.templates import LEVEL_LABELS
from services.grid_registry.grids import repository as grids
from services.grid_registry.grids.service import changed as grid_changed
from services.grid_registry.grids.service import head_now
from services.grid_registry.people import repository as people
from services.grid_registry.people.service import GRANTABLE
from services.grid_registry.responsibility.service import Place, path_ids
from services.grid_registry.risk_points import repository as points
from services.grid_registry.risk_points.service import announcement
from services.grid_registry.targets import Target, changed_event, stored_assignments
from shared.auth import Principal
from shared.ids import derived_id, new_id
from shared.outbox import new_outbox, push_outbox
from shared.refs import PersonRef
from shared.responsibility import DEFAULT_CALENDAR, Assignment, Duty, SlotKind, end_replaced
from shared.vocabulary import GridLevel, Role

Document = dict[str, Any]
LOCAL = ZoneInfo(DEFAULT_CALENDAR.timezone)


@dataclass
class Registry:
    """What exists in the caller's part of the registry, loaded once per import."""

    root: str  # the importer's scope, part of every derived id
    grids: dict[str, Document] = field(default_factory=dict)
    above: dict[str, Document] = field(default_factory=dict)  # grids above the scope roots
    points: dict[str, Document] = field(default_factory=dict)
    people: dict[str, Document] = field(default_factory=dict)
    accounts: dict[str, Document] = field(default_factory=dict)
    _codes: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def _by_kind(self, kind: str) -> dict[str, Document]:
        return {"grid": self.grids, "point": self.points, "person": self.people}[kind]

    def codes(self, kind: str) -> dict[str, list[str]]:
        """Return the ids of each code in use, for one kind of object."""
        if kind not in self._codes:
            index: dict[str, list[str]] = defaultdict(list)
            for doc_id, doc in self._by_kind(kind).items():
                if doc.get("code"):
                    index[doc["code"]].append(doc_id)
            self._codes[kind] = dict(index)
        return self._codes[kind]

    def find(self, kind: str, ref: str | None) -> Document | None:
        """Return the object a cell names by id or by (unambiguous) code."""
        if ref is None:
            return None
        docs = self._by_kind(kind)
        if ref in docs:
            return docs[ref]
        ids = self.codes(kind).get(ref, [])
        return docs[ids[0]] if len(ids) == 1 else None

    def known(self) -> Known:
        """Return the codes and ids the reader checks references against."""
        known = Known()
        unique: dict[str, set[str]] = {}
        for kind in ("grid", "point", "person"):
            codes = self.codes(kind)
            known.ambiguous[kind] = {code for code, ids in codes.items() if len(ids) > 1}
            unique[kind] = {code for code, ids in codes.items() if len(ids) == 1}
        for doc_id, doc in self.grids.items():
            known.grids[doc_id] = GridLevel(doc["level"])
            if doc.get("code") in unique["grid"]:
                known.grids[doc["code"]] = GridLevel(doc["level"])
        known.points = set(self.points) | unique["point"]
        known.people = set(self.people) | unique["person"]
        return known

    def grid(self, grid_id: str) -> Document | None:
        """Return a grid of the scope or above it."""
        return self.grids.get(grid_id) or self.above.get(grid_id)


@dataclass
class Plan:
    """The writes an import makes, in order, and what they amount to."""

    counts: dict[str, KindCounts]
    inserts: list[tuple[str, list[Document]]] = field(default_factory=list)  # in this order
    updates: list[tuple[str, Document, Document]] = field(default_factory=list)
    passwords: list[tuple[Document, str]] = field(default_factory=list)  # accounts to hash
    saves: list[tuple[Target, list[Assignment]]] = field(default_factory=list)


def _rows(sheet: Sheet) -> list[Row]:
    """Return the rows nothing is wrong with so far (others would only repeat their error)."""
    flagged = {error.row for error in sheet.errors}
    return [row for row in sheet.rows if row.valid and row.number not in flagged]


def _changes(doc: Document, wanted: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in wanted.items() if doc.get(key) != value}


def plan(
    kind: ExcelKind, sheet: Sheet, registry: Registry, principal: Principal, now: datetime
) -> Plan:
    """Return what importing the sheet would write; problems are added to the sheet."""
    planners = {
        ExcelKind.GRIDS: _grids,
        ExcelKind.PEOPLE: _people,
        ExcelKind.RISK_POINTS: _points,
        ExcelKind.ASSIGNMENTS: _assignments,
    }
    return planners[kind](sheet, registry, principal, now)


def _grids(sheet: Sheet, registry: Registry, principal: Principal, now: datetime) -> Plan:
    counts = KindCounts()
    result = Plan({"grids": counts})
    ids: dict[str, str] = {}  # code -> id, for every code of the sheet (first use)
    for row in sheet.rows:
        code = row.values["code"]
        if code is not None and code not in ids:
            existing = registry.find("grid", code)
            ids[code] = (
                existing["_id"] if existing else derived_id("excel.grid", registry.root, code)
            )
    new: dict[str, Document] = {}
    for row in _rows(sheet):
        values = row.values
        existing = registry.find("grid", values["code"])
        if existing is None:
            parent = values["parent"]
            parent_id = ids.get(parent) or (registry.find("grid", parent) or {}).get("_id")
            if parent is None and ALL_GRIDS not in principal.scope:
                sheet.flag(row.number, "parent", "parent_required")
                continue
            new[ids[values["code"]]] = {
                "_id": ids[values["code"]],
                "code": values["code"],
                "name": values["name"],
                "level": values["level"],
                "parent_id": parent_id,
                "duty_phone": values["duty_phone"],
                "assignments": [],
                "calendar": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            counts.created += 1
            continue
        if values["level"] != existing["level"]:
            sheet.flag(
                row.number,
                "level",
                "level_change",
                row.raw["level"],
                label=LEVEL_LABELS[GridLevel(existing["level"])],
                level=existing["level"],
            )
            continue
        if not _same_parent(registry, ids, existing, values["parent"]):
            sheet.flag(row.number, "parent", "parent_change", values["parent"])
            continue
        changes = _changes(existing, {"name": values["name"], "duty_phone": values["duty_phone"]})
        if not changes:
            counts.unchanged += 1
            continue
        version = existing["version"] + 1
        after = {**existing, **changes, "version": version}
        result.updates.append(
            (
                grids.COLLECTION,
                {"_id": existing["_id"], "version": existing["version"]},
                {
                    "$set": {**changes, "version": version, "updated_at": now},
                    **push_outbox(grid_changed(after, head_now(existing))),
                },
            )
        )
        counts.updated += 1
    by_depth: dict[int, list[Document]] = defaultdict(list)
    for doc in new.values():
        path = _path(registry, new, doc["_id"])
        if path is None:
            continue  # under a row that has an error: nothing is written anyway
        doc["path"] = path
        events = [grid_changed(doc, None), changed_event(Target("grid", doc), [], 1)]
        by_depth[path.count("/")].append({**doc, **new_outbox(*events)})
    # Parents first: an interrupted import never leaves a grid whose parent is missing.
    result.inserts = [(grids.COLLECTION, by_depth[depth]) for depth in sorted(by_depth)]
    return result


def _same_parent(
    registry: Registry, ids: dict[str, str], existing: Document, ref: str | None
) -> bool:
    parent_id = existing.get("parent_id")
    if ref is None or ref == parent_id:
        return ref == parent_id
    if ids.get(ref, (registry.find("grid", ref) or {}).get("_id")) == parent_id:
        return True
    parent = registry.grid(parent_id) if parent_id else None
    return parent is not None and parent.get("code") == ref


def _path(registry: Registry, new: dict[str, Document], grid_id: str, depth: int = 0) -> str | None:
    if grid_id in registry.grids:
        return str(registry.grids[grid_id]["path"])
    doc = new.get(grid_id)
    if doc is None or depth > 16:  # levels only go down, so a real tree is never this deep
        return None
    if doc.get("path"):
        return str(doc["path"])
    if doc["parent_id"] is None:
        return f"/{grid_id}/"
    parent = _path(registry, new, doc["parent_id"], depth + 1)
    return f"{parent}{grid_id}/" if parent else None


def _people(sheet: Sheet, registry: Registry, principal: Principal, now: datetime) -> Plan:
    persons, logins = KindCounts(), KindCounts()
    result = Plan({"people": persons, "accounts": logins})
    grantable = set().union(*(GRANTABLE.get(role, set()) for role in principal.roles))
    new_people: list[Document] = []
    new_accounts: list[Document] = []
    for row in _rows(sheet):
        values = row.values
        grid = registry.find("grid", values["grid"])
        if grid is None:
            continue
        existing = registry.find("person", values["code"])
        person_id = (
            existing["_id"]
            if existing
            else derived_id("excel.person", registry.root, values["code"])
        )
        username = values["username"]
        account = registry.accounts.get(username) if username else None
        if account is not None and account.get("person_id") != person_id:
            sheet.flag(row.number, "username", "username_taken", username)
            continue
        if existing and username and existing.get("username") not in (None, username):
            sheet.flag(
                row.number, "username", "username_change", username, current=existing["username"]
            )
            continue
        if username and account is None:
            if values["password"] is None:
                sheet.flag(row.number, "password", "password_required")
                continue
            if Role(values["role"]) not in grantable:
                sheet.flag(row.number, "role", "forbidden_role", row.raw["role"])
                continue
            login = {
                "_id": username,
                "person_id": person_id,
                "roles": [values["role"]],
                "created_at": now,
                **({"agency_id": values["agency"]} if values["agency"] else {}),
            }
            new_accounts.append(login)
            result.passwords.append((login, values["password"]))
            logins.created += 1
        elif username:
            logins.unchanged += 1
        wanted = {
            "name": values["name"],
            "grid_id": grid["_id"],
            "post": values["post"],
            "phone": values["phone"],
        }
        if username:
            wanted["username"] = username
        if existing is None:
            new_people.append(
                {
                    "_id": person_id,
                    "code": values["code"],
                    **wanted,
                    "username": username,
                    "created_at": now,
                }
            )
            persons.created += 1
        elif changes := _changes(existing, wanted):
            result.updates.append((people.PEOPLE, {"_id": person_id}, {"$set": changes}))
            persons.updated += 1
        else:
            persons.unchanged += 1
    # Logins before their people: a re-run after a crash finds the login and adds the person.
    result.inserts = [(people.ACCOUNTS, new_accounts), (people.PEOPLE, new_people)]
    return result


def _place(registry: Registry, grid: Document, point: Document) -> Place:
    upward = [registry.grid(grid_id) for grid_id in reversed(path_ids(grid["path"]))]
    return Place(point, [doc for doc in upward if doc is not None])


def _points(sheet: Sheet, registry: Registry, principal: Principal, now: datetime) -> Plan:
    counts = KindCounts()
    result = Plan({"risk_points": counts})
    new: list[Document] = []
    for row in _rows(sheet):
        values = row.values
        grid = registry.find("grid", values["grid"])
        if grid is None:
            continue
        wanted = {
            "name": values["name"],
            "category": values["category"],
            "risk_grade": values["risk_grade"],
            "check_items": values["check_items"],
        }
        existing = registry.find("point", values["code"])
        if existing is None:
            point_id = derived_id("excel.point", registry.root, values["code"])
            doc: Document = {
                "_id": point_id,
                "code": values["code"],
                "grid_id": grid["_id"],
                "grid_path": grid["path"],
                **wanted,
                "assignments": [],
                "qr_token": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            events = [
                announcement(_place(registry, grid, doc), now),
                changed_event(Target("point", doc), [], 1),
            ]
            new.append({**doc, **new_outbox(*events)})
            counts.created += 1
        elif existing["grid_id"] != grid["_id"]:
            sheet.flag(row.number, "grid", "point_move", values["grid"])
        elif changes := _changes(existing, wanted):
            version = existing["version"] + 1
            after = {**existing, **changes, "version": version}
            event = announcement(_place(registry, grid, after), now)
            result.updates.append(
                (
                    points.COLLECTION,
                    {"_id": existing["_id"], "version": existing["version"]},
                    {
                        "$set": {**changes, "version": version, "updated_at": now},
                        **push_outbox(event),
                    },
                )
            )
            counts.updated += 1
        else:
            counts.unchanged += 1
    result.inserts = [(points.COLLECTION, new)]
    return result


def _valid_from(sheet: Sheet, row: Row, now: datetime) -> datetime | None:
    day = row.values["valid_from"]
    if day is None or day == now.astimezone(LOCAL).date():
        return now
    start = datetime.combine(day, time.min, tzinfo=LOCAL).astimezone(UTC)
    if start < now - MAX_BACKDATE:
        sheet.flag(row.number, "valid_from", "in_the_past", day.isoformat())
        return None
    return start


def _assignments(sheet: Sheet, registry: Registry, principal: Principal, now: datetime) -> Plan:
    counts = KindCounts()
    result = Plan({"assignments": counts})
    work: dict[tuple[str, str], list[Assignment]] = {}
    docs: dict[tuple[str, str], Document] = {}
    for row in _rows(sheet):
        values = row.values
        kind = values["target_kind"]
        doc = registry.find(kind, values["target"])
        person = registry.find("person", values["person"])
        if doc is None or person is None:
            continue
        key = (kind, doc["_id"])
        docs[key] = doc
        current = work[key] if key in work else stored_assignments(doc)
        duty, slot = Duty(values["duty"]), SlotKind(values["slot"] or SlotKind.ALWAYS)
        open_now = [a for a in current if a.valid_to is None]
        if any(
            a.duty == duty and a.slot == slot and a.person and a.person.person_id == person["_id"]
            for a in open_now
        ):
            counts.unchanged += 1
            continue
        if duty == Duty.OVERLAY and not principal.has_role(Role.COUNTY_OPERATOR):
            sheet.flag(row.number, "duty", "overlay_forbidden", row.raw["duty"])
            continue
        if duty == Duty.MEMBER and (kind != "grid" or doc["level"] != GridLevel.OUTSIDE.value):
            sheet.flag(row.number, "duty", "one_per_grid", row.raw["duty"])
            continue
        if duty == Duty.MEMBER and sum(a.duty == Duty.MEMBER for a in open_now) >= OUTSIDE_MEMBERS:
            sheet.flag(row.number, "duty", "grid_full", row.raw["duty"])
            continue
        valid_from = _valid_from(sheet, row, now)
        if valid_from is None:
            continue
        new = Assignment(
            assignment_id=new_id(),
            duty=duty,
            slot=slot,
            valid_from=valid_from,
            person=PersonRef(person_id=person["_id"], name=person["name"]),
        )
        ends = {old.assignment_id: end for old, end in end_replaced(current, new)}
        work[key] = [
            a.model_copy(update={"valid_to": ends[a.assignment_id]})
            if a.assignment_id in ends
            else a
            for a in current
        ] + [new]
        counts.created += 1
        counts.updated += len(ends)
    result.saves = [(Target(kind, docs[(kind, i)]), work[(kind, i)]) for kind, i in work]  # type: ignore[arg-type]
    return result
