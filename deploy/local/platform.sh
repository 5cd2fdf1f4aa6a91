#!/usr/bin/env bash
# Run the whole platform on this machine: the servers (infra.sh, profile run), the seven
# services as processes, and the demo county.
#
# usage: deploy/local/platform.sh start|stop|status
#
# Ports default to 8000-8006 and follow <SERVICE>_PORT (e.g. COMMAND_CENTRE_PORT=9000).
# `stop` ends only the processes whose PID files this script wrote, then the servers.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${XIAOAN_STATE_DIR:-$ROOT/.local}/run
RUN=$STATE/run/services
LOGS=$STATE/log/services
PYTHON=$ROOT/.venv/bin/python

# name:env-prefix:default port. Consumers start first so that their queues exist before the
# registry announces the demo county.
SERVICES=(
  command_centre:COMMAND_CENTRE:8000
  notifications:NOTIFICATIONS:8005
  agency_integration:AGENCY_INTEGRATION:8006
  hazard_cases:HAZARD_CASES:8004
  hazard_intake:HAZARD_INTAKE:8002
  media_storage:MEDIA_STORAGE:8003
  grid_registry:GRID_REGISTRY:8001
)

log() { printf '[platform] %s\n' "$*" >&2; }
die() { printf '[platform] error: %s\n' "$*" >&2; exit 1; }

