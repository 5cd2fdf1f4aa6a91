#!/usr/bin/env bash
# Run every test tier on real servers, as CI does: lint and architecture checks, then unit,
# static, integration and end-to-end tests.
#
# usage: deploy/local/test.sh [pytest arguments]     (e.g. tests/unit -k outbox)
#
# The servers run in the `test` profile (their own ports and data, so `make run` can keep
# going). What this script starts, it stops at the end; servers that were already running
# are left running.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
INFRA=$ROOT/deploy/local/infra.sh
VENV=$ROOT/.venv/bin
cd "$ROOT"

"$ROOT/deploy/local/venv.sh"
"$ROOT/deploy/local/tools.sh" >/dev/null

# The browser tier drives Debian's Chromium (no browser download); a CJK font makes its
# screenshots readable.
if ! dpkg -s chromium fonts-wqy-microhei >/dev/null 2>&1; then
  echo "[test] installing Debian's chromium and a Chinese font for the browser tests" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi

# Read the whole status first: with pipefail, `grep -q` quitting at its first match can make
# the status command die of SIGPIPE, the pipeline fail, and the servers started here outlive
# the run.
infra_status=$("$INFRA" status --profile test)
if grep -q stopped <<<"$infra_status"; then
  trap '"$INFRA" stop --profile test' EXIT
fi
"$INFRA" start --profile test
# shellcheck disable=SC1091
. "$ROOT/.local/test/infra.env"

echo "[test] lint, types and architecture" >&2
"$VENV/ruff" check .
"$VENV/ruff" format --check .
"$VENV/mypy" shared services bench
"$VENV/lint-imports"

echo "[test] pytest" >&2
"$VENV/pytest" "${@:-tests}"
