"""docker-compose.yml: the whole platform as users run it on one Docker host.

Read with PyYAML (anchors and merge keys resolved) and checked against what the services need:
their ports, health checks, start order, environment and secrets. The file is also validated
against the Compose Specification's JSON schema, as vendored in the PyPI package
check-jsonschema (requirements-dev.txt), so no network is needed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.static.expected import (
    INFRASTRUCTURE,
    REDIS_OPTIONS,
    SERVICE_PORTS,
    dns_name,
    env_prefix,
    redis_options,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "docker" / "env.example"

JWT_INIT = "jwt-keys"
COMMON_ENV = (
    "XIAOAN_ENV",
    "MONGO_URL",
    "AMQP_URL",
    "REDIS_URL",
    "S3_ENDPOINT",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "S3_SECURE",
    "JWT_PUBLIC_KEY_FILE",
    "XIAOAN_LOG_LEVEL",
    "XIAOAN_CORS_ORIGINS",
)
# REDISCLI_AUTH: the password redis-cli (and here redis-server) reads from the environment.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|PASS$|AUTH$")
# ${NAME:?message}: compose refuses to start while NAME is unset or empty.
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}$")
# user:password@ in a URL, where the user may itself be a ${VAR:-default} reference.
URL_PASSWORD = re.compile(r"://(?:\$\{[^}]*\}|[^:/@$]*):(?P<password>[^@]*)@")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def service_dirs() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "services").glob("*/main.py"))


def all_environments(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    environments = {"x-service-env": compose["x-service-env"]}
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment must be a mapping"
        environments[name] = environment
    return environments


# ------------------------------------------------------------------ the file as a whole


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(
        files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(compose)
    ]
    assert errors == []

    # The schema really checks services: an unknown key in one is refused.
    broken = copy.deepcopy(compose)
    broken["services"]["mongo"]["helthcheck"] = {"test": ["CMD", "true"]}
    assert not validator.is_valid(broken)


def test_every_dollar_is_an_interpolation(compose: dict[str, Any]) -> None:
    # A bare `$x` is interpolated too (and usually a mistake in a shell snippet): only
    # `${...}` and the escape `$$` are used here.
    text = COMPOSE_FILE.read_text()
    # Read left to right, so the second `$` of an escape is not taken for a bare one.
    assert "$" not in re.findall(r"\$\$|\$\{|\$", text)


def test_expected_services_are_all_there(services: dict[str, Any]) -> None:
    expected = {dns_name(service) for service in SERVICE_PORTS}
    assert expected <= set(services), f"missing: {sorted(expected - set(services))}"
    assert set(services) == expected | set(INFRASTRUCTURE) | {JWT_INIT}


def test_every_service_folder_is_in_compose(services: dict[str, Any]) -> None:
    # Nothing to check until services/<name>/main.py exist; then each must be deployed.
    built = {
        (service.get("build") or {}).get("args", {}).get("SERVICE"): name
        for name, service in services.items()
    }
    for service in service_dirs():
        assert service in built, f"services/{service} has no service in docker-compose.yml"
        assert service in SERVICE_PORTS, f"services/{service}: add it to SERVICE_PORTS"


# ------------------------------------------------------------------ the seven services


@pytest.mark.parametrize(("service", "port"), SERVICE_PORTS.items())
def test_service_is_built_from_the_shared_dockerfile(
    services: dict[str, Any], service: str, port: int
) -> None:
    definition = services[dns_name(service)]
    assert definition["build"] == {
        "context": ".",
        "dockerfile": "deploy/docker/Dockerfile",
        "args": {"SERVICE": service},
    }
    assert definition["image"].startswith(f"xiaoan/{service}:")
    assert definition["restart"] == "unless-stopped"


@pytest.mark.parametrize(("service", "port"), SERVICE_PORTS.items())
def test_service_port_is_published_on_loopback(
    services: dict[str, Any], service: str, port: int
) -> None:
    definition = services[dns_name(service)]
    assert definition["ports"] == [f"127.0.0.1:{port}:{port}"]
    environment = definition["environment"]
    prefix = env_prefix(service)
    assert environment[f"{prefix}PORT"] == str(port)
    assert environment[f"{prefix}HOST"] == "0.0.0.0"
    assert environment[f"{prefix}MONGO_DB"] == f"xiaoan_{service}"


@pytest.mark.parametrize(("service", "port"), SERVICE_PORTS.items())
def test_service_health_check_asks_healthz(
    services: dict[str, Any], service: str, port: int
) -> None:
    healthcheck = services[dns_name(service)]["healthcheck"]
    command = healthcheck["test"]
    assert command[:3] == ["CMD", "python", "-c"], "the slim image has no curl"
    assert f"http://127.0.0.1:{port}/healthz" in command[3]
    compile(command[3], "healthcheck", "exec")  # the one-liner is valid Python
    for timing in ("interval", "timeout", "retries", "start_period"):
        assert timing in healthcheck


@pytest.mark.parametrize("service", SERVICE_PORTS)
def test_service_waits_for_healthy_infrastructure(services: dict[str, Any], service: str) -> None:
    depends_on = services[dns_name(service)]["depends_on"]
    for server in INFRASTRUCTURE:
        assert depends_on[server]["condition"] == "service_healthy"
    assert depends_on[JWT_INIT]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", SERVICE_PORTS)
def test_service_has_the_common_environment(compose: dict[str, Any], service: str) -> None:
    common = compose["x-service-env"]
    assert set(COMMON_ENV) <= set(common)
    environment = compose["services"][dns_name(service)]["environment"]
    assert {name: environment.get(name) for name in common} == common
    assert environment["XIAOAN_ENV"] == "prod"


def test_common_environment_is_one_anchor() -> None:
    """Each service's environment merges the x-service-env mapping itself (`<<: *service-env`)."""
    root = yaml.compose(COMPOSE_FILE.read_text())
    top = {key.value: value for key, value in root.value}
    common = top["x-service-env"]
    services = {key.value: value for key, value in top["services"].value}
    for service in SERVICE_PORTS:
        definition = {key.value: value for key, value in services[dns_name(service)].value}
        environment = definition["environment"]
        merged = [value for key, value in environment.value if key.tag == "tag:yaml.org,2002:merge"]
        assert len(merged) == 1, f"{service}: no `<<: *service-env` in its environment"
        assert merged[0] is common, f"{service}: its environment merges something else"


