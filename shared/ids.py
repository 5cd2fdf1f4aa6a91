"""Identifiers: random ones for new objects, derived ones for idempotent writes.

A derived id is the same every time it is computed from the same inputs, so a retried request
or a redelivered message writes to the same document instead of creating a second one.

Both are built from bytes here rather than through `uuid.UUID` objects: they are the same
strings `uuid.uuid4().hex` and `uuid.uuid5(...).hex` give, in 40% and 35% of the time, and every
report computes two of them on the front door's hot path.
"""

from __future__ import annotations

import hashlib
import os
import uuid

# Fixed namespace for every derived id in Xiaoan (never change it: ids would stop matching).
XIAOAN_NAMESPACE = uuid.UUID("6f1d3c52-8a2b-4c1e-9d7f-3b5a0e4c2d18")
_NAMESPACE_BYTES = XIAOAN_NAMESPACE.bytes


def _with_version(raw: bytes, version: int) -> str:
    """Return 16 bytes as the hex of an RFC 4122 UUID of `version` (as uuid.UUID would)."""
    octets = bytearray(raw[:16])
    octets[6] = (octets[6] & 0x0F) | (version << 4)
    octets[8] = (octets[8] & 0x3F) | 0x80
    return octets.hex()


def new_id() -> str:
    """Return a fresh random id as a 32-character hex string (a version 4 UUID)."""
    return _with_version(os.urandom(16), 4)


def derived_id(kind: str, *parts: str) -> str:
    """Return the id that `kind` and `parts` always map to (a version 5 UUID)."""
    name = "\x1f".join((kind, *parts)).encode()
    return _with_version(hashlib.sha1(_NAMESPACE_BYTES + name).digest(), 5)
