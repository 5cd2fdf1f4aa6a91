"""Registering Open311 clients, checking their api_keys, and who they are as reporters.

An api_key is `<client_id>.<random secret>`; only its SHA-256 is stored (the secret is 256
random bits, so a fast hash is enough), and it is shown once, in the registration's answer.
A client reports as `PersonRef(person_id="open311:<client_id>", name=<client name>)` with its
jurisdiction's subtree as scope: hazard_cases shows the client's name as the reporter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.hazard_intake.open311 import repository
from services.hazard_intake.open311.errors import Open311Error
from services.hazard_intake.open311.models import ClientCreate, ClientCreated, ClientRead
from services.hazard_intake.places.cache import PlaceCache
from shared.auth import Principal, scope_filter
from shared.clock import utc_now
from shared.errors import ApiError, field_error, not_found
from shared.idempotency import fingerprint
from shared.ids import derived_id

Document = dict[str, Any]
REPORTER_PREFIX = "open311:"


def _hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def to_read(doc: Document) -> ClientRead:
    """Shape a client document for operators (never the key or its hash)."""
    return ClientRead(
        client_id=doc["_id"],
        name=doc["name"],
        jurisdiction_id=doc["jurisdiction_id"],
        jurisdiction_name=doc["jurisdiction_name"],
        created_by=doc["created_by"],
        created_at=doc["created_at"],
        revoked_at=doc.get("revoked_at"),
    )


async def register(
    *,
    db: AsyncDatabase[Document],
    places: PlaceCache,
    principal: Principal,
    client_in: ClientCreate,
    idempotency_key: str,
    path: str,
) -> tuple[bool, ClientCreated]:
    """Register a client filing into a grid of the caller's subtree; tell whether it is new.

    A retry with the same Idempotency-Key finds the client and answers it without the key
    (only its hash was kept); the same key with another body is refused (422).
    """
    grid = await places.grid(client_in.jurisdiction_id)
    if grid is None or not principal.covers(grid.grid_path):
        raise field_error("jurisdiction_id", "not_found", "网格不存在", "Grid not found")
    client_id = derived_id("open311-client", principal.user_id, idempotency_key)
    api_key = f"{client_id}.{secrets.token_urlsafe(32)}"
    doc: Document = {
        "_id": client_id,
        "name": client_in.name,
        "jurisdiction_id": client_in.jurisdiction_id,
        "jurisdiction_name": grid.name,
        "grid_path": grid.grid_path,
        "key_hash": _hash(api_key),
        "fingerprint": fingerprint("POST", path, client_in),
        "created_by": {"person_id": principal.user_id, "name": principal.name},
        "created_at": utc_now(),
        "revoked_at": None,
    }
    if await repository.insert_client(db, doc):
        created = ClientCreated(
            **to_read(doc).model_dump(),
            api_key=api_key,
            message_zh="请妥善保存 api_key：它只显示这一次",
            message_en="Keep the api_key safe: it is shown only this once",
        )
        return True, created
    first = await repository.get_client(db, client_id)
    if first is None or first["fingerprint"] != doc["fingerprint"]:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于内容不同的登记",
            "This Idempotency-Key was already used for a different registration",
        )
    replayed = ClientCreated(
        **to_read(first).model_dump(),
        message_zh="该客户端已登记；api_key 只在第一次应答中显示，如已丢失请撤销后重新登记",
        message_en=(
            "Already registered; the api_key was shown only in the first answer: "
            "if it was lost, revoke this client and register again"
        ),
    )
    return False, replayed


async def list_visible(*, db: AsyncDatabase[Document], principal: Principal) -> list[ClientRead]:
    """Return the clients filing into the caller's subtree, revoked ones included."""
    return [to_read(doc) for doc in await repository.clients(db, scope_filter(principal))]


async def revoke(*, db: AsyncDatabase[Document], principal: Principal, client_id: str) -> None:
    """Revoke a client of the caller's subtree: its api_key is refused from now on."""
    doc = await repository.get_client(db, client_id)
    if doc is None or not principal.covers(doc["grid_path"]):
        raise not_found("Open311 客户端", "Open311 client")
    await repository.revoke_client(db, client_id, utc_now())


async def authenticate(db: AsyncDatabase[Document], api_key: str | None) -> Document:
    """Return the client an api_key belongs to, or answer 403 (missing, unknown or revoked)."""
    client_id, _, secret = (api_key or "").partition(".")
    doc = await repository.get_client(db, client_id) if client_id and secret else None
    if (
        doc is None
        or doc.get("revoked_at") is not None
        or not hmac.compare_digest(doc["key_hash"], _hash(api_key or ""))
    ):
        raise Open311Error(
            403,
            "api_key",
            "api_key 缺失、无效或已撤销",
            "api_key is missing, invalid or revoked",
        )
    return doc


def reporter(client: Document) -> Principal:
    """Return the identity a client reports as: its name, its jurisdiction's subtree."""
    return Principal(
        user_id=REPORTER_PREFIX + client["_id"],
        username=REPORTER_PREFIX + client["_id"],
        name=client["name"],
        roles=frozenset(),
        scope=(client["grid_path"],),
    )
