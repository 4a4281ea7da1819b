#!/usr/bin/env bash
# Stop the local Cassandra node started by ops/cassandra/ensure.sh.
# Graceful: SIGTERM (Cassandra drains and flushes), wait up to
# CORVUS_CASSANDRA_STOP_TIMEOUT (default 30) seconds, then SIGKILL.
# Idempotent: stopping a stopped node is a no-op.
#
# Usage: ops/cassandra/stop.sh [--kill] [--wipe]
#   --kill   SIGKILL at once: a crash (no drain, no flush; the commit log is replayed on the
#            next start). For fault tests.
#   --wipe   also delete all data (keyspaces, commit log, caches, hints) in the
#            instance's data dir ($CORVUS_HOME/run/cassandra/data by default); config and
#            logs are kept.
# CORVUS_CASSANDRA_INSTANCE picks the node as in ensure.sh (default: the shared test node).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STOP_TIMEOUT="${CORVUS_CASSANDRA_STOP_TIMEOUT:-30}"

wipe=0
abrupt=0
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    --kill) abrupt=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--kill] [--wipe]" >&2; exit 2 ;;
  esac
done

# One definition of each instance's run dir, pid file and lock: ensure.sh's.
describe="$(bash "$SCRIPT_DIR/ensure.sh" --describe)"
eval "$describe"

if [[ "$INSTANCE" == default ]]; then
  log() { printf '[cassandra/stop] %s\n' "$*" >&2; }
else
  log() { printf '[cassandra/stop %s] %s\n' "$INSTANCE" "$*" >&2; }
fi

mkdir -p "$CORVUS_HOME"
exec {LOCK_FD}>"$LOCK_FILE"
flock -w 120 "$LOCK_FD" || { log "ERROR: could not take lock $LOCK_FILE"; exit 1; }

is_cassandra() {
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'org.apache.cassandra.service.CassandraDaemon'
}

# Our node: the pid file, or (pid file lost) a CassandraDaemon whose command
# line names this run dir's cassandra.yaml.
pids=()
pid="$( [[ -f "$PID_FILE" ]] && tr -dc '0-9' <"$PID_FILE" || true )"
if is_cassandra "$pid"; then
  pids+=("$pid")
fi
for d in /proc/[0-9]*; do
  p="${d#/proc/}"
  [[ "$p" == "$pid" ]] && continue
  if tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "-Dcassandra.config=file://$RUN_DIR/conf/cassandra.yaml" \
     && is_cassandra "$p"; then
    pids+=("$p")
  fi
done

# gone PID -> true once every thread of PID has exited, so its ports and files are released.
# A zombie leader alone is not enough: the JVM's other threads still hold them while they die.
gone() {
  local state tasks
  kill -0 "$1" 2>/dev/null || return 0
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
  tasks=$(ls "/proc/$1/task" 2>/dev/null | wc -l)
  [[ "$state" == Z && "$tasks" -le 1 ]]
}

if ((${#pids[@]} == 0)); then
  log "not running"
elif ((abrupt)); then
  for p in "${pids[@]}"; do
    log "killing Cassandra pid $p (SIGKILL)"
    kill -KILL "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 40); do gone "$p" && break; sleep 0.25; done
    gone "$p" || log "WARNING: pid $p still present 10s after SIGKILL"
  done
  log "killed"
else
  for p in "${pids[@]}"; do
    log "stopping Cassandra pid $p (SIGTERM, up to ${STOP_TIMEOUT}s)"
    kill -TERM "$p" 2>/dev/null || true
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for p in "${pids[@]}"; do
    while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.5
    done
    if kill -0 "$p" 2>/dev/null; then
      log "pid $p still alive after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$p" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    fi
  done
  log "stopped"
fi
rm -f "$PID_FILE"

if ((wipe)); then
  log "wiping $DATA_DIR"
  rm -rf "$DATA_DIR"
fi