def default_of(value: str) -> str:
    """The value compose uses when nothing overrides it: `${NAME:-default}` gives default."""
    match = re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*:-(.*)\}", value)
    return match.group(1) if match else value


def test_common_values_fit_the_settings(compose: dict[str, Any]) -> None:
    common = compose["x-service-env"]
    endpoint = default_of(common["S3_ENDPOINT"])
    assert re.fullmatch(r"[a-z0-9.-]+:\d+", endpoint), "S3_ENDPOINT is host:port, no scheme"
    assert endpoint.partition(":")[0] in compose["services"], "the bundled S3 server by default"
    assert default_of(common["S3_SECURE"]) in ("true", "false")
    assert common["MONGO_URL"].startswith("mongodb://")
    assert common["AMQP_URL"].startswith("amqp://")
    assert "guest" not in common["AMQP_URL"]
    # The bundled Redis, as its default user with the password the server is started with.
    assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/0", common["REDIS_URL"])
    server_password = compose["services"]["redis"]["environment"]["REDISCLI_AUTH"]
    assert server_password.startswith("${REDIS_PASSWORD:?")
    origins = json.loads(default_of(common["XIAOAN_CORS_ORIGINS"]))
    assert isinstance(origins, list)
    assert "http://localhost:8000" in origins, "the command-centre page must be able to log in"


def test_only_grid_registry_gets_the_signing_key(services: dict[str, Any]) -> None:
    for service in SERVICE_PORTS:
        definition = services[dns_name(service)]
        has_key_file = "JWT_PRIVATE_KEY_FILE" in definition["environment"]
        mounts_key = any(volume.startswith("jwt-private:") for volume in definition["volumes"])
        assert has_key_file == (service == "grid_registry"), service
        assert mounts_key == (service == "grid_registry"), service
        public_dir = Path(definition["environment"]["JWT_PUBLIC_KEY_FILE"]).parent
        assert f"jwt-public:{public_dir}:ro" in definition["volumes"], service
    private = Path(services["grid-registry"]["environment"]["JWT_PRIVATE_KEY_FILE"])
    assert f"jwt-private:{private.parent}:ro" in services["grid-registry"]["volumes"]


# ------------------------------------------------------------------ infrastructure


