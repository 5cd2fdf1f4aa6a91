"""Fixtures of the end-to-end tier: the whole platform as processes on the real servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.platform import Platform
from tests.support.servers import InfraEnv, RabbitAdmin, unique_name


async def _vhost(infra: InfraEnv, name: str, create: bool) -> None:
    admin = RabbitAdmin(infra.management_url)
    try:
        await (admin.create_vhost(name) if create else admin.delete_vhost(name))
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    infra = InfraEnv.from_environment()
    vhost = unique_name("e2e")
    asyncio.run(_vhost(infra, vhost, create=True))
    workdir: Path = tmp_path_factory.mktemp("platform")
    running = Platform.create(infra, vhost, workdir)
    try:
        asyncio.run(running.start())
        yield running
    finally:
        running.stop()
        asyncio.run(_vhost(infra, vhost, create=False))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
