"""CPU time spent per request by each process behind an endpoint, read from /proc.

Throughput on a shared two-core machine swings by a third from run to run; the CPU one request
costs each process (the endpoint's workers, RabbitMQ, FerretDB) moves far less, and says where
the time goes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """Return the user + system seconds of `pid` and its live children (0 once it is gone)."""
    total = 0.0
    for member in (pid, *_children(pid)):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def server_pids(run_dir: Path) -> dict[str, int]:
    """Return the PIDs of the local RabbitMQ, FerretDB and Redis that infra.sh started, if any."""
    pids = {}
    servers = (
        ("RabbitMQ", "rabbitmq-node.pid"),
        ("FerretDB", "ferretdb.pid"),
        ("Redis", "redis.pid"),
    )
    for name, file in servers:
        try:
            pids[name] = int((run_dir / file).read_text().strip())
        except (OSError, ValueError):
            continue  # servers of a deployment, not ours: not measured
    return pids


def sampler(processes: Mapping[str, int]) -> Callable[[], dict[str, float]]:
    """Return a function reading the CPU seconds so far of each named process."""
    return lambda: {name: process_cpu(pid) for name, pid in processes.items()}


def per_request_ms(
    before: Mapping[str, float], after: Mapping[str, float], requests: int
) -> dict[str, float]:
    """Return each process's CPU milliseconds per request between two samples."""
    return {name: 1000 * (after[name] - before[name]) / requests for name in after}
