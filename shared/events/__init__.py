"""The event catalogue: every event type in Xiaoan, declared once and imported by both sides."""

from shared.events.base import (
    CATALOGUE,
    CLOUDEVENTS_CONTENT_TYPE,
    Event,
    UnknownEventType,
    decode_cloudevent,
)
from shared.events.cases import HazardAssigned, HazardOpened
from shared.events.grid import AssignmentsChanged, CalendarChanged, GridChanged, RiskPointChanged
from shared.events.intake import GeoPoint, ReportSubmitted
from shared.events.media import MediaStored
from shared.refs import ChainLink, PersonRef

__all__ = [
    "CATALOGUE",
    "CLOUDEVENTS_CONTENT_TYPE",
    "AssignmentsChanged",
    "CalendarChanged",
    "ChainLink",
    "Event",
    "GeoPoint",
    "GridChanged",
    "HazardAssigned",
    "HazardOpened",
    "MediaStored",
    "PersonRef",
    "ReportSubmitted",
    "RiskPointChanged",
    "UnknownEventType",
    "decode_cloudevent",
]
