"""deploy/docker: the one image recipe all services are built from, and its entrypoint.

No Docker engine is needed: the Dockerfile is read as text, and the entrypoint script is run
with bash against a stand-in service package.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "docker" / "entrypoint.sh"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_dockerfile_builds_one_service_from_the_shared_code() -> None:
    steps = instructions()
    keywords = [keyword for keyword, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert ("ARG", "SERVICE") in steps
    copied = [rest for keyword, rest in steps if keyword == "COPY"]
    assert "requirements.txt ./" in copied
    assert "shared/ shared/" in copied
    assert "services/ services/" in copied
    # Dependencies are installed before ARG SERVICE, so that layer is shared by all images.
    install = next(i for i, (k, rest) in enumerate(steps) if k == "RUN" and "requirements" in rest)
    assert install < steps.index(("ARG", "SERVICE"))
    assert ("ENV", "XIAOAN_SERVICE=${SERVICE}") in steps
    assert keywords[-1] == "ENTRYPOINT"
    assert steps[-1][1] == '["xiaoan-entrypoint"]', "exec form, so signals reach Python"


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    users = [rest for keyword, rest in instructions() if keyword == "USER"]
    assert len(users) == 1
    uid = users[0].split(":")[0]
    assert uid.isdigit(), "Kubernetes' runAsNonRoot can only check a numeric user"
    assert int(uid) != 0


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for path in (".venv", ".local", ".git", "tests", "bench", "**/__pycache__"):
        assert path in ignored


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    """A working directory whose services.demo_svc.main prints what it was started with."""
    package = tmp_path / "services" / "demo_svc"
    package.mkdir(parents=True)
    (tmp_path / "services" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(
        "import os, sys\nprint(os.environ['DEMO_SVC_HOST'], *sys.argv[1:])\n"
    )
    return tmp_path


def run_entrypoint(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # `python` on PATH is this interpreter, as it is the image's in the container.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(ENTRYPOINT), "--flag"],
        cwd=cwd,
        env={"PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_entrypoint_listens_on_all_interfaces_by_default(stand_in: Path) -> None:
    result = run_entrypoint(stand_in, XIAOAN_SERVICE="demo_svc")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0.0.0.0", "--flag"]


def test_entrypoint_keeps_a_given_host(stand_in: Path) -> None:
    result = run_entrypoint(stand_in, XIAOAN_SERVICE="demo_svc", DEMO_SVC_HOST="10.1.2.3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10.1.2.3", "--flag"]


@pytest.mark.parametrize("service", ["", "Demo", "demo;id", "../demo"])
def test_entrypoint_refuses_a_bad_service_name(stand_in: Path, service: str) -> None:
    result = run_entrypoint(stand_in, XIAOAN_SERVICE=service)
    assert result.returncode == 64
    assert "is not a service name" in result.stderr
