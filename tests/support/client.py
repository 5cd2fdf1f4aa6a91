"""Drive the platform over HTTP like a client: log in, send keyed writes, poll for effects."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.platform import Platform


class ApiClient:
    """An HTTP client logged in as one user, addressing services by name."""

    def __init__(self, platform: Platform, http: httpx.AsyncClient, token: str) -> None:
        self.platform = platform
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    async def login(
        cls, platform: Platform, http: httpx.AsyncClient, username: str, password: str | None = None
    ) -> ApiClient:
        """Log in at the registry's token endpoint."""
        response = await http.post(
            f"{platform.url('grid_registry')}/v1/auth/token",
            data={"username": username, "password": password or username},
        )
        response.raise_for_status()
        return cls(platform, http, response.json()["access_token"])

    async def get(self, service: str, path: str, **params: Any) -> httpx.Response:
        """GET `path` on `service`."""
        return await self.http.get(
            f"{self.platform.url(service)}{path}", headers=self.headers, params=params
        )

    async def post(
        self, service: str, path: str, body: Any = None, *, key: str | None = None
    ) -> httpx.Response:
        """POST JSON to `path` on `service` with an Idempotency-Key (a fresh one if not given)."""
        headers = {**self.headers, "Idempotency-Key": key or uuid.uuid4().hex}
        return await self.http.post(
            f"{self.platform.url(service)}{path}", json=body, headers=headers
        )
