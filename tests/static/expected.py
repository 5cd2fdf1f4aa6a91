"""What the deployment descriptions must contain, fixed here rather than read from services/.

A list taken from the services/ folders would shrink with them and check nothing; this one
names the platform's seven services and the port each listens on (its config.py default).
"""

from __future__ import annotations

SERVICE_PORTS = {
    "command_centre": 8000,
    "grid_registry": 8001,
    "hazard_intake": 8002,
    "media_storage": 8003,
    "hazard_cases": 8004,
    "notifications": 8005,
    "agency_integration": 8006,
}
INFRASTRUCTURE = ("mongo", "rabbitmq", "redis", "minio")

# How Redis runs wherever it is deployed, as in the local redis.conf (deploy/local/infra.sh):
# every write in the append-only file, synced once a second, no RDB snapshots beside it, and
# nothing evicted to make room (an Idempotency-Key answer must last its whole retention).
REDIS_OPTIONS = {
    "--appendonly": "yes",
    "--appendfsync": "everysec",
    "--save": "",
    "--maxmemory-policy": "noeviction",
}


def dns_name(service: str) -> str:
    """The compose service and Kubernetes object name of a service package (no underscores)."""
    return service.replace("_", "-")


def env_prefix(service: str) -> str:
    """The prefix of the service's own settings: GRID_REGISTRY_PORT, ..."""
    return service.upper() + "_"


def redis_options(argv: list[str]) -> dict[str, str]:
    """The `--name value` pairs that follow `redis-server` on its command line, checked."""
    assert argv[0] == "redis-server", argv
    names, values = argv[1::2], argv[2::2]
    assert len(names) == len(values), f"an option without a value: {argv}"
    assert all(name.startswith("--") for name in names), argv
    assert len(set(names)) == len(names), f"an option given twice: {argv}"
    return dict(zip(names, values, strict=True))
