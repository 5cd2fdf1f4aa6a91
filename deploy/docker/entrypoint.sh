#!/usr/bin/env bash
# Start one Xiaoan service inside its container: `python -m services.<service>.main`.
#
# XIAOAN_SERVICE is baked into the image from the build argument SERVICE. The service's settings
# carry its own prefix (GRID_REGISTRY_HOST, ...), and the host defaults to 127.0.0.1, which no
# other container could reach; so <PREFIX>_HOST is set to 0.0.0.0 here unless already given.
set -euo pipefail

service=${XIAOAN_SERVICE:-}
# The name becomes part of a variable name and of a module path: allow only a package name.
if [[ ! $service =~ ^[a-z][a-z0-9_]*$ ]]; then
  echo "xiaoan-entrypoint: XIAOAN_SERVICE='$service' is not a service name" \
    "(build the image with --build-arg SERVICE=<service>)" >&2
  exit 64
fi

host_var=${service^^}_HOST
export "$host_var=${!host_var:-0.0.0.0}"

exec python -m "services.$service.main" "$@"
