"""Placing arriving reports, a batch at a time: each opens a hazard, or joins the one open for
its point and category, or (delivered before) changes nothing.

A batch costs a few commands whatever its size: the reports' ids are looked up together, the
claims of their places read and taken together, the new hazards inserted together, and each
hazard's joins counted in one update (joining.py). A hazard's id is its first report's id, and
a joined report's document carries the report's id, so a report delivered twice opens or joins
once. When anything in a batch cannot be settled together (another replica claimed a place at
the same moment, a claimed hazard is not written yet), the batch fails and the broker settles
its reports one by one (shared/messaging subscribe_batches), which is this same code with a
batch of one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.deadlines.repository import PolicyBook
from services.hazard_cases.hazards import (
    claims,
    joining,
    key_reuse,
    linked,
    opening,
    repository,
    timer_hints,
)
from services.hazard_cases.hazards.lifecycle import OPEN_STATUSES
from services.hazard_cases.places.cache import PlaceCopy
from shared.events import ReportSubmitted

Document = dict[str, Any]
OPEN = frozenset(status.value for status in OPEN_STATUSES)


class TargetNotStoredYet(Exception):
    """The open hazard a report should join is claimed but not written yet: retry shortly."""


class ClaimTakenMeanwhile(Exception):
    """Another replica claimed a place in the same moment: settle these reports one by one."""


@dataclass
class Written:
    """What a batch wrote whose outboxes the relay must publish."""

    hazards: set[str] = field(default_factory=set)
    linked: set[str] = field(default_factory=set)


@dataclass
class _Plan:
    """Where each new report of a batch goes."""

    openers: list[ReportSubmitted] = field(default_factory=list)
    joins: dict[str, list[ReportSubmitted]] = field(default_factory=lambda: defaultdict(list))
    targets: dict[str, Document] = field(default_factory=dict)
    new_claims: list[Document] = field(default_factory=list)
    moved_claims: list[tuple[str, str, ReportSubmitted]] = field(default_factory=list)


async def handle_reports(
    db: AsyncDatabase[Document],
    policies: PolicyBook,
    copy: PlaceCopy,
    events: Sequence[ReportSubmitted],
    default_window: timedelta,
    announce: Callable[[set[str]], None] | None = None,
) -> Written:
    """Open or join a hazard for each report; return what was written. `announce` hears the
    hazards written so far before the batch's joins are written: a flood's joins in the same
    batch then never hold up the openings of other places."""
    written = Written()
    unique = list({event.report_id: event for event in reversed(events)}.values())[::-1]
    ids = [event.report_id for event in unique]
    opened_before = await repository.get_many(db, ids)
    joined_before = await linked.get_many(db, ids)
    fresh: list[ReportSubmitted] = []
    unfinished: dict[str, list[ReportSubmitted]] = defaultdict(list)
    for event in unique:
        if event.report_id in opened_before:
            refused = await key_reuse.refuse_if_reused(db, opened_before[event.report_id], event)
            written.hazards |= {refused} if refused else set()
        elif event.report_id in joined_before:
            doc = joined_before[event.report_id]
            if doc.get("applied"):
                refused = await key_reuse.refuse_if_joined_reused(db, doc, event)
                written.hazards |= {refused} if refused else set()
            else:  # a join a crash cut off
                unfinished[doc["hazard_id"]].append(event)
        else:
            fresh.append(event)
    for hazard_id, reports in unfinished.items():
        hazard = await repository.get(db, hazard_id)
        if hazard is not None and hazard["status"] in OPEN:
            try:
                written.linked |= set(await joining.join(db, hazard, reports))
                continue
            except joining.TargetClosed:
                pass
        else:
            await linked.forget(db, hazard_id, reports)
        fresh.extend(reports)  # their hazard is gone or closed: placed afresh
    plan = await _plan(db, policies, fresh, default_window)
    await _claim(db, plan)
    await copy.preload(
        [e.point_id for e in plan.openers if e.point_id], [e.grid_path for e in plan.openers]
    )
    for event in plan.openers:
        doc = await opening.new_hazard(db, policies, copy, event)
        plan.targets[event.report_id] = doc
    opened = await repository.insert_many_new(db, [plan.targets[e.report_id] for e in plan.openers])
    written.hazards |= opened
    # Those delivered before too: a crash may have come between their insert and their hint.
    new_docs = [plan.targets[e.report_id] for e in plan.openers]
    timed = [doc for doc in [*new_docs, *opened_before.values()] if doc.get("next_check_at")]
    await timer_hints.note(db, [timer_hints.timer_of(doc) for doc in timed])
    for event in plan.openers:
        if event.report_id in opened and plan.targets[event.report_id]["assignee"] is None:
            # The registry's copy may have arrived between the read and the insert; its handler
            # then looked for waiting hazards before this one existed. Look again.
            await opening.assign_waiting(db, policies, copy, hazard_id=event.report_id)
    if announce is not None:
        announce(set(written.hazards))
    for hazard_id, reports in plan.joins.items():
        written.linked |= set(await joining.join(db, plan.targets[hazard_id], reports))
    return written


async def _plan(
    db: AsyncDatabase[Document],
    policies: PolicyBook,
    fresh: list[ReportSubmitted],
    default_window: timedelta,
) -> _Plan:
    """Decide, for reports never placed, which open and which join (and whom)."""
    plan = _Plan()
    by_place: dict[str, list[ReportSubmitted]] = defaultdict(list)
    windows: dict[str, timedelta] = {}
    for event in fresh:
        policy, _ = await policies.for_path(event.grid_path)
        window = default_window
        if policy.duplicate_window_hours is not None:
            window = timedelta(hours=policy.duplicate_window_hours)
        if event.point_id is None or not window:
            plan.openers.append(event)
            continue
        key = claims.key(event.point_id, event.category)
        by_place[key].append(event)
        windows.setdefault(key, window)
    held = await claims.get_many(db, list(by_place))
    holders = await repository.get_many(db, [claim["hazard_id"] for claim in held.values()])
    for key, reports in by_place.items():
        claim = held.get(key)
        holder = claim["hazard_id"] if claim else None
        target = holders.get(holder) if holder else None
        first = reports[0]
        if holder is not None and target is None:
            ours = next((event for event in reports if event.report_id == holder), None)
            if ours is None:
                raise TargetNotStoredYet(holder)
            first = ours  # claimed by an attempt that stopped before its hazard was written
        elif target is not None and _joinable(target, first, windows[key]):
            plan.targets[target["_id"]] = target
            plan.joins[target["_id"]].extend(reports)
            continue
        elif holder is not None:
            plan.moved_claims.append((key, holder, first))
        else:
            plan.new_claims.append(claims.document(key, first.report_id, first.received_at))
        plan.openers.append(first)
        plan.joins[first.report_id].extend(e for e in reports if e is not first)
    return plan


def _joinable(target: Document, event: ReportSubmitted, window: timedelta) -> bool:
    """Tell whether a report may join a hazard: open, and reported within the window."""
    return target["status"] in OPEN and target["reported_at"] >= event.received_at - window


async def _claim(db: AsyncDatabase[Document], plan: _Plan) -> None:
    """Take the places the batch's openers open hazards for (all, or raise)."""
    taken = await claims.take_many(db, plan.new_claims)
    if len(taken) < len(plan.new_claims):
        raise ClaimTakenMeanwhile(sorted({c["_id"] for c in plan.new_claims} - taken))
    for key, holder, event in plan.moved_claims:
        if not await claims.replace(db, key, holder, event.report_id, event.received_at):
            raise ClaimTakenMeanwhile([key])
