"""Tokens from the registry, verified anywhere; grid scope decides what a user reaches."""

from __future__ import annotations

import re
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import InvalidToken, Principal, TokenIssuer, TokenVerifier, scope_filter
from shared.vocabulary import Role


def key_pair() -> tuple[bytes, bytes]:
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


HEAD = Principal(
    user_id="p-head",
    username="demo-head",
    name="张伟",
    roles=frozenset({Role.SCHOOL_HEAD}),
    scope=("/county/town/school/",),
)


def test_token_round_trip_carries_roles_and_scope() -> None:
    private, public = key_pair()
    token = TokenIssuer(private, issuer="reg", audience="xiaoan").issue(HEAD, timedelta(hours=1))
    assert TokenVerifier(public, issuer="reg", audience="xiaoan").verify(token) == HEAD


@pytest.mark.parametrize(
    ("issuer", "audience", "ttl"),
    [
        ("someone-else", "xiaoan", timedelta(hours=1)),
        ("reg", "other-app", timedelta(hours=1)),
        ("reg", "xiaoan", timedelta(minutes=-5)),
    ],
)
def test_wrong_issuer_audience_or_expired_tokens_are_refused(
    issuer: str, audience: str, ttl: timedelta
) -> None:
    private, public = key_pair()
    token = TokenIssuer(private, issuer=issuer, audience=audience).issue(HEAD, ttl)
    with pytest.raises(InvalidToken):
        TokenVerifier(public, issuer="reg", audience="xiaoan").verify(token)


def test_tokens_signed_with_another_key_or_algorithm_are_refused() -> None:
    private, _ = key_pair()
    _, other_public = key_pair()
    token = TokenIssuer(private, issuer="reg", audience="xiaoan").issue(HEAD, timedelta(hours=1))
    verifier = TokenVerifier(other_public, issuer="reg", audience="xiaoan")
    with pytest.raises(InvalidToken):
        verifier.verify(token)
    forged = jwt.encode(
        {"sub": "x", "iss": "reg", "aud": "xiaoan"},
        "a-guessed-shared-secret-of-32-bytes!",
        algorithm="HS256",
    )
    with pytest.raises(InvalidToken):
        verifier.verify(forged)


def test_scope_covers_the_subtree_and_nothing_beside_it() -> None:
    assert HEAD.covers("/county/town/school/")
    assert HEAD.covers("/county/town/school/zone/")
    assert not HEAD.covers("/county/town/")
    assert not HEAD.covers("/county/town/school2/")
    assert not HEAD.covers(None)


def test_scope_filter_matches_the_same_subtree() -> None:
    pattern = scope_filter(HEAD)["grid_path"]["$regex"]
    assert re.match(pattern, "/county/town/school/zone/")
    assert not re.match(pattern, "/county/town/school2/")
    nobody = HEAD.model_copy(update={"scope": ()})
    assert scope_filter(nobody) == {"grid_path": {"$in": []}}


def test_a_token_is_remembered_only_until_it_expires() -> None:
    private, public = key_pair()
    verifier = TokenVerifier(public, issuer="reg", audience="xiaoan")
    token = TokenIssuer(private, issuer="reg", audience="xiaoan").issue(HEAD, timedelta(minutes=5))
    assert verifier.verify(token) == HEAD
    remembered_until, _ = verifier._verified[token]
    assert remembered_until == jwt.decode(token, options={"verify_signature": False})["exp"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidToken):
        verifier.verify(forged)  # a different string is verified, never taken from memory
