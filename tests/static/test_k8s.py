"""k8s/base: rendered with kustomize, validated with kubeconform, then read resource by resource.

kustomize and kubeconform come from deploy/local/tools.sh, which also prepares the Kubernetes
JSON schemas offline (kubeconform's default schema source is on GitHub). The tools are found
through the file it writes, $XIAOAN_CACHE_DIR/tools.env (default ~/.cache/xiaoan). A missing
tool fails these tests: a deployment check that silently skips checks nothing.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
BASE = ROOT / "k8s" / "base"
TOOLS_SCRIPT = ROOT / "deploy" / "local" / "tools.sh"
CACHE = Path(os.environ.get("XIAOAN_CACHE_DIR") or Path.home() / ".cache" / "xiaoan")
NAMESPACE = "xiaoan"

INFRASTRUCTURE_IMAGES = {
    "mongo": "mongo:7.0",
    "rabbitmq": "rabbitmq:3.13-management",
    "redis": "redis:7.4-alpine",
}
EXPECTED_KINDS = {
    "Namespace": 1,
    "ConfigMap": 1,
    "Deployment": len(SERVICE_PORTS),
    "Service": len(SERVICE_PORTS) + len(INFRASTRUCTURE),
    "StatefulSet": len(INFRASTRUCTURE),
    # One per service that runs more than one replica.
    "PodDisruptionBudget": len(SERVICE_PORTS) - 1,
}


def replicas(service: str) -> int:
    return 1 if service == "command_centre" else 2


@dataclass(frozen=True)
class Tools:
    kustomize: Path
    kubeconform: Path
    schema_location: str
    kubernetes_versions: tuple[str, ...]


def find_tools() -> Tools:
    """The tools named in tools.env, or a test failure saying how to install them."""
    env_file = CACHE / "tools.env"
    hint = "run deploy/local/tools.sh to install kustomize, kubeconform and the schemas"
    if not env_file.exists():
        pytest.fail(f"{env_file} does not exist: {hint}")
    settings: dict[str, str] = {}
    for line in env_file.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = shlex.split(value)[0] if value else ""
    found = Tools(
        kustomize=Path(settings.get("KUSTOMIZE", "")),
        kubeconform=Path(settings.get("KUBECONFORM", "")),
        schema_location=settings.get("KUBECONFORM_SCHEMA_LOCATION", ""),
        kubernetes_versions=tuple(settings.get("K8S_VERSIONS", "").split()),
    )
    for variable in ("KUSTOMIZE", "KUBECONFORM"):
        tool = Path(settings.get(variable) or "/nonexistent")
        if not (tool.is_file() and os.access(tool, os.X_OK)):
            pytest.fail(f"{variable} ({tool}) is missing: {hint}")
        # Pins raised in tools.sh since it last ran leave an older tool here.
        pinned = re.search(rf"^{variable}_VERSION=(\S+)$", TOOLS_SCRIPT.read_text(), re.M)
        if pinned is None or settings.get(f"{variable}_VERSION") != pinned.group(1):
            pytest.fail(f"{env_file} is older than the pins in {TOOLS_SCRIPT.name}: {hint}")
    if not found.schema_location or not found.kubernetes_versions:
        pytest.fail(f"{env_file} names no schemas: {hint}")
    for version in found.kubernetes_versions:
        schema = Path(
            found.schema_location.replace("{{ .NormalizedKubernetesVersion }}", f"v{version}")
            .replace("{{ .StrictSuffix }}", "-strict")
            .replace("{{ .ResourceKind }}", "deployment")
            .replace("{{ .KindSuffix }}", "-apps-v1")
        )
        if not schema.is_file():
            pytest.fail(f"no Kubernetes {version} schemas ({schema} is missing): {hint}")
    return found


def test_tools_are_installed() -> None:
    # The fixture below fails the same way, but pytest reports a failing fixture as an error:
    # this test makes a missing tool show up as a failure, with the fix in its message.
    find_tools()


@pytest.fixture(scope="module")
def tools() -> Tools:
    return find_tools()


@pytest.fixture(scope="module")
def rendered(tools: Tools) -> str:
    result = subprocess.run(
        [str(tools.kustomize), "build", str(BASE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build k8s/base failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def resources(rendered: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(rendered) if document]


def kubeconform(tools: Tools, manifests: str, version: str) -> dict[str, Any]:
    result = subprocess.run(
        [
            str(tools.kubeconform),
            "-strict",
            "-summary",
            "-verbose",
            "-output",
            "json",
            "-kubernetes-version",
            version,
            "-schema-location",
            tools.schema_location,
            "-",
        ],
        input=manifests,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout, f"kubeconform printed nothing:\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout)
    report["returncode"] = result.returncode
    return report


def find(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def container_of(workload: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in container.get("env", [])}


# ------------------------------------------------------------------ render and validate


def test_kubeconform_accepts_every_resource_strictly(tools: Tools, rendered: str) -> None:
    for version in tools.kubernetes_versions:
        report = kubeconform(tools, rendered, version)
        summary = report["summary"]
        problems = [r for r in report["resources"] if r["status"] != "statusValid"]
        assert problems == [], f"Kubernetes {version}: {problems}"
        assert summary["invalid"] == 0
        assert summary["errors"] == 0
        assert summary["skipped"] == 0
        assert summary["valid"] == sum(EXPECTED_KINDS.values())
        assert Counter(r["kind"] for r in report["resources"]) == EXPECTED_KINDS
        assert report["returncode"] == 0


def test_kubeconform_really_checks_against_the_schemas(tools: Tools) -> None:
    """A control: a misspelt field and a wrong type are refused, so "valid" above means it."""
    broken = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec:
      containers:
        - name: broken
          image: broken
          readinessProbes: {}
          ports: [{containerPort: "http"}]
"""
    report = kubeconform(tools, broken, tools.kubernetes_versions[-1])
    assert report["summary"]["invalid"] == 1, report
    message = report["resources"][0]["msg"]
    assert "readinessProbes" in message
    assert "containerPort" in message


