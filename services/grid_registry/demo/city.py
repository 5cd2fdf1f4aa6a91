"""A synthetic city at Wuzhou scale (梧江市), written straight into the registry's database.

For demos and benchmarks: one city bureau (L1); townships, streets and groups of city-run
schools (L2); ~1,300 schools and kindergartens, public and private (L3); zones inside each
school (L4) and grids around it (outside); ~15,000 people; ~35,000 risk points; who answers
when (zone heads, weekly duty at recess, lunch duty, holiday rosters, 一格三员 outside, bureau
leaders over a few townships) and ~5% of zones left without a head, so coverage statistics
have blind spots to find.

Documents have exactly the shapes the registry writes (see demo/seed.py), so its API answers on
them, but no outbox entries unless --with-events asks for them (100,000 events would flood the
other services). Ids count up in drawing order ("city-g-000123"): the same seed and scale give
the same ids, so a second run inserts nothing; another seed or scale gives the same ids to other
things, so --wipe before writing one into a database that holds another. No logins are created.

    python -m services.grid_registry.demo.city --mongo-url mongodb://127.0.0.1:27027/ \\
        --db xiaoan_grid_registry --seed 1 [--scale wuzhou|county|small] [--wipe] [--with-events]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.grid_registry.demo import names
from services.grid_registry.grids import repository as grids
from services.grid_registry.grids.service import changed as grid_changed
from services.grid_registry.people import repository as people
from services.grid_registry.responsibility.service import Place, path_ids
from services.grid_registry.risk_points import repository as risk_points
from services.grid_registry.risk_points.service import announcement
from services.grid_registry.targets import Target, changed_event, to_storage
from shared.clock import utc_now
from shared.events import CalendarChanged
from shared.events.base import Event
from shared.mongo import connect, ensure_indexes
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
from shared.vocabulary import GridLevel, HazardCategory

Document = dict[str, Any]
Log = Callable[[str], None]
OUTSIDE = GridLevel.OUTSIDE

SINCE = datetime(2026, 9, 1, tzinfo=UTC)  # the school year every assignment starts with
ANCHOR = date(2026, 8, 31)  # a Monday: weekly duty changes hands on Mondays
BATCH = 1_000
DUPLICATE_KEY = 11000
COLLECTIONS = (people.PEOPLE, grids.COLLECTION, risk_points.COLLECTION)
INDEXES = {
    people.PEOPLE: people.INDEXES[people.PEOPLE],
    grids.COLLECTION: grids.INDEXES,
    risk_points.COLLECTION: risk_points.INDEXES,
}

HOLIDAYS = (
    ("中秋节", "2026-09-25", "2026-09-27"), ("国庆节", "2026-10-01", "2026-10-07"),
    ("元旦", "2027-01-01", "2027-01-03"), ("寒假", "2027-01-23", "2027-02-21"),
    ("春节", "2027-02-06", "2027-02-12"), ("清明节", "2027-04-03", "2027-04-05"),
    ("劳动节", "2027-05-01", "2027-05-05"), ("端午节", "2027-06-09", "2027-06-09"),
    ("暑假", "2027-07-10", "2027-08-31"),
)  # fmt: skip
CITY_CALENDAR = DEFAULT_CALENDAR.model_copy(
    update={
        "holidays": tuple(
            Holiday(name=name, start=date.fromisoformat(start), end=date.fromisoformat(end))
            for name, start, end in HOLIDAYS
        ),
        "makeup_workdays": (date(2026, 9, 20), date(2026, 10, 10)),  # 调休: school on a weekend
    }
)


@dataclass(frozen=True)
class Scale:
    """How big a city to draw."""

    city: str
    townships: int
    direct: tuple[str, ...]  # L2 groups of the schools the city (or county) runs itself
    schools: int

    def direct_group(self, kind: str) -> int:
        """Return which direct group a school of this kind belongs to."""
        if len(self.direct) == 1:
            return 0
        return {"kindergarten": 2, "primary": 1, "village_primary": 1}.get(kind, 0)


SCALES = {
    "wuzhou": Scale("梧江市", 117, ("市直中学", "市直小学", "市直幼儿园"), 1_300),
    "county": Scale("丰溪县", 22, ("县直学校",), 300),
    "small": Scale("青禾县", 1, ("县直学校",), 5),
}


@dataclass
class City:
    """The generated documents, and which assignments each grid or point holds."""

    people: list[Document]
    grids: list[Document]
    points: list[Document]
    assignments: dict[str, list[Assignment]]
    blind_spots: list[str]
    school_kinds: Counter[str] = field(default_factory=Counter)
    private_schools: int = 0

    def summary(self) -> dict[str, int]:
        """Return the city's figures: grids per level, schools, people, points, assignments."""
        levels = Counter(doc["level"] for doc in self.grids)
        grades = Counter(doc["risk_grade"] for doc in self.points)
        held = [a for held in self.assignments.values() for a in held]
        return {
            "grids": len(self.grids),
            "grids_L1": levels[GridLevel.BUREAU],
            "grids_L2": levels[GridLevel.TOWNSHIP],
            "grids_L3": levels[GridLevel.SCHOOL],
            "grids_L4": levels[GridLevel.ZONE],
            "grids_outside": levels[GridLevel.OUTSIDE],
            "schools": levels[GridLevel.SCHOOL],
            "kindergartens": self.school_kinds["kindergarten"],
            "private_schools": self.private_schools,
            "people": len(self.people),
            "risk_points": len(self.points),
            **{f"points_{grade}": grades[grade] for grade in names.GRADES},
            "points_with_own_head": sum(1 for doc in self.points if doc["assignments"]),
            "assignments": len(held),
            "recess_rotations": sum(1 for a in held if a.slot == SlotKind.RECESS),
            "lunch_heads": sum(1 for a in held if a.slot == SlotKind.LUNCH),
            "holiday_rosters": sum(1 for a in held if a.slot == SlotKind.HOLIDAY),
            "overlays": sum(1 for a in held if a.duty == Duty.OVERLAY),
            "outside_members": sum(1 for a in held if a.duty == Duty.MEMBER),
            "blind_spots": len(self.blind_spots),
        }


