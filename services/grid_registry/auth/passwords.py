"""Password hashing with scrypt (standard library; memory-hard, so offline guessing is slow)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_N, _R, _P = 2**14, 8, 1
_SCHEME = "scrypt"


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of `password`, with its parameters."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return "$".join(
        (
            _SCHEME,
            str(_N),
            str(_R),
            str(_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def verify_password(password: str, stored: str) -> bool:
    """Tell whether `password` matches the stored hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


# Verified against when the username does not exist, so both cases take the same time.
DUMMY_HASH = hash_password("no such user")