def test_resource_counts(resources: list[dict[str, Any]]) -> None:
    assert Counter(r["kind"] for r in resources) == EXPECTED_KINDS


def test_everything_is_in_the_namespace(resources: list[dict[str, Any]]) -> None:
    for resource in resources:
        if resource["kind"] == "Namespace":
            assert resource["metadata"]["name"] == NAMESPACE
        else:
            assert resource["metadata"].get("namespace") == NAMESPACE, resource["metadata"]


def test_no_secret_values_in_the_base(resources: list[dict[str, Any]]) -> None:
    assert [r for r in resources if r["kind"] == "Secret"] == []


# ------------------------------------------------------------------ the services


@pytest.mark.parametrize(("service", "port"), SERVICE_PORTS.items())
def test_deployment_probes_and_port(
    resources: list[dict[str, Any]], service: str, port: int
) -> None:
    deployment = find(resources, "Deployment", dns_name(service))
    assert deployment["spec"]["replicas"] == replicas(service)
    container = container_of(deployment)
    ports = {p.get("name", str(p["containerPort"])): p["containerPort"] for p in container["ports"]}
    assert port in ports.values()

    def probe_target(probe: str) -> tuple[str, int]:
        http = container[probe]["httpGet"]
        target = http["port"]
        return http["path"], ports[target] if isinstance(target, str) else target

    assert probe_target("readinessProbe") == ("/readyz", port)
    assert probe_target("livenessProbe") == ("/healthz", port)

    environment = env_of(container)
    prefix = env_prefix(service)
    assert environment[f"{prefix}PORT"]["value"] == str(port)
    assert environment[f"{prefix}HOST"]["value"] == "0.0.0.0"
    assert environment[f"{prefix}MONGO_DB"]["value"] == f"xiaoan_{service}"
    assert container["image"] == f"xiaoan/{service}:latest"


