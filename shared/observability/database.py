"""Count what a service asks its database: commands by name and collection, and the bytes of
what it writes (`xiaoan_<service>_db_commands_total`, `xiaoan_<service>_db_written_bytes_total`).

The benchmarks divide these by the reports they sent, so "database round trips and bytes per
report" are read off a running service, not estimated.
"""

from __future__ import annotations

from typing import Any

import bson
from pymongo import monitoring

from shared.observability.metrics import ServiceMetrics

WRITES = frozenset({"insert", "update", "delete", "findAndModify"})


class CommandCounter(monitoring.CommandListener):
    """A PyMongo command listener feeding a service's metrics."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._commands = metrics.counter(
            "db_commands_total",
            "Database commands sent, by name and collection",
            ["command", "collection"],
        )
        self._written = metrics.counter(
            "db_written_bytes_total", "BSON bytes of the write commands sent, by name", ["command"]
        )

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        """Count the command, and the size of what a write sends."""
        name = event.command_name
        command: Any = event.command
        collection = command.get(name) if isinstance(command.get(name), str) else ""
        self._commands.labels(name, collection).inc()
        if name in WRITES:
            self._written.labels(name).inc(len(bson.encode(command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Nothing to count when it answers."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Nothing more to count when it fails."""
