"""Timeline entries: who did what, when, and who answered for the hazard at that moment.

Entries are only ever appended ($push); no route changes or removes one, administrators
included. A hazard's document keeps its latest `MAX_ENTRIES` (every step is a person's action,
an agency's answer or a climb of its escalation chain, so a hazard reaches that only in a loop
gone wrong; reports that join it are not steps: linked.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.events import PersonRef
from shared.vocabulary import HazardStatus

MAX_ENTRIES = 1_000


def appended(*entries: dict[str, Any]) -> dict[str, Any]:
    """Return the `$push` value that appends `entries` to a timeline, keeping it bounded."""
    return {"$each": list(entries), "$slice": -MAX_ENTRIES}


def entry(
    action: str,
    note_zh: str,
    note_en: str,
    *,
    actor: PersonRef | None,
    responsible: PersonRef | None,
    at: datetime,
    status: HazardStatus | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return one timeline entry as stored."""
    return {
        "at": at,
        "action": action,
        "actor": actor.model_dump() if actor else None,
        "responsible": responsible.model_dump() if responsible else None,
        "status": status.value if status else None,
        "note_zh": note_zh,
        "note_en": note_en,
        "details": details or {},
    }
