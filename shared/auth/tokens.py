"""Signed access tokens: the registry issues them, every service verifies them.

EdDSA (Ed25519): only the registry holds the private key; the others get the public key, so a
compromised service cannot mint tokens.
"""

from __future__ import annotations

import time
from collections import OrderedDict
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
    """Check a token's signature, issuer, audience and expiry, and read the principal.

    A phone or a page sends the same token with every request: a verified token is remembered
    (until it expires) so its signature is checked once, not on every request.
    """

    def __init__(
        self, public_key_pem: bytes, *, issuer: str, audience: str, remember: int = 10_000
    ) -> None:
        self._key = public_key_pem
        self.issuer = issuer
        self.audience = audience
        self._remember = remember
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token, or raise InvalidToken."""
        known = self._verified.get(token)
        if known is not None and known[0] > time.time():
            return known[1]
        principal, expires = self._verify(token)
        self._verified[token] = (expires, principal)
        if len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
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
            principal = Principal(
                user_id=claims["sub"],
                username=claims.get("preferred_username", claims["sub"]),
                name=claims.get("name", ""),
                roles=frozenset(Role(r) for r in claims.get("roles", []) if r in _ROLE_VALUES),
                scope=tuple(claims.get("scope_paths", [])),
                agency_id=claims.get("agency_id"),
            )
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise InvalidToken(str(exc)) from exc
        return principal, float(claims["exp"])
