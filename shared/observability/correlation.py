"""The correlation id of the work in progress: from the HTTP request or the message being handled.

It is read from `X-Correlation-ID` (or made up), put on every log line, copied into every event
published while handling the request, and restored by the consumer of that event.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from shared.ids import new_id

HTTP_HEADER = "X-Correlation-ID"

_current: ContextVar[str | None] = ContextVar("xiaoan_correlation_id", default=None)


def current_correlation_id() -> str | None:
    """Return the correlation id of the work in progress, if any."""
    return _current.get()


def bind_correlation_id(value: str | None) -> Token[str | None]:
    """Make `value` (or a fresh id) the current correlation id; returns a reset token."""
    return _current.set(value or new_id())


def reset_correlation_id(token: Token[str | None]) -> None:
    """Restore the correlation id that was current before `bind_correlation_id`."""
    _current.reset(token)
