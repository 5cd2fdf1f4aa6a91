#!/usr/bin/env bash
# Install the tools that check the Kubernetes manifests, and the schemas they check against:
#   kustomize    sigs.k8s.io/kustomize/kustomize/v5, built from the Go module proxy
#   kubeconform  github.com/yannh/kubeconform, built from the Go module proxy
#   schemas      Kubernetes JSON schemas, taken from the PyPI package kubernetes-validate
#
# usage: deploy/local/tools.sh            install what is missing, then print where it all is
#
# Everything goes under ${XIAOAN_CACHE_DIR:-$HOME/.cache/xiaoan}; a second run finds it there and
# only rewrites $CACHE/tools.env, the file the static tests read to find the tools.
#
# Needs Go (1.26 or newer: kustomize v5.8.2 declares `go 1.26.0`) and the project's virtualenv
# with requirements-dev.txt installed (it holds the pinned kubernetes-validate).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${XIAOAN_CACHE_DIR:-$HOME/.cache/xiaoan}
BIN=$CACHE/bin
SCHEMAS=$CACHE/k8s-schemas

# v5.8.3 is newer but declares `go 1.27.0`, which the Go installed here (1.26) refuses to build.
KUSTOMIZE_VERSION=v5.8.2
KUBECONFORM_VERSION=v0.8.0
# Kubernetes versions the manifests are validated against: the oldest release we still expect
# on clusters, and the newest one kubernetes-validate ships schemas for.
K8S_VERSIONS=(1.33.0 1.37.0)
# Bumped when the conversion below changes, so cached schemas from an older one are rebuilt.
SCHEMA_FORMAT=1

PYTHON=${XIAOAN_PYTHON:-$ROOT/.venv/bin/python}

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$BIN"

# ---------------------------------------------------------------- Go tools

# The version a Go binary was built from, as recorded in the binary itself ("" if none).
# kubeconform prints "development" for --version when built with `go install`, so asking the
# tool is no good; the module version Go embeds is exact for both tools.
built_version() {
  local bin=$1 module=$2
  [ -x "$bin" ] || return 0
  go version -m "$bin" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }'
}

# go_tool NAME PACKAGE MODULE VERSION: build PACKAGE@VERSION into $BIN/NAME-VERSION unless it is
# there already, and point $BIN/NAME at it. Versioned file names let two pins live side by side
# and make "already installed" a plain file check.
go_tool() {
  local name=$1 package=$2 module=$3 version=$4
  local target=$BIN/$name-$version
  if [ "$(built_version "$target" "$module")" != "$version" ]; then
    command -v go >/dev/null 2>&1 || die "Go is needed to build $name ($package@$version)"
    log "building $name $version (first run only)"
    local gobin
    gobin=$(mktemp -d "$CACHE/$name-bin.XXXXXX")
    # CGO off: both tools are pure Go, and a static binary does not care which libc it meets.
    if ! CGO_ENABLED=0 GOBIN=$gobin go install -trimpath "$package@$version"; then
      rm -rf "$gobin"
      die "go install $package@$version failed"
    fi
    mv "$gobin/$name" "$target"
    rm -rf "$gobin"
  fi
  ln -sfn "$name-$version" "$BIN/$name"
}

go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 \
  "$KUSTOMIZE_VERSION"
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform github.com/yannh/kubeconform \
  "$KUBECONFORM_VERSION"

# ---------------------------------------------------------------- Kubernetes JSON schemas

# kubeconform fetches schemas from GitHub by default, which this machine (and CI) cannot reach.
# kubernetes-validate (PyPI) ships the same generator's schemas, one folder per Kubernetes
# version ("v1.37.0-local-strict/deployment-apps-v1.json", ...), but each one names itself
# "$id": "https://kubernetes.io/api/..." and points at "/api/_definitions.json#/$defs/...": a ref
# that resolves to a kubernetes.io URL, so kubeconform would try the network and fail. The copy
# made here drops "$id" and makes those refs relative ("_definitions.json#/$defs/..."), so they
# resolve to the _definitions.json file next to each schema.
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || true)
[ -n "$PYTHON" ] || die "no Python found (expected the project's virtualenv at $ROOT/.venv)"
KV_VERSION=$("$PYTHON" -c 'from kubernetes_validate.version import __version__; print(__version__)' \
  2>/dev/null) \
  || die "kubernetes-validate is not installed for $PYTHON: pip install -r requirements-dev.txt"

