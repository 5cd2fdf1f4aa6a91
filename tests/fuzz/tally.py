"""What the fuzzer tried and what broke, counted per operation and identity."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Finding:
    """One way one operation broke, for one identity: a 5xx or a schema break."""

    operation: str
    identity: str
    kind: str  # "5xx" or "schema"
    title: str
    example: str  # the first request that showed it, as a curl command, and the answer

    def describe(self) -> str:
        """Say what broke and how to see it again."""
        return f"[{self.kind}] {self.operation} as {self.identity}: {self.title}\n{self.example}"


@dataclass
class Tally:
    """Operations, cases and findings of the whole run (first example of each finding kept)."""

    operations: set[str] = field(default_factory=set)
    runs: int = 0  # operation × identity pairs fuzzed
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    schema_breaks: int = 0
    findings: dict[tuple[str, str, str, str], Finding] = field(default_factory=dict)
    seconds: float = 0.0

    def record(self, status: int | None, findings: list[Finding]) -> None:
        """Count one case by its answer and what broke; keep the first example of each."""
        self.cases += 1
        if status is not None:
            self.statuses[status] += 1
        kinds = {finding.kind for finding in findings}
        self.server_errors += "5xx" in kinds
        self.schema_breaks += "schema" in kinds
        for finding in findings:
            key = (finding.operation, finding.identity, finding.kind, finding.title)
            self.findings.setdefault(key, finding)

    def findings_of(self, service: str) -> list[Finding]:
        """Return the distinct findings of one service's operations."""
        return [f for f in self.findings.values() if f.operation.startswith(f"{service} ")]

    def summary_lines(self) -> list[str]:
        """Return the totals as printed lines."""
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return [
            f"operations: {len(self.operations)} ({self.runs} operation × identity runs)",
            f"cases: {self.cases} in {self.seconds:.0f} s (answers {statuses})",
            f"5xx: {self.server_errors}",
            f"schema breaks: {self.schema_breaks}",
            f"distinct findings: {len(self.findings)}",
        ]


TALLY_KEY = pytest.StashKey[Tally]()
