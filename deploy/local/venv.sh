#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv) from the pinned requirements.
# Re-installs only when requirements*.txt changed since the last install.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$ROOT/.venv
STAMP=$VENV/.requirements.sha256

want=$(cat "$ROOT"/requirements*.txt | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "[venv] Python 3.11 or newer is needed (found $("$PYTHON" --version))" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  echo "[venv] creating $VENV" >&2
  "$PYTHON" -m venv "$VENV" || {
    # Debian's python3 without the venv module
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq python3-venv >/dev/null; else sudo apt-get install -y -qq python3-venv >/dev/null; fi
    "$PYTHON" -m venv "$VENV"
  }
fi
echo "[venv] installing pinned requirements" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
echo "$want" > "$STAMP"