@pytest.mark.parametrize("service", SERVICE_PORTS)
def test_deployment_resources_and_hardening(resources: list[dict[str, Any]], service: str) -> None:
    deployment = find(resources, "Deployment", dns_name(service))
    pod = deployment["spec"]["template"]["spec"]
    container = container_of(deployment)
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "a read-only root needs a writable /tmp"


@pytest.mark.parametrize("service", SERVICE_PORTS)
def test_deployment_configuration_and_secrets(
    resources: list[dict[str, Any]], service: str
) -> None:
    container = container_of(find(resources, "Deployment", dns_name(service)))
    config_maps = [source["configMapRef"]["name"] for source in container["envFrom"]]
    common = find(resources, "ConfigMap", config_maps[0])
    assert common["metadata"]["name"].startswith("xiaoan-common")
    assert common["data"]["XIAOAN_ENV"] == "prod"
    assert "://" not in common["data"]["S3_ENDPOINT"]
    assert "http://localhost:8000" in json.loads(common["data"]["XIAOAN_CORS_ORIGINS"])

    environment = env_of(container)
    secrets = ("MONGO_PASSWORD", "RABBITMQ_PASSWORD", "REDIS_PASSWORD")
    for name in (*secrets, "S3_ACCESS_KEY", "S3_SECRET_KEY"):
        reference = environment[name]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": "xiaoan-secrets", "key": name}
    # The URLs are built from the secret parts; no password is written into a manifest.
    names = list(environment)
    for password, url in zip(secrets, ("MONGO_URL", "AMQP_URL", "REDIS_URL"), strict=True):
        assert f":$({password})@" in environment[url]["value"], url
        assert names.index(password) < names.index(url), f"$({password}) needs it first"
    assert environment["REDIS_URL"]["value"].startswith("redis://:"), "Redis's default user"


@pytest.mark.parametrize("service", SERVICE_PORTS)
def test_deployment_urls_name_the_servers_of_the_base(
    resources: list[dict[str, Any]], service: str
) -> None:
    environment = env_of(container_of(find(resources, "Deployment", dns_name(service))))
    for url, server in (("MONGO_URL", "mongo"), ("AMQP_URL", "rabbitmq"), ("REDIS_URL", "redis")):
        address = re.search(r"@([a-z0-9.-]+):(\d+)", environment[url]["value"])
        assert address, f"{url} names no host:port"
        assert address[1] == server, url
        ports = [port["port"] for port in find(resources, "Service", server)["spec"]["ports"]]
        assert int(address[2]) in ports, f"{url}: the {server} Service has no port {address[2]}"


@pytest.mark.parametrize("service", SERVICE_PORTS)
def test_only_grid_registry_gets_the_signing_key(
    resources: list[dict[str, Any]], service: str
) -> None:
    deployment = find(resources, "Deployment", dns_name(service))
    container = container_of(deployment)
    volumes = {
        volume["name"]: volume for volume in deployment["spec"]["template"]["spec"]["volumes"]
    }
    jwt = volumes["jwt"]["secret"]
    assert jwt["secretName"] == "xiaoan-jwt"
    keys = {item["key"] for item in jwt["items"]}
    signs = service == "grid_registry"
    assert keys == ({"jwt-public.pem", "jwt-private.pem"} if signs else {"jwt-public.pem"})
    assert ("JWT_PRIVATE_KEY_FILE" in env_of(container)) == signs
    mount = next(m for m in container["volumeMounts"] if m["name"] == "jwt")
    assert mount["readOnly"] is True


