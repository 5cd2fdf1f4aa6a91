"""Settings of hazard intake (env prefix HAZARD_INTAKE_, shared ones unprefixed)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings


class Settings(CommonSettings):
    """Where intake listens and how long it trusts its copy of the registry's places."""

    model_config = SettingsConfigDict(
        env_prefix="HAZARD_INTAKE_", extra="ignore", populate_by_name=True, frozen=True
    )

    service_name: str = "hazard_intake"
    port: int = 8002
    mongo_db: str = "xiaoan_hazard_intake"
    place_cache_seconds: float = Field(60.0, gt=0)
    key_retention_days: int = Field(
        14, ge=1, le=90, description="How long a retried report is recognised (offline phones)"
    )
    registry_public_url: str = Field(
        "http://127.0.0.1:8001",
        description="The registry as phones reach it (log-in, QR codes); given to the phone page",
    )
    media_public_url: str = Field(
        "http://127.0.0.1:8003",
        description="Media storage as phones reach it (photo uploads); given to the phone page",
    )
    key_ledger_path: Path | None = Field(
        None,
        description="The file of report keys the workers of this host share (reports/ledger.py); "
        "default: xiaoan-<mongo_db>-<port>.keys in the temporary directory",
    )
    key_ledger_slots: int = Field(
        1 << 20,
        ge=1024,
        le=1 << 28,
        description="Keys the ledger holds (32 bytes each); beyond, the oldest of a bucket goes",
    )
    fast_lane: bool = Field(
        True,
        description="Serve well-formed report POSTs without FastAPI's per-request machinery "
        "(reports/fast_lane.py); off only to compare the two",
    )

    def key_ledger_file(self) -> Path:
        """Return where the key ledger lives (the setting, or a file named for this service)."""
        if self.key_ledger_path is not None:
            return self.key_ledger_path
        return Path(tempfile.gettempdir()) / f"xiaoan-{self.mongo_db}-{self.port}.keys"
