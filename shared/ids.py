"""Identifiers: random ones for new objects, derived ones for idempotent writes.

A derived id is the same every time it is computed from the same inputs, so a retried request
or a redelivered message writes to the same document instead of creating a second one.
"""

from __future__ import annotations

import uuid

# Fixed namespace for every derived id in Xiaoan (never change it: ids would stop matching).
XIAOAN_NAMESPACE = uuid.UUID("6f1d3c52-8a2b-4c1e-9d7f-3b5a0e4c2d18")


def new_id() -> str:
    """Return a fresh random id as a 32-character hex string."""
    return uuid.uuid4().hex


def derived_id(kind: str, *parts: str) -> str:
    """Return the id that `kind` and `parts` always map to."""
    return uuid.uuid5(XIAOAN_NAMESPACE, "\x1f".join((kind, *parts))).hex