@pytest.mark.parametrize("server", INFRASTRUCTURE)
def test_infrastructure_has_health_check_and_named_volume(
    compose: dict[str, Any], server: str
) -> None:
    definition = compose["services"][server]
    assert definition["healthcheck"]["test"][0] == "CMD"
    named = [volume.split(":", 1)[0] for volume in definition["volumes"]]
    assert named, f"{server} keeps its data in no volume"
    assert set(named) <= set(compose["volumes"]), f"{server}: use named volumes"
    assert definition["restart"] == "unless-stopped"


def test_infrastructure_images(services: dict[str, Any]) -> None:
    assert services["mongo"]["image"] == "mongo:7.0"
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert services["redis"]["image"] == "redis:7.4-alpine"
    # Pinned to a release (overridable), never a floating tag.
    assert re.search(r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT", services["minio"]["image"])


def test_redis_is_durable_and_needs_its_password(services: dict[str, Any], tmp_path: Path) -> None:
    """The server's command line, as sh hands it to redis-server (a stand-in that prints it)."""
    redis = services["redis"]
    assert redis["command"][:2] == ["sh", "-c"]
    script = redis["command"][2]
    assert "${" not in script, "a compose variable here would put the password on the command"
    script = script.replace("$$", "$")  # compose's escape of a literal `$`
    assert script.startswith("exec redis-server "), "PID 1, so `docker stop` reaches it"
    stand_in = tmp_path / "redis-server"
    stand_in.write_text("#!/bin/sh\nprintf '%s\\0' \"$@\"\n")
    stand_in.chmod(0o755)
    result = subprocess.run(
        ["sh", "-c", script],
        env={"PATH": f"{tmp_path}:{os.environ['PATH']}", "REDISCLI_AUTH": "from-the-env"},
        capture_output=True,
        timeout=30,
        check=True,
    )
    options = redis_options(["redis-server", *result.stdout.decode().split("\0")[:-1]])
    assert options.pop("--requirepass") == "from-the-env"
    assert options == REDIS_OPTIONS


def test_redis_password_is_given_once(services: dict[str, Any]) -> None:
    redis = services["redis"]
    # One variable, read by the server's command and by redis-cli in the health check.
    assert redis["environment"] == {"REDISCLI_AUTH": "${REDIS_PASSWORD:?set REDIS_PASSWORD}"}
    assert json.dumps(redis).count("${REDIS_PASSWORD") == 1
    check = redis["healthcheck"]["test"]
    assert check[:2] == ["CMD", "redis-cli"]
    assert "-e" in check, "without -e, redis-cli exits 0 on NOAUTH: every server looks healthy"
    assert not {"-a", "--pass", "--user", "--askpass"} & set(check), "REDISCLI_AUTH authenticates"
    assert not any("$" in part for part in check)
    # Started through a shell, so the image's entrypoint does not drop root for it.
    assert redis["user"] not in ("root", "0", "0:0")
    assert redis["read_only"] is True


def test_jwt_keys_are_made_once_for_the_service_user(compose: dict[str, Any]) -> None:
    init = compose["services"][JWT_INIT]
    script = "\n".join(init["command"])
    assert "openssl genpkey -algorithm ed25519" in script
    assert "if [ ! -s /keys/private/jwt-private.pem ]" in script, "must not replace a key"
    assert init["restart"] == "no"
    uid = re.search(r"^USER (\d+)", (ROOT / "deploy/docker/Dockerfile").read_text(), re.M)
    assert uid, "the Dockerfile must name a numeric USER"
    assert f"chown {uid.group(1)}:" in script, "the key files must belong to the image's user"


# ------------------------------------------------------------------ secrets


def test_no_literal_secrets(compose: dict[str, Any]) -> None:
    for owner, environment in all_environments(compose).items():
        for name, value in environment.items():
            text = str(value)
            if SECRET_NAME.search(name) and not name.endswith("_FILE"):
                assert REQUIRED_VARIABLE.match(text), (
                    f"{owner}.{name} must be a required ${{VAR:?...}} reference, not {text!r}"
                )
            for match in URL_PASSWORD.finditer(text):
                assert REQUIRED_VARIABLE.match(match["password"]), (
                    f"{owner}.{name}: the password in the URL must be a ${{VAR:?...}} reference"
                )


def test_env_example_lists_every_required_variable() -> None:
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", COMPOSE_FILE.read_text()))
    example: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value
    assert required <= set(example), f"missing from env.example: {sorted(required - set(example))}"
    for name, value in example.items():
        if SECRET_NAME.search(name) and name != "S3_ACCESS_KEY":
            assert value == "", f"env.example must leave {name} empty (compose then refuses)"
