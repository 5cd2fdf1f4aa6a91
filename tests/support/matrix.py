"""The authorization matrix as the README writes it (section "Authorization"): one row per
service, resource and action, the endpoints it covers, and the callers it grants.

The unit tier compares it with the services' access tables; the end-to-end tier derives from
it what each caller must be answered on the running services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The README's column titles and the callers they name.
HEADERS = {
    "county operator": "county_operator",
    "school head": "school_head",
    "teacher": "teacher",
    "agency liaison": "agency",
    "Open311 client": "open311_client",
    "public": "public",
}
ENDPOINT = re.compile(r"`(GET|POST|PUT|DELETE) ([^` ]+)")


@dataclass(frozen=True)
class Row:
    """One row of the matrix."""

    service: str
    resource: str
    action: str
    endpoints: frozenset[str]  # "METHOD /path"
    granted: frozenset[str]  # callers, as in HEADERS' values


def readme_rows(readme: Path = ROOT / "README.md") -> list[Row]:
    """Return the rows of the README's matrix."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("\n## Authorization", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = dict(
            zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True)
        )
        rows.append(
            Row(
                service=cells["service"].strip("`"),
                resource=cells["resource"],
                action=cells["action"],
                endpoints=frozenset(" ".join(m) for m in ENDPOINT.findall(cells["endpoints"])),
                granted=frozenset(
                    caller for title, caller in HEADERS.items() if cells[title].startswith("✓")
                ),
            )
        )
    return rows
