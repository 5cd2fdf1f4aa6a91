"""Test tiers by folder, and the real servers the integration and end-to-end tiers run against.

`make test` starts RabbitMQ, FerretDB and MinIO (profile `test`) and exports where they are.
Running pytest by hand after `deploy/local/infra.sh start --profile test` works too: the
environment file that script writes is read when the variables are not set.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.platform import Platform, running_platform

ROOT = Path(__file__).resolve().parent.parent
TIERS = ("unit", "integration", "e2e", "browser", "static", "fuzz")


def _load_infra_env() -> None:
    env_file = ROOT / ".local" / "test" / "infra.env"
    if os.environ.get("MONGO_URL") or not env_file.exists():
        return
    for line in env_file.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            os.environ.setdefault(name, shlex.split(value)[0] if value else "")


_load_infra_env()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, taken from its folder."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in TIERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Every service as a process (end-to-end and browser tiers), started once per run."""
    with running_platform(tmp_path_factory.mktemp("platform")) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client, like curl."""
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