class _Builder:
    """Draws the city in one fixed order from one seeded generator, so a seed gives one city."""

    def __init__(self, seed: int, scale: str, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.scale = SCALES[scale]
        self.now = now
        self.counters: Counter[str] = Counter()
        self.city = City(people=[], grids=[], points=[], assignments={}, blind_spots=[])
        self.taken: set[str] = set()
        self.serials: Counter[tuple[str, str]] = Counter()

    def new_id(self, kind: str) -> str:
        """Return the next id of this kind: city-g-000001, city-p-000001, …"""
        self.counters[kind] += 1
        return f"city-{kind}-{self.counters[kind]:06d}"

    def person(self, grid_id: str, post: str, female: float) -> PersonRef:
        """Register a person with a post at a grid."""
        person_id, name = self.new_id("p"), names.person_name(self.rng, female)
        self.city.people.append(
            {
                "_id": person_id,
                "name": name,
                "grid_id": grid_id,
                "post": post,
                "phone": None,
                "username": None,
                "created_at": self.now,
            }
        )
        return PersonRef(person_id=person_id, name=name)

    def grid(self, parent: Document | None, level: GridLevel, name: str) -> Document:
        """Add a grid under `parent` (None: the root)."""
        grid_id = self.new_id("g")
        doc: Document = {
            "_id": grid_id,
            "name": name,
            "level": level.value,
            "parent_id": parent["_id"] if parent else None,
            "path": f"{parent['path'] if parent else '/'}{grid_id}/",
            "assignments": [],
            "calendar": None,
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
        }
        self.city.grids.append(doc)
        self.city.assignments[grid_id] = []
        return doc

    def assign(
        self,
        target_id: str,
        person: PersonRef | None = None,
        *,
        rotation: Rotation | None = None,
        duty: Duty = Duty.HEAD,
        slot: SlotKind = SlotKind.ALWAYS,
    ) -> None:
        """Make a person or rotation answer for a grid or point from the school year on."""
        self.city.assignments[target_id].append(
            Assignment(
                assignment_id=self.new_id("a"),
                duty=duty,
                slot=slot,
                person=person,
                rotation=rotation,
                valid_from=SINCE,
            )
        )

    def build(self) -> City:
        """Draw the whole city: bureau, townships, schools, zones, points, blind spots."""
        scale, rng = self.scale, self.rng
        root = self.grid(None, GridLevel.BUREAU, f"{scale.city}教育局")
        root["calendar"] = CITY_CALENDAR.model_dump(mode="json")
        self.assign(root["_id"], self.person(root["_id"], "分管安全副局长", 0.4))
        leaders = [self.person(root["_id"], post, 0.4) for post in names.BUREAU_LEADERS]
        for post in names.BUREAU_STAFF:
            self.person(root["_id"], post, 0.5)
        townships = [self._township(root) for _ in range(scale.townships)]
        direct = [self._l2(root, name, "学校管理科科长") for name in scale.direct]
        l2 = townships + direct
        # 包乡包校: a few bureau leaders answer for townships next to their own work.
        for number, grid in enumerate(rng.sample(l2, max(1, round(0.08 * len(l2))))):
            self.assign(grid["_id"], leaders[number % len(leaders)], duty=Duty.OVERLAY)
        types = names.SCHOOL_TYPES
        kinds = rng.choices(list(types), [t.weight for t in types.values()], k=scale.schools)
        rotations = set(rng.sample(range(scale.schools), max(1, round(scale.schools / 2))))
        rosters = set(rng.sample(range(scale.schools), max(1, round(scale.schools * 0.3))))
        weights = [rng.uniform(0.4, 2.0) for _ in townships]
        for number, kind in enumerate(kinds):
            parent = (
                direct[scale.direct_group(kind)]
                if kind == "high" or rng.random() < 0.03
                else rng.choices(townships, weights=weights)[0]
            )
            self._school(parent, kind, number in rotations, number in rosters)
        self._blind_spots()
        for doc in self.city.grids + self.city.points:
            doc["assignments"] = to_storage(self.city.assignments[doc["_id"]])
        return self.city

    def _l2(self, root: Document, name: str, head_post: str) -> Document:
        grid = self.grid(root, GridLevel.TOWNSHIP, name)
        self.assign(grid["_id"], self.person(grid["_id"], head_post, 0.4))
        for _ in range(self.rng.randint(1, 2)):
            self.person(grid["_id"], "教育专干", 0.5)
        return grid

    def _township(self, root: Document) -> Document:
        suffix = self.rng.choices(("镇", "乡", "街道"), weights=(7, 2, 2))[0]
        name = self._unique(lambda: names.place_name(self.rng) + suffix)
        return self._l2(root, name, "教育办主任")

    def _unique(self, draw: Callable[[], str]) -> str:
        for _ in range(30):
            name = draw()
            if name not in self.taken:
                self.taken.add(name)
                return name
        name = f"{draw()}（{len(self.taken)}）"
        self.taken.add(name)
        return name

    def _school(self, parent: Document, kind: str, rotation: bool, roster: bool) -> None:
        rng, school_type = self.rng, names.SCHOOL_TYPES[kind]
        private = rng.random() < school_type.private_share
        direct = parent["name"] in self.scale.direct
        owner = self.scale.city if direct else parent["name"]
        if direct and kind == "village_primary":
            kind = "primary"  # the city runs no village schools
        self.serials[owner, school_type.suffix] += 1
        serial = self.serials[owner, school_type.suffix]
        name = self._unique(lambda: names.school_name(rng, kind, owner, private, serial))
        school = self.grid(parent, GridLevel.SCHOOL, name)
        self.city.school_kinds[kind] += 1
        self.city.private_schools += private
        zone_kinds, around = names.zone_plan(rng, kind)
        staff = names.Staff(rng, {})
        for post, female in names.staff_posts(rng, kind, zone_kinds):
            staff.add(post, self.person(school["_id"], post, female))
        self.assign(school["_id"], staff.first(names.LEADERS))
        grids: dict[str, Document] = {}
        levels = dict.fromkeys(zone_kinds, GridLevel.ZONE) | dict.fromkeys(around, OUTSIDE)
        for key, level in levels.items():
            grid = self.grid(school, level, names.zone_name(names.ZONE_KINDS[key], rng))
            grids[key] = grid
            heads = names.ZONE_HEADS.get(key, names.OUTSIDE_HEADS)
            self.assign(grid["_id"], staff.pick(heads, names.TEACHERS))
            if level == OUTSIDE:  # 一格三员: the community's grid worker and beat officer too
                for post in ("社区网格员", "社区民警"):
                    self.assign(grid["_id"], staff.first((post,)), duty=Duty.MEMBER)
        if rotation:
            cycle = staff.duty_cycle(rng.randint(2, 4))
            self.assign(
                grids["teaching"]["_id"],
                rotation=Rotation(cycle=cycle, period_days=7, anchor=ANCHOR),
                slot=SlotKind.RECESS,
            )
            self.assign(grids["canteen"]["_id"], rng.choice(cycle), slot=SlotKind.LUNCH)
        if roster:
            leaders = staff.all((*names.LEADERS, "值周教师"))
            self.assign(school["_id"], rotation=_holiday_roster(leaders), slot=SlotKind.HOLIDAY)
        self._points(grids, staff)

    def _points(self, grids: dict[str, Document], staff: names.Staff) -> None:
        # Every grid of the school gets a point or more; busy places get more of the rest.
        rng = self.rng
        places = [(names.ZONE_KINDS[key], doc) for key, doc in grids.items()]
        counts = [1] * len(places)
        weights = [names.BUSY.get(kind.key, 1) for kind, _ in places]
        extra = rng.randint(25, 30) - len(places)
        for index in rng.choices(range(len(places)), weights, k=extra):
            counts[index] += 1
        used: set[str] = set()
        for (kind, grid), count in zip(places, counts, strict=True):
            for name, category in names.point_names(rng, kind, grid["name"], count, used):
                self._point(grid, name, category, staff)

    def _point(
        self, grid: Document, name: str, category: HazardCategory, staff: names.Staff
    ) -> None:
        rng, point_id = self.rng, self.new_id("rp")
        self.city.points.append(
            {
                "_id": point_id,
                "grid_id": grid["_id"],
                "grid_path": grid["path"],
                "name": name,
                "category": category.value,
                "risk_grade": names.grade_for(category, rng).value,
                "check_items": names.check_items(category, rng),
                "assignments": [],
                "qr_token": None,
                "version": 1,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        self.city.assignments[point_id] = []
        if rng.random() < 0.1:  # some points have their own responsible person
            self.assign(
                point_id, staff.pick(names.POINT_HEADS.get(category.value, ()), names.TEACHERS)
            )

    def _blind_spots(self) -> None:
        # Only zones with nothing but their all-day head: duty rotations stay covered.
        zones = [
            doc["_id"]
            for doc in self.city.grids
            if doc["level"] == GridLevel.ZONE and len(self.city.assignments[doc["_id"]]) == 1
        ]
        all_zones = sum(1 for doc in self.city.grids if doc["level"] == GridLevel.ZONE)
        blind = self.rng.sample(zones, max(1, round(0.05 * all_zones)))
        for zone_id in blind:
            self.city.assignments[zone_id] = []
        self.city.blind_spots = sorted(blind)


def _holiday_roster(leaders: list[PersonRef]) -> Rotation:
    """Return the holiday duty roster: the leaders in turn, up to a week each."""
    entries: list[RotationEntry] = []
    holidays = sorted(CITY_CALENDAR.holidays, key=lambda h: (h.start, -(h.end - h.start).days))
    covered_to = date.min
    for holiday in holidays:
        if holiday.end <= covered_to:  # 春节 falls in the winter break's roster already
            continue
        start = holiday.start
        stretch = timedelta(days=6 if (holiday.end - holiday.start).days > 9 else 3)
        while start <= holiday.end:
            end = min(start + stretch, holiday.end)
            person = leaders[len(entries) % len(leaders)]
            entries.append(RotationEntry(start=start, end=end, person=person))
            start = end + timedelta(days=1)
        covered_to = holiday.end
    return Rotation(roster=tuple(entries))


def build_city(seed: int = 1, scale: str = "wuzhou", now: datetime | None = None) -> City:
    """Generate the city of this seed and scale in memory."""
    return _Builder(seed, scale, now or utc_now()).build()


def _grid_events(city: City, doc: Document) -> list[Event]:
    held = city.assignments[doc["_id"]]
    head = next((a.person for a in held if a.duty == Duty.HEAD and a.slot == SlotKind.ALWAYS), None)
    events: list[Event] = [grid_changed(doc, head), changed_event(Target("grid", doc), held, 1)]
    if doc["calendar"] is not None:
        events.append(
            CalendarChanged(
                grid_id=doc["_id"], grid_path=doc["path"], calendar=CITY_CALENDAR, version=1
            )
        )
    return events


def _point_events(
    city: City, doc: Document, by_id: dict[str, Document], now: datetime
) -> list[Event]:
    place = Place(doc, [by_id[grid_id] for grid_id in reversed(path_ids(doc["grid_path"]))])
    held = city.assignments[doc["_id"]]
    return [announcement(place, now), changed_event(Target("point", doc), held, 1)]


async def _insert(collection: AsyncCollection[Document], docs: list[Document], log: Log) -> int:
    new, batches = 0, (len(docs) + BATCH - 1) // BATCH
    for number, start in enumerate(range(0, len(docs), BATCH), 1):
        try:
            result = await collection.insert_many(docs[start : start + BATCH], ordered=False)
            count = len(result.inserted_ids)
        except BulkWriteError as error:
            # Documents already there (a second run) are skipped; anything else is a failure.
            errors = error.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            count = int(error.details.get("nInserted", 0))
        new += count
        log(f"{collection.name}: batch {number}/{batches} written, {count} new")
    return new


async def write_city(
    db: AsyncDatabase[Document], city: City, *, with_events: bool = False, log: Log = lambda _: None
) -> dict[str, int]:
    """Insert the city's documents not there yet; return how many were new per collection."""
    grid_docs, point_docs = city.grids, city.points
    if with_events:
        now = utc_now()
        by_id = {doc["_id"]: doc for doc in city.grids}
        grid_docs = [{**doc, **new_outbox(*_grid_events(city, doc))} for doc in city.grids]
        point_docs = [
            {**doc, **new_outbox(*_point_events(city, doc, by_id, now))} for doc in city.points
        ]
    new = {
        people.PEOPLE: await _insert(db[people.PEOPLE], city.people, log),
        grids.COLLECTION: await _insert(db[grids.COLLECTION], grid_docs, log),
        risk_points.COLLECTION: await _insert(db[risk_points.COLLECTION], point_docs, log),
    }
    await ensure_indexes(db, INDEXES)  # after the load: cheaper than indexing row by row
    return new


async def drop_collections(db: AsyncDatabase[Document], log: Log = lambda _: None) -> None:
    """Drop the collections the generator writes (people, grids, risk points) in `db`."""
    for name in COLLECTIONS:
        await db.drop_collection(name)
        log(f"dropped {db.name}.{name}")


def format_summary(summary: dict[str, int]) -> str:
    """Return the summary as a two-column table."""
    width = max(len(key) for key in summary)
    return "\n".join(f"{key:<{width}}  {value:>8,}" for key, value in summary.items())


async def run(
    mongo_url: str, db: str, *, seed: int, scale: str, wipe: bool, with_events: bool
) -> dict[str, int]:
    """Generate the city and write it into database `db`; print the summary and the timings."""

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = time.perf_counter()
    city = build_city(seed, scale)
    built = time.perf_counter()
    log(f"built {scale} city (seed {seed}) in {built - started:.1f} s")
    client = connect(mongo_url, app_name="city-generator")
    try:
        database = client[db]
        if wipe:
            await drop_collections(database, log)
        new = await write_city(database, city, with_events=with_events, log=log)
    finally:
        await client.close()
    written = time.perf_counter()
    summary = city.summary()
    print(format_summary(summary))
    print(format_summary({f"new_{name}": count for name, count in new.items()}))
    print(f"built in {built - started:.1f} s, written in {written - built:.1f} s")
    return summary


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the generator."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mongo-url", required=True)
    parser.add_argument("--db", required=True, help="the registry's database")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", choices=sorted(SCALES), default="wuzhou")
    parser.add_argument("--wipe", action="store_true", help="drop the collections it writes first")
    parser.add_argument("--with-events", action="store_true", help="fill the outboxes too")
    asyncio.run(run(**vars(parser.parse_args(argv))))


if __name__ == "__main__":
    main()
