"""Reach the real test servers: a fresh vhost, database or bucket per test, and clean-up."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx


@dataclass(frozen=True)
class InfraEnv:
    """Where the servers are, as exported by deploy/local/infra.sh."""

    amqp_url: str
    management_url: str
    mongo_url: str
    redis_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    jwt_private_key_file: str
    jwt_public_key_file: str

    @classmethod
    def from_environment(cls) -> InfraEnv:
        """Read the environment, or explain how to start the servers."""
        missing = [
            name
            for name in (
                "AMQP_URL",
                "RABBITMQ_MANAGEMENT_URL",
                "MONGO_URL",
                "REDIS_URL",
                "S3_ENDPOINT",
            )
            if not os.environ.get(name)
        ]
        if missing:
            raise RuntimeError(
                "test servers are not configured (" + ", ".join(missing) + "): run `make test`, "
                "or `deploy/local/infra.sh start --profile test` first"
            )
        return cls(
            amqp_url=os.environ["AMQP_URL"],
            management_url=os.environ["RABBITMQ_MANAGEMENT_URL"],
            mongo_url=os.environ["MONGO_URL"],
            redis_url=os.environ["REDIS_URL"],
            s3_endpoint=os.environ["S3_ENDPOINT"],
            s3_access_key=os.environ.get("S3_ACCESS_KEY", ""),
            s3_secret_key=os.environ.get("S3_SECRET_KEY", ""),
            jwt_private_key_file=os.environ.get("JWT_PRIVATE_KEY_FILE", ""),
            jwt_public_key_file=os.environ.get("JWT_PUBLIC_KEY_FILE", ""),
        )

    def amqp_url_for(self, vhost: str) -> str:
        """Return the AMQP URL of `vhost` on the same server."""
        parts = urlsplit(self.amqp_url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))


def unique_name(prefix: str) -> str:
    """Return a name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class RabbitAdmin:
    """The RabbitMQ management API, for vhosts and queue inspection."""

    def __init__(self, management_url: str) -> None:
        parts = urlsplit(management_url)
        base = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port}", "/api", "", ""))
        self.client = httpx.AsyncClient(
            base_url=base, auth=(parts.username or "guest", parts.password or "guest"), timeout=30
        )

    async def create_vhost(self, vhost: str) -> None:
        """Create `vhost` and give the management user full rights on it."""
        name = quote(vhost, safe="")
        (await self.client.put(f"/vhosts/{name}")).raise_for_status()
        (
            await self.client.put(
                f"/permissions/{name}/guest",
                json={"configure": ".*", "write": ".*", "read": ".*"},
            )
        ).raise_for_status()

    async def delete_vhost(self, vhost: str) -> None:
        """Delete `vhost` with everything in it."""
        await self.client.delete(f"/vhosts/{quote(vhost, safe='')}")

    async def queue(self, vhost: str, queue: str) -> dict[str, Any] | None:
        """Return the management view of a queue, or None if it does not exist."""
        response = await self.client.get(f"/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return dict(response.json())

    async def queue_depth(self, vhost: str, queue: str) -> tuple[int, int]:
        """Return (ready, unacknowledged) message counts, as the broker reports them now."""
        info = await self.queue(vhost, queue) or {}
        return int(info.get("messages_ready", 0)), int(info.get("messages_unacknowledged", 0))

    async def messages_waiting(self, vhost: str) -> int:
        """Return the messages waiting or being handled in every working queue of `vhost` (its
        dead-letter queues left out), as the broker last sampled them (every few seconds)."""
        response = await self.client.get(
            f"/queues/{quote(vhost, safe='')}", params={"columns": "name,messages"}
        )
        response.raise_for_status()
        return sum(
            int(q.get("messages") or 0)
            for q in response.json()
            if not q["name"].endswith(".dead-letter")
        )

    async def get_messages(self, vhost: str, queue: str, count: int = 10) -> list[dict[str, Any]]:
        """Take up to `count` messages off a queue (for inspecting dead letters)."""
        response = await self.client.post(
            f"/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}/get",
            json={"count": count, "ackmode": "ack_requeue_false", "encoding": "auto"},
        )
        response.raise_for_status()
        return list(response.json())

    async def queues_bound(self, vhost: str, exchange: str, routing_key: str) -> list[str]:
        """Return the queues an exchange routes `routing_key` to (exact binding keys)."""
        response = await self.client.get(
            f"/exchanges/{quote(vhost, safe='')}/{quote(exchange, safe='')}/bindings/source"
        )
        response.raise_for_status()
        return sorted(b["destination"] for b in response.json() if b["routing_key"] == routing_key)

    async def purge_queue(self, vhost: str, queue: str) -> None:
        """Drop the ready messages of a queue (benchmarks start each phase on an empty one)."""
        response = await self.client.delete(
            f"/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}/contents"
        )
        if response.status_code != 404:
            response.raise_for_status()

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()
