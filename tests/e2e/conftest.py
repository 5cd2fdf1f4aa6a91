"""Fixtures of the end-to-end tier shared by its modules."""

from __future__ import annotations

import httpx
import pytest

from tests.support.client import ApiClient
from tests.support.platform import Platform


@pytest.fixture
async def admin(platform: Platform, http: httpx.AsyncClient) -> ApiClient:
    """The demo county's operator, logged in (a module's own `platform` is used if it has one)."""
    return await ApiClient.login(platform, http, "demo-admin")
