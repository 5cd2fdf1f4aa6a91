"""Events of media storage: photos that passed the checks."""

from __future__ import annotations

from shared.events.base import Event


class MediaStored(Event, routing_key="media_storage.media.stored"):
    """An uploaded object was checked and may now be served."""

    media_id: str
    owner_id: str
    content_type: str
    size_bytes: int
    object_key: str