@pytest.mark.parametrize(("service", "port"), SERVICE_PORTS.items())
def test_cluster_ip_service(resources: list[dict[str, Any]], service: str, port: int) -> None:
    name = dns_name(service)
    svc = find(resources, "Service", name)
    assert svc["spec"]["type"] == "ClusterIP"
    labels = find(resources, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= labels.items()
    assert [p["port"] for p in svc["spec"]["ports"]] == [port]


# ------------------------------------------------------------------ infrastructure


@pytest.mark.parametrize("server", INFRASTRUCTURE)
def test_infrastructure_stateful_set(resources: list[dict[str, Any]], server: str) -> None:
    stateful_set = find(resources, "StatefulSet", server)
    headless = find(resources, "Service", stateful_set["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert stateful_set["spec"]["volumeClaimTemplates"], "its data must outlive the pod"
    container = container_of(stateful_set)
    assert "readinessProbe" in container
    assert "livenessProbe" in container
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert stateful_set["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    if server in INFRASTRUCTURE_IMAGES:
        assert container["image"] == INFRASTRUCTURE_IMAGES[server]
    else:
        assert re.search(r"minio/minio:RELEASE\.", container["image"])


def test_redis_is_durable_and_needs_its_password(resources: list[dict[str, Any]]) -> None:
    stateful_set = find(resources, "StatefulSet", "redis")
    container = container_of(stateful_set)
    # The password reaches the server by $(VAR) expansion, and redis-cli reads the same
    # variable: the manifest holds no password, and the probes pass none on their command.
    assert env_of(container)["REDISCLI_AUTH"]["valueFrom"]["secretKeyRef"] == {
        "name": "xiaoan-secrets",
        "key": "REDIS_PASSWORD",
    }
    assert "command" not in container, "the image's entrypoint, then redis-server"
    options = redis_options(container["args"])
    assert options.pop("--requirepass") == "$(REDISCLI_AUTH)"
    max_memory = options.pop("--maxmemory")
    assert options == REDIS_OPTIONS
    # At most half the limit: the fork that rewrites the append-only file may copy every page.
    limit = container["resources"]["limits"]["memory"]
    assert re.fullmatch(r"\d+mb", max_memory)
    assert re.fullmatch(r"\d+Gi", limit)
    assert int(max_memory[:-2]) * 2 <= int(limit[:-2]) * 1024
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        check = container[probe]["exec"]["command"]
        assert check[0] == "redis-cli", probe
        assert "-e" in check, f"{probe}: without -e, redis-cli exits 0 on NOAUTH"
        assert not {"-a", "--pass", "--user", "--askpass"} & set(check), probe
    pod = stateful_set["spec"]["template"]["spec"]
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
    claims = [claim["metadata"]["name"] for claim in stateful_set["spec"]["volumeClaimTemplates"]]
    assert claims == ["data"]


# ------------------------------------------------------------------ secrets


def secret_key_refs(resources: list[dict[str, Any]]) -> set[tuple[str, str]]:
    found = set()
    for resource in resources:
        if resource["kind"] in ("Deployment", "StatefulSet"):
            for variable in container_of(resource).get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    found.add((reference["name"], reference["key"]))
    return found


def test_secrets_example_has_every_referenced_key(resources: list[dict[str, Any]]) -> None:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert "secrets.example.yaml" not in kustomization["resources"]
    examples = {
        document["metadata"]["name"]: document["stringData"]
        for document in yaml.safe_load_all((BASE / "secrets.example.yaml").read_text())
    }
    for name, key in secret_key_refs(resources):
        assert key in examples.get(name, {}), f"secrets.example.yaml lacks {name}/{key}"
    for name, data in examples.items():
        for key, value in data.items():
            if re.search(r"PASSWORD|SECRET|\.pem$", key):
                assert "PLACEHOLDER" in value, f"{name}/{key} must be a placeholder"
    assert set(examples["xiaoan-jwt"]) == {"jwt-private.pem", "jwt-public.pem"}


def test_secret_keys_match_the_compose_env_file(resources: list[dict[str, Any]]) -> None:
    """One .env serves both: `kubectl create secret generic xiaoan-secrets --from-env-file=.env`."""
    example = ROOT / "deploy" / "docker" / "env.example"
    variables = {
        line.partition("=")[0]
        for line in example.read_text().splitlines()
        if line and not line.startswith("#")
    }
    keys = {key for name, key in secret_key_refs(resources) if name == "xiaoan-secrets"}
    assert keys == variables
