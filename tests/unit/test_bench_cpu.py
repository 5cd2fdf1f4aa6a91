"""The benchmark's CPU meter: it reads real processes' CPU time and the servers' PID files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench import cpu


def test_cpu_spent_by_this_process_is_seen() -> None:
    before = cpu.process_cpu(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    assert cpu.process_cpu(os.getpid()) - before >= 0.2


def test_a_process_that_is_gone_costs_nothing() -> None:
    assert cpu.process_cpu(2**22 + 1) == 0.0  # above Linux's largest PID


def test_per_request_figures_divide_each_process_by_the_requests() -> None:
    figures = cpu.per_request_ms(
        {"workers": 1.0, "RabbitMQ": 2.0}, {"workers": 4.0, "RabbitMQ": 2.5}, 1000
    )
    assert figures == {"workers": 3.0, "RabbitMQ": 0.5}


def test_only_servers_with_a_pid_file_are_measured(tmp_path: Path) -> None:
    (tmp_path / "ferretdb.pid").write_text("4242\n")
    (tmp_path / "rabbitmq-node.pid").write_text("not a pid")
    assert cpu.server_pids(tmp_path) == {"FerretDB": 4242}