port_of() {
  local prefix=$1 default=$2 var=${1}_PORT
  echo "${!var:-$default}"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_ready() {
  local name=$1 port=$2 pidfile=$3 deadline=$((SECONDS + 90))
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; do
    alive "$pidfile" || die "$name exited; see $LOGS/$name.log"
    [ $SECONDS -lt $deadline ] || die "$name not ready after 90s; see $LOGS/$name.log"
    sleep 0.3
  done
}

start_service() {
  local name=$1 prefix=$2 port=$3 pidfile=$RUN/$name.pid
  if alive "$pidfile"; then
    log "$name already running (pid $(cat "$pidfile"))"
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is taken by another process; set ${prefix}_PORT to move $name"
  fi
  (
    cd "$ROOT"
    export "${prefix}_PORT=$port"
    nohup "$PYTHON" -m "services.$name.main" >>"$LOGS/$name.log" 2>&1 &
    echo $! > "$pidfile"
  )
}

start() {
  "$ROOT/deploy/local/venv.sh"
  "$ROOT/deploy/local/infra.sh" start --profile run
  # shellcheck disable=SC1091
  . "$STATE/infra.env"
  mkdir -p "$RUN" "$LOGS"
  local cc_port reg_port intake_port media_port
  cc_port=$(port_of COMMAND_CENTRE 8000)
  reg_port=$(port_of GRID_REGISTRY 8001)
  intake_port=$(port_of HAZARD_INTAKE 8002)
  media_port=$(port_of MEDIA_STORAGE 8003)
  export XIAOAN_ENV=dev
  export GRID_REGISTRY_DEMO_DATA=true AGENCY_INTEGRATION_DEMO_DATA=true
  # The browser pages: the command centre's board and intake's phone page (/m/).
  export XIAOAN_CORS_ORIGINS="[\"http://127.0.0.1:$cc_port\",\"http://localhost:$cc_port\",\"http://127.0.0.1:$intake_port\",\"http://localhost:$intake_port\"]"
  export HAZARD_INTAKE_REGISTRY_PUBLIC_URL=${HAZARD_INTAKE_REGISTRY_PUBLIC_URL:-http://127.0.0.1:$reg_port}
  export HAZARD_INTAKE_MEDIA_PUBLIC_URL=${HAZARD_INTAKE_MEDIA_PUBLIC_URL:-http://127.0.0.1:$media_port}
  export GRID_REGISTRY_QR_BASE_URL=${GRID_REGISTRY_QR_BASE_URL:-http://127.0.0.1:$intake_port/q}
  export COMMAND_CENTRE_TOKEN_URL=${COMMAND_CENTRE_TOKEN_URL:-http://127.0.0.1:$reg_port/v1/auth/token}
  export COMMAND_CENTRE_CASES_PUBLIC_URL=${COMMAND_CENTRE_CASES_PUBLIC_URL:-http://127.0.0.1:$(port_of HAZARD_CASES 8004)}
  export COMMAND_CENTRE_MEDIA_PUBLIC_URL=${COMMAND_CENTRE_MEDIA_PUBLIC_URL:-http://127.0.0.1:$media_port}

  local entry name prefix default
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name prefix default <<<"$entry"
    [ "$name" = grid_registry ] && continue
    start_service "$name" "$prefix" "$(port_of "$prefix" "$default")"
  done
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name prefix default <<<"$entry"
    [ "$name" = grid_registry ] && continue
    wait_ready "$name" "$(port_of "$prefix" "$default")" "$RUN/$name.pid"
  done
  # The registry last: its demo data must find the other services' queues in place.
  start_service grid_registry GRID_REGISTRY "$reg_port"
  wait_ready grid_registry "$reg_port" "$RUN/grid_registry.pid"
  print_summary "$cc_port" "$reg_port"
}

print_summary() {
  local cc_port=$1 reg_port=$2 intake_port
  intake_port=$(port_of HAZARD_INTAKE 8002)
  cat <<EOF

  校安 Xiaoan is running (dev mode, demo county 示范县).

  Command centre (指挥中心):  http://127.0.0.1:$cc_port/
  Teachers' phone page:       http://127.0.0.1:$intake_port/m/  (printed QR codes open /q/<token>)
  Services:                   command_centre :$cc_port  grid_registry :$reg_port  hazard_intake :$intake_port
                              media_storage :$(port_of MEDIA_STORAGE 8003)  hazard_cases :$(port_of HAZARD_CASES 8004)  notifications :$(port_of NOTIFICATIONS 8005)  agency_integration :$(port_of AGENCY_INTEGRATION 8006)
  API documents:              http://127.0.0.1:<port>/docs
  RabbitMQ console:           http://127.0.0.1:15672/  (guest / guest, local only)
  Logs:                       $LOGS/

  Demo logins (password = username, dev mode only):
    demo-admin    county operator, 示范县教育局 (李建国)
    demo-head     school head, 城关镇第一小学 (张伟)
    demo-teacher  teacher, 城关镇第一小学 (王芳)
    demo-police   agency liaison, 城关派出所

  Report a hazard from the command line and watch it appear on the board:
    TOKEN=\$(curl -s -X POST http://127.0.0.1:$reg_port/v1/auth/token -d 'username=demo-teacher&password=demo-teacher' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s -X POST http://127.0.0.1:$intake_port/v1/reports -H "Authorization: Bearer \$TOKEN" \\
      -H "Idempotency-Key: \$(cat /proc/sys/kernel/random/uuid)" -H 'Content-Type: application/json' \\
      -d '{"point_id":"demo-point-fire-exit","category":"fire","description":"三楼消防通道堆放杂物"}'

  Stop everything with: make stop
EOF
}

stop() {
  local entry name prefix default pidfile pid
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name prefix default <<<"$entry"
    pidfile=$RUN/$name.pid
    if alive "$pidfile"; then
      pid=$(cat "$pidfile")
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  "$ROOT/deploy/local/infra.sh" stop --profile run
}

status() {
  local entry name prefix default pidfile
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name prefix default <<<"$entry"
    pidfile=$RUN/$name.pid
    if alive "$pidfile"; then
      printf '%-19s running (pid %s, port %s)\n' "$name" "$(cat "$pidfile")" "$(port_of "$prefix" "$default")"
    else
      printf '%-19s stopped\n' "$name"
    fi
  done
  "$ROOT/deploy/local/infra.sh" status --profile run
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
