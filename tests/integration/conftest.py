"""Fixtures of the integration tier: a fresh vhost, database and bucket on the real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from shared import keyvalue
from shared.mongo import connect
from shared.observability.metrics import ServiceMetrics
from shared.storage import ObjectStore
from tests.support.servers import InfraEnv, RabbitAdmin, unique_name


@pytest.fixture(scope="session")
def infra() -> InfraEnv:
    return InfraEnv.from_environment()


@pytest.fixture
async def rabbit_admin(infra: InfraEnv) -> AsyncIterator[RabbitAdmin]:
    admin = RabbitAdmin(infra.management_url)
    yield admin
    await admin.close()


@pytest.fixture
async def vhost(rabbit_admin: RabbitAdmin) -> AsyncIterator[str]:
    name = unique_name("test")
    await rabbit_admin.create_vhost(name)
    yield name
    await rabbit_admin.delete_vhost(name)


@pytest.fixture
def amqp_url(infra: InfraEnv, vhost: str) -> str:
    return infra.amqp_url_for(vhost)


@pytest.fixture
async def mongo_client(infra: InfraEnv) -> AsyncIterator[AsyncMongoClient[dict]]:
    client = connect(infra.mongo_url, app_name="tests")
    yield client
    await client.close()


@pytest.fixture
async def db(mongo_client: AsyncMongoClient[dict]) -> AsyncIterator[AsyncDatabase[dict]]:
    name = unique_name("test").replace("-", "_")
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.fixture
async def kv(infra: InfraEnv) -> AsyncIterator[Redis]:
    client = keyvalue.connect(infra.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def kv_prefix(kv: Redis) -> AsyncIterator[str]:
    """A key prefix of the test's own in the shared store; its keys are deleted afterwards."""
    prefix = unique_name("test") + ":"
    yield prefix
    keys = [key async for key in kv.scan_iter(match=prefix + "*")]
    if keys:
        await kv.delete(*keys)


@pytest.fixture
def object_store(infra: InfraEnv) -> ObjectStore:
    return ObjectStore(
        infra.s3_endpoint,
        infra.s3_access_key,
        infra.s3_secret_key,
        secure=False,
        region="us-east-1",
    )


@pytest.fixture
async def bucket(object_store: ObjectStore) -> AsyncIterator[str]:
    name = unique_name("test")
    await object_store.ensure_bucket(name)
    yield name
    await object_store.remove_bucket_contents(name)


@pytest.fixture
def metrics() -> ServiceMetrics:
    return ServiceMetrics("tests")
