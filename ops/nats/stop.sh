#!/usr/bin/env bash
# Stop the local 3-node NATS cluster started by ops/nats/ensure.sh.
# Graceful: SIGTERM, wait up to CORVUS_NATS_STOP_TIMEOUT (default 30) seconds,
# then SIGKILL. Idempotent (stopping a stopped cluster is a no-op).
#
# Usage: ops/nats/stop.sh [--wipe]
#   --wipe   also delete the run dir ($CORVUS_HOME/run/nats): configs, logs,
#            pid files and all JetStream data.
set -euo pipefail

CORVUS_HOME="${CORVUS_HOME:-$HOME/.cache/corvus}"
RUN_DIR="$CORVUS_HOME/run/nats"
STOP_TIMEOUT="${CORVUS_NATS_STOP_TIMEOUT:-30}"
NODES=(1 2 3)

wipe=0
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--wipe]" >&2; exit 2 ;;
  esac
done

log() { printf '[nats/stop] %s\n' "$*" >&2; }

alive() {  # pid -> running and not a zombie
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

is_our_server() {  # pid conf
  local pid=$1 conf=$2 cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *nats-server* && "$cmdline" == *"$conf"* ]]
}

node_pid() {  # i -> pid of running node n<i>, or fail
  local i=$1 pidf="$RUN_DIR/n$1.pid" conf="$RUN_DIR/n$1.conf" pid
  if [[ -f "$pidf" ]]; then
    pid=$(tr -dc '0-9' <"$pidf" || true)
    if is_our_server "$pid" "$conf"; then echo "$pid"; return 0; fi
  fi
  pid=$(pgrep -f -- "nats-server -c $conf\$" 2>/dev/null | head -n1 || true)
  if [[ -n "$pid" ]] && is_our_server "$pid" "$conf"; then echo "$pid"; return 0; fi
  return 1
}

declare -A pids=()
for i in "${NODES[@]}"; do
  if pid=$(node_pid "$i"); then
    pids[$i]=$pid
    log "stopping n$i (pid $pid) with SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
  else
    log "n$i not running"
  fi
done

deadline=$((SECONDS + STOP_TIMEOUT))
for i in "${!pids[@]}"; do
  pid=${pids[$i]}
  while alive "$pid" && (( SECONDS < deadline )); do
    sleep 0.2
  done
  if alive "$pid" && is_our_server "$pid" "$RUN_DIR/n$i.conf"; then
    log "n$i (pid $pid) still running after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$RUN_DIR/n$i.pid"
  log "n$i stopped"
done

if (( wipe )); then
  if [[ -d "$RUN_DIR" ]]; then
    rm -rf -- "$RUN_DIR"
    log "wiped $RUN_DIR"
  fi
fi
