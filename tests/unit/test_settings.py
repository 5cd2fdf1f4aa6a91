"""Start-up refuses local conveniences (guest accounts, demo passwords) outside dev mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.grid_registry.config import Settings as RegistrySettings
from shared.settings import CommonSettings

SAFE = {
    "AMQP_URL": "amqp://xiaoan:long-secret@rabbit:5672/",
    "REDIS_URL": "redis://:another-long-secret@redis:6379/0",
    "S3_SECRET_KEY": "a-real-secret-value",
    "JWT_PUBLIC_KEY_FILE": "/etc/xiaoan/jwt-public.pem",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "XIAOAN_ENV",
        "AMQP_URL",
        "REDIS_URL",
        "S3_SECRET_KEY",
        "JWT_PUBLIC_KEY_FILE",
        "JWT_PRIVATE_KEY_FILE",
        "GRID_REGISTRY_DEMO_DATA",
    ):
        monkeypatch.delenv(name, raising=False)


def test_prod_is_the_default_and_accepts_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    assert CommonSettings().mode == "prod"


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("AMQP_URL", "amqp://guest:guest@rabbit:5672/", "guest account"),
        ("REDIS_URL", "redis://redis:6379/0", "REDIS_URL has no password"),
        ("REDIS_URL", None, "REDIS_URL has no password"),
        ("S3_SECRET_KEY", "minioadmin", "S3_SECRET_KEY"),
        ("JWT_PUBLIC_KEY_FILE", None, "JWT_PUBLIC_KEY_FILE"),
    ],
)
def test_prod_refuses_placeholders(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str | None, complaint: str
) -> None:
    for key, safe in SAFE.items():
        monkeypatch.setenv(key, safe)
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=complaint):
        CommonSettings()


def test_dev_mode_allows_local_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIAOAN_ENV", "dev")
    assert CommonSettings().is_dev


def test_demo_logins_are_refused_outside_dev(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("GRID_REGISTRY_DEMO_DATA", "true")
    with pytest.raises(ValidationError, match="demo data"):
        RegistrySettings()
    monkeypatch.setenv("XIAOAN_ENV", "dev")
    assert RegistrySettings().demo_data
