"""The event catalogue: every event type in Xiaoan, declared once and imported by both sides."""

from shared.events.agency import AgencyDispositionRecorded, HazardReferred
from shared.events.base import (
    CATALOGUE,
    CLOUDEVENTS_CONTENT_TYPE,
    Event,
    UnknownEventType,
    decode_cloudevent,
)
from shared.events.cases import (
    AgencyAnswerNoted,
    HazardAssigned,
    HazardEscalated,
    HazardOpened,
    HazardTransitioned,
    ParkedMessageKept,
    ParkedMessageResolved,
    ReportKeyReused,
    ReportLinked,
)
from shared.events.grid import (
    AssignmentsChanged,
    CalendarChanged,
    GridChanged,
    RiskPointChanged,
    qr_token_digest,
)
from shared.events.intake import (
    CheckResult,
    DutyAction,
    DutyCheckedIn,
    DutyShift,
    GeoPoint,
    HealthCheckSession,
    HealthCheckSubmitted,
    IllStudent,
    PatrolCheckedIn,
    ReportSubmitted,
    Symptom,
)
from shared.events.media import MediaRejected, MediaStored
from shared.refs import ChainLink, PersonRef

__all__ = [
    "CATALOGUE",
    "CLOUDEVENTS_CONTENT_TYPE",
    "AgencyAnswerNoted",
    "AgencyDispositionRecorded",
    "AssignmentsChanged",
    "CalendarChanged",
    "ChainLink",
    "CheckResult",
    "DutyAction",
    "DutyCheckedIn",
    "DutyShift",
    "Event",
    "GeoPoint",
    "GridChanged",
    "HazardAssigned",
    "HazardEscalated",
    "HazardOpened",
    "HazardReferred",
    "HazardTransitioned",
    "HealthCheckSession",
    "HealthCheckSubmitted",
    "IllStudent",
    "MediaRejected",
    "MediaStored",
    "ParkedMessageKept",
    "ParkedMessageResolved",
    "PatrolCheckedIn",
    "PersonRef",
    "ReportKeyReused",
    "ReportLinked",
    "ReportSubmitted",
    "RiskPointChanged",
    "Symptom",
    "UnknownEventType",
    "decode_cloudevent",
    "qr_token_digest",
]
