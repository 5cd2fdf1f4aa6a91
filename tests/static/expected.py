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
INFRASTRUCTURE = ("mongo", "rabbitmq", "minio")


def dns_name(service: str) -> str:
    """The compose service and Kubernetes object name of a service package (no underscores)."""
    return service.replace("_", "-")


def env_prefix(service: str) -> str:
    """The prefix of the service's own settings: GRID_REGISTRY_PORT, ..."""
    return service.upper() + "_"
