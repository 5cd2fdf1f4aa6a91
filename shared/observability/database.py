"""Count what a service asks its database: commands by name and collection, the bytes of what
it writes and how long each command took (`xiaoan_<service>_db_commands_total`,
`xiaoan_<service>_db_written_bytes_total`, `xiaoan_<service>_db_command_seconds`).

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
        self._seconds = metrics.histogram(
            "db_command_seconds", "Time from sending a command to its answer, by name", ["command"]
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
        """Note how long it took."""
        self._seconds.labels(event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Note how long it took to fail."""
        self._seconds.labels(event.command_name).observe(event.duration_micros / 1e6)
