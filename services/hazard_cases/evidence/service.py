"""Checking a rectification's photos before it is accepted.

A photo counts as evidence only if media storage stored it as a rectification photo of the
person rectifying. Media storage announces its verdict through its outbox right after the
confirm the phone waits for, so a rectification sent at once may arrive a moment before the
verdict: for ids shaped like media storage's, the check waits a little for it. Ids of any
other shape ("after-1") cannot exist and are refused without waiting.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_cases.evidence import repository
from shared.errors import field_error

Document = dict[str, Any]
# Media storage's ids are new_id()'s: 32 lowercase hex digits.
MEDIA_ID = re.compile(r"^[0-9a-f]{32}$")
# Pauses while a verdict may still be on its way (about 3 s in all).
WAITS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.1)


async def require_own_photos(
    db: AsyncDatabase[Document], owner_id: str, photo_ids: list[str]
) -> None:
    """Raise a 422 on `photo_ids` unless every photo is a stored rectification photo of
    `owner_id`."""
    wanted = list(dict.fromkeys(photo_ids))
    if any(not MEDIA_ID.match(media_id) for media_id in wanted):
        raise _not_found()
    known = await repository.find(db, wanted)
    for pause in WAITS:
        if len(known) == len(wanted):
            break
        await asyncio.sleep(pause)
        known = await repository.find(db, wanted)
    if len(known) < len(wanted) or any(doc["owner_id"] != owner_id for doc in known.values()):
        raise _not_found()
    if any(doc.get("rejected_for") for doc in known.values()):
        raise field_error(
            "photo_ids",
            "photo_rejected",
            "照片未通过检查（不是图片或无法读取），请重新拍摄",
            "A photo failed the checks (not an image, or unreadable); take it again",
        )


def _not_found() -> Exception:
    # Someone else's photo answers as one that does not exist: whose it is is not told.
    return field_error(
        "photo_ids",
        "photo_not_found",
        "整改照片不存在或未上传完成（需用“整改”用途上传并确认）",
        "Rectification photo not found or not fully uploaded (upload it as a rectification "
        "photo and confirm it)",
    )