stamp="kubernetes-validate=$KV_VERSION versions=${K8S_VERSIONS[*]} format=$SCHEMA_FORMAT"
if [ "$(cat "$SCHEMAS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  log "preparing Kubernetes schemas ${K8S_VERSIONS[*]} from kubernetes-validate $KV_VERSION"
  work=$(mktemp -d "$CACHE/k8s-schemas.XXXXXX")
  chmod 755 "$work"  # mktemp makes it private; the schemas are not secret
  # A failed conversion must not leave a half-written folder behind.
  trap 'rm -rf "$work"' EXIT
  "$PYTHON" - "$work" "${K8S_VERSIONS[@]}" <<'PY'
import json
import sys
from importlib.resources import files
from pathlib import Path

out, versions = Path(sys.argv[1]), sys.argv[2:]
shipped = Path(str(files("kubernetes_validate") / "kubernetes-json-schema"))
REMOTE_DEFS = "/api/_definitions.json#"


def relative_refs(node):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REMOTE_DEFS):
            node["$ref"] = ref.removeprefix("/api/")
        for value in node.values():
            relative_refs(value)
    elif isinstance(node, list):
        for value in node:
            relative_refs(value)


for version in versions:
    for flavour in ("local", "local-strict"):
        source = shipped / f"v{version}-{flavour}"
        if not source.is_dir():
            sys.exit(f"kubernetes-validate has no schemas for Kubernetes {version} ({source})")
        target = out / f"v{version}-{flavour}"
        target.mkdir(parents=True)
        count = 0
        for schema_file in source.glob("*.json"):
            schema = json.loads(schema_file.read_text())
            schema.pop("$id", None)
            relative_refs(schema)
            (target / schema_file.name).write_text(json.dumps(schema))
            count += 1
        print(f"[tools] {target.name}: {count} schemas", file=sys.stderr)
PY
  # kubeconform's default --kubernetes-version is "master": let that mean the newest we have.
  newest=v${K8S_VERSIONS[-1]}
  ln -s "$newest-local" "$work/master-local"
  ln -s "$newest-local-strict" "$work/master-local-strict"
  echo "$stamp" > "$work/.stamp"
  rm -rf "$SCHEMAS"
  mv "$work" "$SCHEMAS"
  trap - EXIT
fi

# ---------------------------------------------------------------- where everything is

# A template kubeconform fills in per resource; -strict selects the "-strict" folders, which
# forbid fields the API does not know.
schema_location="$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
env_file=$CACHE/tools.env
# NAME='value' lines: readable by `source` and by Python's shlex alike.
setting() {
  case $2 in *"'"*) die "cannot write $1: its value has a single quote: $2" ;; esac
  printf "%s='%s'\n" "$1" "$2"
}
{
  echo "# Written by deploy/local/tools.sh; read by tests/static."
  setting KUSTOMIZE "$BIN/kustomize-$KUSTOMIZE_VERSION"
  setting KUSTOMIZE_VERSION "$KUSTOMIZE_VERSION"
  setting KUBECONFORM "$BIN/kubeconform-$KUBECONFORM_VERSION"
  setting KUBECONFORM_VERSION "$KUBECONFORM_VERSION"
  setting KUBECONFORM_SCHEMA_LOCATION "$schema_location"
  setting K8S_VERSIONS "${K8S_VERSIONS[*]}"
} > "$env_file.tmp"
mv "$env_file.tmp" "$env_file"

cat "$env_file"
log "tools ready; the static tests read $env_file"
