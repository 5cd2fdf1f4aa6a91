"""Settings every service shares: where the servers are, the mode it runs in, the token keys.

Each service subclasses `CommonSettings` with its own env prefix (`GRID_REGISTRY_PORT`, ...).
The infrastructure fields keep their plain names (`MONGO_URL`, `AMQP_URL`, `S3_ENDPOINT`, ...)
because every service reads the same servers; they are declared with explicit aliases so the
subclass prefix does not apply to them.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that must never reach production: the ones printed in the README for local use.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "minioadmin", "guest"})


class Mode(StrEnum):
    """How a service runs: `dev` allows demo data and local defaults, `prod` refuses them."""

    DEV = "dev"
    TEST = "test"
    PROD = "prod"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class CommonSettings(BaseSettings):
    """Infrastructure and security settings read by every service."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    service_name: str = "xiaoan"
    mode: Mode = Field(Mode.PROD, validation_alias=_env("XIAOAN_ENV"))
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, le=32, description="Worker processes (uvicorn)")
    log_level: str = Field("INFO", validation_alias=_env("XIAOAN_LOG_LEVEL"))

    mongo_url: str = Field("mongodb://127.0.0.1:27017/", validation_alias=_env("MONGO_URL"))
    mongo_db: str = "xiaoan"

    amqp_url: SecretStr = Field(
        SecretStr("amqp://guest:guest@127.0.0.1:5672/"), validation_alias=_env("AMQP_URL")
    )
    # Messages handled at once per consumer. Kept modest: FerretDB on SQLite has one writer
    # per database, and many concurrent writers spend their time in SQLite's busy back-off.
    amqp_prefetch: int = Field(16, ge=1, validation_alias=_env("AMQP_PREFETCH"))
    outbox_workers: int = Field(2, ge=1, validation_alias=_env("XIAOAN_OUTBOX_WORKERS"))
    outbox_sweep_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        validation_alias=_env("XIAOAN_OUTBOX_SWEEP_SECONDS"),
        description="How often each replica looks for events a crashed process left unpublished",
    )
    retry_delays_ms: tuple[int, ...] = Field(
        (1_000, 5_000, 30_000), validation_alias=_env("XIAOAN_RETRY_DELAYS_MS")
    )
    max_delivery_attempts: int = Field(5, validation_alias=_env("XIAOAN_MAX_DELIVERY_ATTEMPTS"))

    redis_url: SecretStr = Field(
        SecretStr("redis://127.0.0.1:6379/0"),
        validation_alias=_env("REDIS_URL"),
        description="The store every replica shares: Idempotency-Key answers, throttles, lockouts",
    )

    s3_endpoint: str = Field("127.0.0.1:9000", validation_alias=_env("S3_ENDPOINT"))
    s3_access_key: SecretStr = Field(SecretStr(""), validation_alias=_env("S3_ACCESS_KEY"))
    s3_secret_key: SecretStr = Field(SecretStr(""), validation_alias=_env("S3_SECRET_KEY"))
    s3_secure: bool = Field(False, validation_alias=_env("S3_SECURE"))
    s3_region: str = Field("us-east-1", validation_alias=_env("S3_REGION"))
    s3_public_endpoint: str | None = Field(
        None,
        validation_alias=_env("S3_PUBLIC_ENDPOINT"),
        description=(
            "S3 as phones and browsers reach it, for presigned URLs (host:port, or a URL whose "
            "scheme chooses TLS); unset means S3_ENDPOINT"
        ),
    )

    jwt_public_key_file: Path | None = Field(None, validation_alias=_env("JWT_PUBLIC_KEY_FILE"))
    jwt_issuer: str = Field("xiaoan-grid-registry", validation_alias=_env("JWT_ISSUER"))
    jwt_audience: str = Field("xiaoan", validation_alias=_env("JWT_AUDIENCE"))

    cors_origins: tuple[str, ...] = Field((), validation_alias=_env("XIAOAN_CORS_ORIGINS"))
    idempotency_retention_hours: float = Field(
        24 * 14,
        gt=0,
        validation_alias=_env("XIAOAN_IDEMPOTENCY_RETENTION_HOURS"),
        description="How long a keyed write's answer is replayed (phones retry after days)",
    )
    clock_offset_file: Path | None = Field(
        None,
        validation_alias=_env("XIAOAN_CLOCK_OFFSET_FILE"),
        description="Development and tests only: seconds to add to the clock (shared/clock.py)",
    )

    @property
    def key_prefix(self) -> str:
        """Return the prefix of this service's keys in the shared store (its database's name,
        so replicas share them and deployments or test platforms on one Redis do not)."""
        return f"xiaoan:{self.mongo_db}:"

    @property
    def is_dev(self) -> bool:
        """Tell whether demo data and local conveniences are allowed."""
        return self.mode in (Mode.DEV, Mode.TEST)

    @model_validator(mode="after")
    def _refuse_placeholders_outside_dev(self) -> Self:
        if self.is_dev:
            return self
        problems = []
        if "guest:guest@" in self.amqp_url.get_secret_value():
            problems.append("AMQP_URL uses the guest account")
        if not urlsplit(self.redis_url.get_secret_value()).password:
            problems.append("REDIS_URL has no password")
        if self.s3_secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            problems.append("S3_SECRET_KEY is empty or a placeholder")
        if self.jwt_public_key_file is None:
            problems.append("JWT_PUBLIC_KEY_FILE is not set")
        if self.clock_offset_file is not None:
            problems.append("XIAOAN_CLOCK_OFFSET_FILE moves the clock (tests only)")
        if problems:
            raise ValueError("refusing to start in prod mode: " + "; ".join(problems))
        return self

    def public_key_pem(self) -> bytes:
        """Read the PEM public key that verifies every token."""
        if self.jwt_public_key_file is None:
            raise RuntimeError("JWT_PUBLIC_KEY_FILE is not set")
        return self.jwt_public_key_file.read_bytes()
