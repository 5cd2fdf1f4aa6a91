"""Signed access tokens: the registry issues them, every service verifies them.

EdDSA (Ed25519): only the registry holds the private key; the others get the public key, so a
compromised service cannot mint tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt

from shared.auth.principal import Principal
from shared.clock import utc_now
from shared.ids import new_id
from shared.vocabulary import Role

ALGORITHM = "EdDSA"
_ROLE_VALUES = {role.value for role in Role}


class InvalidToken(Exception):
    """The token is missing, malformed, expired or not signed by the registry."""


class TokenIssuer:
    """Sign tokens for authenticated users (used by the grid registry only)."""

    def __init__(self, private_key_pem: bytes, *, issuer: str, audience: str) -> None:
        self._key = private_key_pem
        self.issuer = issuer
        self.audience = audience

    def issue(self, principal: Principal, ttl: timedelta) -> str:
        """Return a signed token for `principal`, valid for `ttl`."""
        now = utc_now()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": principal.user_id,
            "jti": new_id(),
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "preferred_username": principal.username,
            "name": principal.name,
            "roles": sorted(principal.roles),
            "scope_paths": list(principal.scope),
        }
        if principal.agency_id:
            claims["agency_id"] = principal.agency_id
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


class TokenVerifier:
    """Check a token's signature, issuer, audience and expiry, and read the principal."""

    def __init__(self, public_key_pem: bytes, *, issuer: str, audience: str) -> None:
        self._key = public_key_pem
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token, or raise InvalidToken."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=30,
            )
            return Principal(
                user_id=claims["sub"],
                username=claims.get("preferred_username", claims["sub"]),
                name=claims.get("name", ""),
                roles=frozenset(Role(r) for r in claims.get("roles", []) if r in _ROLE_VALUES),
                scope=tuple(claims.get("scope_paths", [])),
                agency_id=claims.get("agency_id"),
            )
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise InvalidToken(str(exc)) from exc
