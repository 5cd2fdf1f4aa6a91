"""Turning patrols, health checks and duty check-ins into events, and publishing them.

Same contract as hazard reports: the id is derived from the user and the Idempotency-Key, the
key's first answer is kept in the shared store (replayed on a retry, 422 for another body), and
the answer is sent only after RabbitMQ confirmed the event (503 otherwise: retry with the key).
What happens because of these events (missed patrols, absence alerts) is decided elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.checkins import repository, rules
from services.hazard_intake.checkins.models import (
    DutyCheckinAccepted,
    DutyCheckinCreate,
    HealthCheckAccepted,
    HealthCheckCreate,
    PatrolAccepted,
    PatrolCreate,
)
from services.hazard_intake.reports import service as reports
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import field_error
from shared.events import (
    DutyCheckedIn,
    Event,
    HealthCheckSubmitted,
    PatrolCheckedIn,
    PersonRef,
    qr_token_digest,
)
from shared.idempotency import IdempotencyStore, fingerprint
from shared.ids import derived_id
from shared.messaging import Broker
from shared.vocabulary import GridLevel

Document = dict[str, Any]


@dataclass(frozen=True)
class Intake:
    """What every check-in needs: where to publish, the keys' answers, the copy of the registry."""

    db: AsyncDatabase[Document]
    broker: Broker
    keys: IdempotencyStore
    max_age: timedelta  # how long keys are remembered: older submissions could double


def _me(principal: Principal) -> PersonRef:
    return PersonRef(person_id=principal.user_id, name=principal.name)


async def _publish_once(
    intake: Intake,
    principal: Principal,
    key: str,
    body: Any,
    path: str,
    event: Event,
    accepted: Any,
) -> tuple[int, Any]:
    """Publish `event` once per Idempotency-Key (waiting for the broker's confirm, 503 if none)
    and return the answer, `accepted`, or the first answer of a retry (Replayed)."""
    body_fingerprint = fingerprint("POST", path, body)
    event = event.model_copy(update={"body_fingerprint": body_fingerprint})

    async def write() -> tuple[int, Any]:
        await reports.publish(intake.broker, event)
        return 202, accepted

    return await intake.keys.once(
        owner=principal.user_id, key=key, request_fingerprint=body_fingerprint, write=write
    )


async def _grid_in_scope(intake: Intake, principal: Principal, grid_id: str) -> Document:
    grid = await repository.grid(intake.db, grid_id)
    if grid is None or not principal.covers(grid["path"]):
        raise field_error("grid_id", "not_found", "网格不存在", "Grid not found")
    return grid


async def point_for_token(intake: Intake, principal: Principal, scanned: str) -> Document:
    """Return the point whose current QR token this is, inside the caller's scope (else 422)."""
    digest = qr_token_digest(rules.token_from_scan(scanned))
    point_id = await repository.point_of_token(intake.db, digest)
    point = await repository.point(intake.db, point_id) if point_id else None
    if (
        point is None
        or point.get("qr_token_sha256") != digest  # replaced or revoked since
        or not principal.covers(point["grid_path"])
    ):
        raise field_error(
            "qr_token",
            "invalid_qr_code",
            "二维码无效或已作废，请扫描风险点现场张贴的二维码",
            "Unknown or revoked QR code; scan the code posted at the risk point",
        )
    return point


async def check_in_patrol(
    intake: Intake, principal: Principal, key: str, patrol: PatrolCreate, path: str
) -> tuple[int, Any]:
    """Check a patrol against the point's current token and check list; publish it."""
    point = await point_for_token(intake, principal, patrol.qr_token)
    now = utc_now()
    rules.check_results(patrol.results, point.get("check_items", []))
    rules.check_moment("checked_at", patrol.checked_at, now, intake.max_age)
    patrol_id = derived_id("patrol", principal.user_id, key)
    event = PatrolCheckedIn(
        event_id=derived_id("PatrolCheckedIn", patrol_id),
        patrol_id=patrol_id,
        point_id=point["_id"],
        point_name=point["name"],
        grid_id=point["grid_id"],
        grid_path=point["grid_path"],
        patroller=_me(principal),
        results=tuple(patrol.results),
        any_problem=any(not result.ok for result in patrol.results),
        location=patrol.location,
        photo_ids=tuple(patrol.photo_ids),
        checked_at=patrol.checked_at,
        received_at=now,
    )
    accepted = PatrolAccepted(patrol_id=patrol_id, any_problem=event.any_problem)
    return await _publish_once(intake, principal, key, patrol, path, event, accepted)


async def submit_health_check(
    intake: Intake, principal: Principal, key: str, check: HealthCheckCreate, path: str
) -> tuple[int, Any]:
    """Check a health check against its class and the calendar; publish it."""
    grid = await _grid_in_scope(intake, principal, check.grid_id)
    class_name = rules.class_name_for(GridLevel(grid["level"]), grid["name"], check.class_name)
    now = utc_now()
    rules.check_day("check_date", check.check_date, now, intake.max_age)
    if check.checked_at is not None:
        rules.check_moment("checked_at", check.checked_at, now, intake.max_age)
    health_check_id = derived_id("health-check", principal.user_id, key)
    event = HealthCheckSubmitted(
        event_id=derived_id("HealthCheckSubmitted", health_check_id),
        health_check_id=health_check_id,
        grid_id=grid["_id"],
        grid_path=grid["path"],
        class_name=class_name,
        session=check.session,
        check_date=check.check_date,
        enrolled=check.enrolled,
        present=check.present,
        absent=check.absent,
        absent_ill=check.absent_ill,
        ill_students=tuple(student.to_event() for student in check.ill_students),
        checked_by=_me(principal),
        checked_at=check.checked_at,
        received_at=now,
    )
    accepted = HealthCheckAccepted(health_check_id=health_check_id)
    return await _publish_once(intake, principal, key, check, path, event, accepted)


async def check_in_duty(
    intake: Intake, principal: Principal, key: str, duty: DutyCheckinCreate, path: str
) -> tuple[int, Any]:
    """Check a duty check-in or check-out against its grid; publish it."""
    grid = await _grid_in_scope(intake, principal, duty.grid_id)
    rules.check_duty_level(GridLevel(grid["level"]))
    now = utc_now()
    checked_at: datetime = duty.checked_at or now
    if duty.checked_at is not None:
        rules.check_moment("checked_at", duty.checked_at, now, intake.max_age)
    duty_checkin_id = derived_id("duty-checkin", principal.user_id, key)
    event = DutyCheckedIn(
        event_id=derived_id("DutyCheckedIn", duty_checkin_id),
        duty_checkin_id=duty_checkin_id,
        grid_id=grid["_id"],
        grid_path=grid["path"],
        grid_name=grid["name"],
        person=_me(principal),
        action=duty.action,
        shift=duty.shift,
        note=duty.note,
        location=duty.location,
        checked_at=checked_at,
        received_at=now,
    )
    accepted = DutyCheckinAccepted(duty_checkin_id=duty_checkin_id)
    return await _publish_once(intake, principal, key, duty, path, event, accepted)
