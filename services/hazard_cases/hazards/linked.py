"""Reports joined to an open hazard, each a document of its own (collection `linked_reports`,
`_id` = the report's id), and the bounded summary the hazard keeps of them.

A flood of reports about one hazard (a whole school reporting the same smoke) must not make
the hazard's document grow with every join, nor rewrite it once per join: the reports live
here, and the hazard holds only how many joined, how many people reported it, the first and
the latest few (`SHOWN` each), the first `MAX_REPORTER_IDS` reporters (who may see the hazard
they joined) and the ids of the latest `RECENT_IDS` joins (to finish a join a crash cut off).
Who reported is counted once per person through `hazard_reporters` (`_id` =
"<hazard>|<person>"), whose first report owns the count.

A join is written in three steps, each safe to repeat: the linked documents (with their
ReportLinked in their own outbox, `applied: false`), one update of the hazard's summary for
all of them, and `applied: true` on them. A redelivery after a crash finds its document and,
unless it is applied, whether the hazard's recent ids hold it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import lifecycle
from shared import mongo
from shared.events import PersonRef, ReportLinked, ReportSubmitted
from shared.ids import derived_id
from shared.outbox import new_outbox
from shared.vocabulary import HazardStatus

COLLECTION = "linked_reports"
REPORTERS = "hazard_reporters"
INDEXES = [IndexModel([("hazard_id", ASCENDING), ("received_at", ASCENDING)], name="hazard")]
SHOWN = 5  # the first and the latest joined reports the hazard shows
MAX_REPORTER_IDS = 2_000  # reporters of joined reports who see the hazard in their list
RECENT_IDS = 500  # the latest joined report ids the hazard remembers

Document = dict[str, Any]


def shown(doc: Document) -> Document:
    """Return what the hazard shows of one joined report (and what its API lists)."""
    kept = ("report_id", "reporter", "description", "photo_ids", "received_at", "merged_by")
    return {key: doc[key] for key in kept if key in doc}


def document(
    hazard: Document,
    event: ReportSubmitted,
    *,
    new_reporter: bool,
    merged_by: PersonRef | None = None,
) -> Document:
    """Return the linked document of a report joining `hazard` (or of a hazard merged into
    it, `merged_by` who merged it), with its ReportLinked."""
    linked = ReportLinked(
        event_id=derived_id("ReportLinked", event.report_id),
        report_id=event.report_id,
        hazard_id=hazard["_id"],
        grid_path=hazard["grid_path"],
        grid_id=hazard.get("grid_id"),
        point_id=hazard.get("point_id"),
        reporter=event.reporter,
        description=event.description,
        photo_ids=event.photo_ids,
        hazard_status=HazardStatus(hazard["status"]),
        verifier=_awaiting_verifier(hazard),
        version=hazard["version"],
    )
    return {
        "_id": event.report_id,
        "report_id": event.report_id,
        "hazard_id": hazard["_id"],
        "reporter": event.reporter.model_dump(),
        "description": event.description,
        "photo_ids": list(event.photo_ids),
        "received_at": event.received_at,
        "fingerprint": event.body_fingerprint,
        "new_reporter": new_reporter,
        "applied": False,
        **({"merged_by": merged_by.model_dump()} if merged_by else {}),
        **new_outbox(linked),
    }


async def insert_new(db: AsyncDatabase[Document], docs: Sequence[Document]) -> set[str]:
    """Store linked documents in one command; return the ids stored now (not those stored
    before, by an earlier delivery)."""
    return await mongo.insert_missing(db[COLLECTION], docs)


async def get_many(db: AsyncDatabase[Document], ids: Iterable[str]) -> dict[str, Document]:
    """Return the linked documents of these report ids that exist, by id."""
    wanted = list(ids)
    if not wanted:
        return {}
    cursor = db[COLLECTION].find({"_id": {"$in": wanted}}, {"outbox": 0})
    return {doc["_id"]: doc async for doc in cursor}


async def mark_applied(db: AsyncDatabase[Document], ids: Sequence[str]) -> None:
    """Note that these joins are counted in their hazard's summary."""
    if ids:
        await db[COLLECTION].update_many({"_id": {"$in": list(ids)}}, {"$set": {"applied": True}})


async def forget(
    db: AsyncDatabase[Document], hazard_id: str, reports: Sequence[ReportSubmitted]
) -> None:
    """Remove joins never counted (their hazard closed meanwhile: they will open a new one),
    and the reporter counts their reports owned."""
    ids = [event.report_id for event in reports]
    if ids:
        await db[COLLECTION].delete_many({"_id": {"$in": ids}, "applied": False})
        markers = [f"{hazard_id}|{event.reporter.person_id}" for event in reports]
        await db[REPORTERS].delete_many({"_id": {"$in": markers}, "first_report": {"$in": ids}})


async def new_reporters(
    db: AsyncDatabase[Document], hazard_id: str, reports: Sequence[ReportSubmitted]
) -> set[str]:
    """Return the reports whose reporter had not reported this hazard before (each person's
    first report counts them; a retry of that first report still does)."""
    firsts: dict[str, str] = {}
    for event in reports:
        firsts.setdefault(event.reporter.person_id, event.report_id)
    docs = [
        {"_id": f"{hazard_id}|{person}", "first_report": report_id}
        for person, report_id in firsts.items()
    ]
    stored = await mongo.insert_missing(db[REPORTERS], docs)
    counted = {doc["first_report"] for doc in docs if doc["_id"] in stored}
    others = [doc["_id"] for doc in docs if doc["_id"] not in stored]
    if others:  # stored before: by one of these reports (a retry), or by an earlier one
        cursor = db[REPORTERS].find({"_id": {"$in": others}})
        mine = set(firsts.values())
        counted |= {doc["first_report"] async for doc in cursor if doc["first_report"] in mine}
    return counted


def summary_update(docs: Sequence[Document], at: datetime) -> Document:
    """Return the update adding joined reports to their hazard's bounded summary."""
    entries = [shown(doc) for doc in docs]
    reporters = [doc["reporter"]["person_id"] for doc in docs if doc.get("new_reporter")]
    return {
        "$inc": {"linked_count": len(docs), "linked_reporters_count": len(reporters)},
        "$max": {"updated_at": at},
        "$push": {
            "linked_first": {"$each": entries, "$slice": SHOWN},
            "linked_latest": {"$each": entries, "$slice": -SHOWN},
            "linked_reporter_ids": {"$each": reporters, "$slice": MAX_REPORTER_IDS},
            "recent_link_ids": {"$each": [doc["_id"] for doc in docs], "$slice": -RECENT_IDS},
        },
    }


async def page(
    db: AsyncDatabase[Document], hazard_id: str, *, skip: int, limit: int
) -> list[Document]:
    """Return the reports joined to a hazard, oldest first."""
    cursor = (
        db[COLLECTION]
        .find({"hazard_id": hazard_id, "applied": True}, {"outbox": 0})
        .sort("received_at", ASCENDING)
        .skip(skip)
        .limit(limit)
    )
    return [doc async for doc in cursor]


def _awaiting_verifier(hazard: Document) -> PersonRef | None:
    """Return who is to verify the hazard, if it awaits verification: a report saying the
    problem is still there is theirs to hear before they close it."""
    if hazard["status"] != HazardStatus.RECTIFIED.value:
        return None
    person = lifecycle.verifier(hazard)
    return PersonRef.model_validate(person) if person else None
