#!/usr/bin/env bash
# Run the benchmarks on the real servers (test profile) and print their table.
# Servers this script starts, it stops at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
INFRA=$ROOT/deploy/local/infra.sh
cd "$ROOT"

"$ROOT/deploy/local/venv.sh"
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
"$ROOT/.venv/bin/python" -m bench.run
"$ROOT/.venv/bin/python" -m bench.intake_throughput
"$ROOT/.venv/bin/python" -m bench.case_pipeline
"$ROOT/.venv/bin/python" -m bench.case_queries
"$ROOT/.venv/bin/python" -m bench.registry_lookup
"$ROOT/.venv/bin/python" -m bench.media_memory
