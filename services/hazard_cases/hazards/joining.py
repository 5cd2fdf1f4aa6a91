"""Joining reports to the open hazard of their point and category: their reporters are told
(ReportLinked), the hazard's loop goes on unchanged.

Any number of reports join a hazard in a few commands whatever their number (see linked.py):
the joins of a flood are counted in one update of the hazard, with no version check, so
joins never retry against each other, nor against the people acting on the hazard.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.hazards import linked, repository
from services.hazard_cases.hazards.lifecycle import OPEN_STATUSES
from services.hazard_cases.hazards.timeline import appended
from shared.clock import utc_now
from shared.events import PersonRef, ReportSubmitted

Document = dict[str, Any]


class TargetClosed(Exception):
    """The hazard closed (or was merged, rejected) while reports were joining it: they were not
    counted, and must be placed again (they open a new hazard)."""


async def join(
    db: AsyncDatabase[Document],
    hazard: Document,
    reports: Sequence[ReportSubmitted],
    *,
    merged_by: PersonRef | None = None,
    note: Document | None = None,
) -> list[str]:
    """Join reports to an open hazard; return the ids of the linked documents whose outboxes
    the relay must publish. Raises TargetClosed if the hazard is no longer open.

    A hazard merged into this one joins as a report (`merged_by` who merged it), with `note`
    added to the timeline once, in the same update that counts it.
    """
    if not reports:
        return []
    hazard_id = hazard["_id"]
    counted = await linked.new_reporters(db, hazard_id, reports)
    docs = [
        linked.document(hazard, e, new_reporter=e.report_id in counted, merged_by=merged_by)
        for e in reports
    ]
    await linked.insert_new(db, docs)
    ids = [doc["_id"] for doc in docs]
    update = linked.summary_update(docs, utc_now())
    if note is not None:
        update["$push"]["timeline"] = appended(note)
    if await repository.add_joins(db, hazard_id, ids, update):
        await linked.mark_applied(db, ids)
        return ids
    fresh = await repository.get(db, hazard_id)
    if fresh is None or fresh["status"] not in {s.value for s in OPEN_STATUSES}:
        await linked.forget(db, hazard_id, reports)
        raise TargetClosed(hazard_id)
    # Some were counted before (a redelivery after a crash cut a join off): count the rest.
    done = set(fresh.get("recent_link_ids", [])) & set(ids)
    rest = [e for e in reports if e.report_id not in done]
    if len(rest) == len(reports):
        raise RuntimeError(f"the summary of hazard {hazard_id} refused {len(ids)} joins")
    await linked.mark_applied(db, sorted(done))
    return sorted(done) + await join(db, fresh, rest, merged_by=merged_by, note=note)
