#!/usr/bin/env bash
# Ensure ONE local Apache Cassandra 5.0 node (loopback only) is installed and running.
#
# Idempotent:
#   - installs cassandra-all + runtime jars from Maven Central (via mvn and
#     ops/cassandra/pom.xml) into $CORVUS_HOME/cassandra-<version>/lib if missing;
#   - if the node from the pid file is alive and answers CQL, does nothing;
#   - otherwise writes config into $CORVUS_HOME/run/cassandra/conf, starts the
#     node fully detached (own session, no inherited stdio or fds) and waits
#     until the native port answers a CQL query.
# Then prints exactly one line to stdout:
#   CASSANDRA_CONTACT_POINTS=127.0.0.1:19042
# All progress and diagnostics go to stderr.
#
# Instances: CORVUS_CASSANDRA_INSTANCE picks which node (default: the shared test node above).
#   durability  a second, independent node for fault tests (CQL 19142, storage 17100, ssl 17101,
#               JMX 17299, run dir $CORVUS_HOME/run/cassandra-durability, heap 768M); tests may
#               stop and kill it without touching the shared node. Same jars, own lock.
#
# Usage: ensure.sh              ensure the node runs (above)
#        ensure.sh --describe   print the instance's settings as shell assignments and exit
#                               (no lock, no install, no start; used by stop.sh and nodetool.sh)
#
# Env: CORVUS_HOME                    (default $HOME/.cache/corvus)
#      CORVUS_CASSANDRA_INSTANCE      (default | durability; default "default")
#      CORVUS_CASSANDRA_READY_TIMEOUT (seconds, default 180)
#      CORVUS_CASSANDRA_HEAP          (JVM -Xms/-Xmx, default 1G; 768M for "durability")
#      CORVUS_CASSANDRA_JVM_OPTS      (extra JVM options, space-separated; used on start)
#      JAVA_HOME                      (optional; a JDK 17 is looked for otherwise)
set -euo pipefail

# Pinned: newest 5.0.x of org.apache.cassandra:cassandra-all on Maven Central.
CASSANDRA_VERSION="5.0.9"

HOST="127.0.0.1"
DATACENTER="datacenter1" # what SimpleSnitch reports
INSTANCE="${CORVUS_CASSANDRA_INSTANCE:-default}"
# Every instance has its own ports, cluster name, run dir and lock, so two never meet: each
# node's only seed is its own storage port, and a different cluster name refuses any gossip.
case "$INSTANCE" in
  default)
    CQL_PORT=19042
    STORAGE_PORT=17000
    SSL_STORAGE_PORT=17001
    JMX_PORT=17199          # bound to localhost only (cassandra.jmx.local.port)
    CLUSTER_NAME="corvus-test"
    RUN_NAME="cassandra"
    DEFAULT_HEAP="1G"
    LOG_TAG=""
    ;;
  durability)
    CQL_PORT=19142
    STORAGE_PORT=17100
    SSL_STORAGE_PORT=17101
    JMX_PORT=17299
    CLUSTER_NAME="corvus-durability"
    RUN_NAME="cassandra-durability"
    # Runs beside the shared node on a 2-core box: small heap, little data.
    DEFAULT_HEAP="768M"
    LOG_TAG=" $INSTANCE"
    ;;
  *)
    printf '[cassandra/ensure] ERROR: unknown CORVUS_CASSANDRA_INSTANCE %q (known: default, durability)\n' "$INSTANCE" >&2
    exit 2
    ;;
esac
READY_TIMEOUT="${CORVUS_CASSANDRA_READY_TIMEOUT:-180}"
HEAP="${CORVUS_CASSANDRA_HEAP:-$DEFAULT_HEAP}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CORVUS_HOME="${CORVUS_HOME:-$HOME/.cache/corvus}"
INSTALL_DIR="$CORVUS_HOME/cassandra-$CASSANDRA_VERSION"
LIB_DIR="$INSTALL_DIR/lib"
INSTALL_MARKER="$INSTALL_DIR/.installed"
RUN_DIR="$CORVUS_HOME/run/$RUN_NAME"
CONF_DIR="$RUN_DIR/conf"
DATA_DIR="$RUN_DIR/data"
LOG_DIR="$RUN_DIR/logs"
PID_FILE="$RUN_DIR/cassandra.pid"
OUT_FILE="$RUN_DIR/cassandra.out"
SYSTEM_LOG="$LOG_DIR/system.log"

LOCK_FILE="$CORVUS_HOME/$RUN_NAME.lock"

case "${1:-}" in
  "") ;;
  --describe)
    for name in INSTANCE HOST CQL_PORT STORAGE_PORT SSL_STORAGE_PORT JMX_PORT CLUSTER_NAME CORVUS_HOME RUN_DIR DATA_DIR PID_FILE LOCK_FILE LIB_DIR INSTALL_MARKER; do
      printf '%s=%q\n' "$name" "${!name}"
    done
    exit 0
    ;;
  *) echo "usage: $0 [--describe]" >&2; exit 2 ;;
esac

log() { printf '[cassandra/ensure%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

dump_logs() {
  if [[ -s "$SYSTEM_LOG" ]]; then
    log "---- last 60 lines of $SYSTEM_LOG ----"
    tail -n 60 "$SYSTEM_LOG" >&2 || true
  fi
  if [[ -s "$OUT_FILE" ]]; then
    log "---- last 20 lines of $OUT_FILE ----"
    tail -n 20 "$OUT_FILE" >&2 || true
  fi
}

mkdir -p "$CORVUS_HOME" "$RUN_DIR"

# Serialise concurrent ensure.sh/stop.sh runs of this instance (the lock fd is closed in the server).
exec {LOCK_FD}>"$LOCK_FILE"
flock -w 900 "$LOCK_FD" || die "could not take lock $LOCK_FILE within 900s"

# ------------------------------------------------------------------ java
find_java() {
  local cand ver
  for cand in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/java-17-openjdk-*/bin/java "$(command -v java || true)"; do
    [[ -n "$cand" && -x "$cand" ]] || continue
    ver=$("$cand" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
    if [[ "$ver" == "17" ]]; then
      printf '%s\n' "$cand"
      return 0
    fi
  done
  return 1
}
JAVA="$(find_java)" || die "Cassandra 5.0 needs a JDK 17 (set JAVA_HOME or apt-get install openjdk-17-jdk-headless)"

# ------------------------------------------------------------------ install
install_jars() {
  command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install maven); needed once to fetch the Cassandra jars"
  log "installing Apache Cassandra $CASSANDRA_VERSION jars from Maven Central into $LIB_DIR"
  local t0=$SECONDS partial="$INSTALL_DIR/lib.partial"
  rm -rf "$partial" "$LIB_DIR" "$INSTALL_MARKER"
  mkdir -p "$partial"
  local mvn_log="$INSTALL_DIR/mvn.log"
  if ! mvn -B -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" \
      -Dcassandra.version="$CASSANDRA_VERSION" \
      -DincludeScope=runtime \
      -DoutputDirectory="$partial" \
      dependency:copy-dependencies </dev/null >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2 || true
    rm -rf "$partial"
    die "mvn dependency:copy-dependencies failed (full log: $mvn_log)"
  fi
  [[ -f "$partial/cassandra-all-$CASSANDRA_VERSION.jar" ]] || die "cassandra-all-$CASSANDRA_VERSION.jar missing after mvn"
  mv "$partial" "$LIB_DIR"
  printf 'cassandra-all %s\njars %s\ninstalled %s\n' "$CASSANDRA_VERSION" \
    "$(ls "$LIB_DIR"/*.jar | wc -l)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$INSTALL_MARKER"
  log "installed $(ls "$LIB_DIR"/*.jar | wc -l) jars in $((SECONDS - t0))s"
}
# Instances share the jars but not the instance lock: installing takes a lock of its own.
exec {INSTALL_LOCK_FD}>"$INSTALL_DIR.install.lock"
flock -w 900 "$INSTALL_LOCK_FD" || die "could not take lock $INSTALL_DIR.install.lock within 900s"
[[ -f "$INSTALL_MARKER" && -d "$LIB_DIR" ]] || install_jars
exec {INSTALL_LOCK_FD}>&-

# ------------------------------------------------------------------ probes
# is_our_cassandra PID -> true when PID is a live CassandraDaemon JVM.
is_our_cassandra() {
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'org.apache.cassandra.service.CassandraDaemon'
}

read_pid() { [[ -f "$PID_FILE" ]] && tr -dc '0-9' <"$PID_FILE" || true; }

port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null; }

NODE_BIN="$(command -v node || true)"
DRIVER_OK=0
if [[ -n "$NODE_BIN" && -d "$REPO_ROOT/node_modules/cassandra-driver" ]]; then
  DRIVER_OK=1
fi

# cql_ready -> true when the node answers `SELECT release_version FROM system.local`
# (through cassandra-driver when installed; otherwise port open + log line).
cql_ready() {
  port_open "$CQL_PORT" || return 1
  if [[ "$DRIVER_OK" == 1 ]]; then
    timeout 20 "$NODE_BIN" "$SCRIPT_DIR/wait-ready.mjs" "$HOST:$CQL_PORT" "$DATACENTER" >/dev/null 2>&1
  else
    grep -qE 'Starting listening for CQL clients|Startup complete' "$SYSTEM_LOG" 2>/dev/null
  fi
}

# listener_pid PORT -> pid of the process listening on PORT (if visible).
listener_pid() {
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true
}

# alive PID -> true while PID exists and is not a zombie (a server we started
# stays our child until this script exits, so its exit leaves a zombie).
alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z ]]
}

wait_ready() {
  local pid=$1 deadline=$((SECONDS + READY_TIMEOUT))
  log "waiting up to ${READY_TIMEOUT}s for CQL on $HOST:$CQL_PORT (pid $pid)"
  while ((SECONDS < deadline)); do
    # Only liveness here: right after the fork the pid is still a bash subshell.
    if ! alive "$pid"; then
      log "Cassandra (pid $pid) exited during startup"
      dump_logs
      rm -f "$PID_FILE"
      exit 1
    fi
    if cql_ready; then
      return 0
    fi
    sleep 1
  done
  log "Cassandra did not answer CQL on $HOST:$CQL_PORT within ${READY_TIMEOUT}s (pid $pid still running; see ops/cassandra/stop.sh)"
  dump_logs
  exit 1
}

done_ok() {
  printf 'CASSANDRA_CONTACT_POINTS=%s:%s\n' "$HOST" "$CQL_PORT"
  exit 0
}

# ------------------------------------------------------------------ already running?
pid="$(read_pid)"
if is_our_cassandra "$pid"; then
  if cql_ready; then
    log "already running (pid $pid), CQL ready on $HOST:$CQL_PORT"
    done_ok
  fi
  # Alive but not (yet) answering: starting up, or being slow. Wait for it.
  wait_ready "$pid"
  log "ready (pid $pid)"
  done_ok
fi
rm -f "$PID_FILE"

# Somebody else on our ports? Adopt a CassandraDaemon that answers CQL
# (e.g. started before the run dir was deleted); refuse anything else.
for port in "$CQL_PORT" "$STORAGE_PORT" "$JMX_PORT"; do
  if port_open "$port"; then
    other="$(listener_pid "$port")"
    if [[ "$port" == "$CQL_PORT" && -n "$other" ]] && is_our_cassandra "$other" && cql_ready; then
      log "WARNING: adopting CassandraDaemon pid $other already answering on $HOST:$CQL_PORT (no pid file)"
      echo "$other" >"$PID_FILE"
      done_ok
    fi
    die "port $port on $HOST is already in use by ${other:+pid $other: }$( [[ -n "$other" ]] && tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null | cut -c1-200 )"
  fi
done

# ------------------------------------------------------------------ config
mkdir -p "$CONF_DIR/triggers" "$LOG_DIR" "$DATA_DIR"/{data,commitlog,saved_caches,hints,cdc_raw}

cat >"$CONF_DIR/cassandra.yaml" <<EOF
# Generated by ops/cassandra/ensure.sh -- edits are overwritten on the next start.
# Single-node dev/test Cassandra $CASSANDRA_VERSION, loopback only.
cluster_name: '$CLUSTER_NAME'
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$HOST:$STORAGE_PORT"
listen_address: $HOST
storage_port: $STORAGE_PORT
ssl_storage_port: $SSL_STORAGE_PORT
rpc_address: $HOST
start_native_transport: true
native_transport_port: $CQL_PORT

data_file_directories:
  - $DATA_DIR/data
commitlog_directory: $DATA_DIR/commitlog
saved_caches_directory: $DATA_DIR/saved_caches
hints_directory: $DATA_DIR/hints
cdc_raw_directory: $DATA_DIR/cdc_raw

# A fresh single node: use the 5.0 storage format, no 4.x compatibility.
storage_compatibility_mode: NONE

authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer

# A write is acknowledged only after the commit log holding it is fsynced (concurrent writes
# share one fsync): the storage consumer acknowledges JetStream after Cassandra does, so an
# acknowledged write must survive a crash. Measured here: "group" with a 10ms window capped
# writes at ~790/s whatever the concurrency; "batch" reached ~3,400/s with 1,024 in flight.
commitlog_sync: batch
# Corvus writes one partition's events as unlogged batches of up to 40 KiB.
batch_size_warn_threshold: 64KiB
commitlog_segment_size: 32MiB
commitlog_total_space: 1024MiB

# Keep tests fast: no snapshots on TRUNCATE/DROP, no hints for a single node.
auto_snapshot: false
hinted_handoff_enabled: false

# Small dev box (2 cores).
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 4
concurrent_materialized_view_writes: 4
concurrent_compactors: 1
memtable_flush_writers: 1
native_transport_max_threads: 32

read_request_timeout: 10000ms
range_request_timeout: 20000ms
write_request_timeout: 5000ms
request_timeout: 20000ms
EOF

cat >"$CONF_DIR/logback.xml" <<EOF
<!-- Generated by ops/cassandra/ensure.sh -->
<configuration scan="false">
  <appender name="SYSTEMLOG" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>$LOG_DIR/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>$LOG_DIR/system.log.%i.zip</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>5</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <!-- stdout goes to cassandra.out; only warnings there, the full log is system.log -->
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter">
      <level>WARN</level>
    </filter>
    <encoder>
      <pattern>%-5level %date{ISO8601} %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="org.apache.cassandra.audit" additivity="false" level="OFF"/>
  <root level="INFO">
    <appender-ref ref="SYSTEMLOG"/>
    <appender-ref ref="STDOUT"/>
  </root>
</configuration>
EOF

# JVM options: jvm-server.options + jvm17-server.options of Cassandra 5.0, trimmed
# for a small dev node (no AlwaysPreTouch/NUMA), plus what cassandra-env.sh adds.
JVM_OPTS=(
  -Xms"$HEAP" -Xmx"$HEAP"
  -ea -da:net.openhft...
  -XX:+UseThreadPriorities
  -Xss256k
  -XX:+UseTLAB -XX:+ResizeTLAB
  -Djava.net.preferIPv4Stack=true
  -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
  -XX:G1RSetUpdatingPauseTimePercent=5 -XX:MaxGCPauseMillis=300
  -XX:InitiatingHeapOccupancyPercent=70
  -XX:+CrashOnOutOfMemoryError -XX:ErrorFile="$LOG_DIR/hs_err_%p.log"
  -Djdk.attach.allowAttachSelf=true
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true
  -Dio.netty.allocator.useCacheForAllThreads=true
  -Dio.netty.allocator.maxOrder=11
  -javaagent:"$(ls "$LIB_DIR"/jamm-*.jar | head -n1)"
  # JMX on localhost only (nodetool: ops/cassandra/nodetool.sh).
  -Dcassandra.jmx.local.port="$JMX_PORT"
  -Djava.rmi.server.hostname="$HOST"
  -Dcom.sun.management.jmxremote.authenticate=false
  # Single node: do not wait for gossip to settle.
  -Dcassandra.skip_wait_for_gossip_to_settle=0
  -Dcassandra.superuser_setup_delay_ms=0
  # Single node: nobody to announce a shutdown to (saves ~2 s on stop).
  -Dcassandra.shutdown_announce_in_ms=0
  -Dcassandra.config="file://$CONF_DIR/cassandra.yaml"
  -Dlogback.configurationFile="$CONF_DIR/logback.xml"
  -Dcassandra.logdir="$LOG_DIR"
  -Dcassandra.triggers_dir="$CONF_DIR/triggers"
  -Dcassandra.storagedir="$DATA_DIR"
  -Dcassandra-pidfile="$PID_FILE"
  -Dcassandra-foreground=yes
)
# Extra JVM options for experiments, word-split: CORVUS_CASSANDRA_JVM_OPTS="-Dfoo=1 -Dbar=2".
if [[ -n "${CORVUS_CASSANDRA_JVM_OPTS:-}" ]]; then
  read -r -a extra_opts <<<"$CORVUS_CASSANDRA_JVM_OPTS"
  JVM_OPTS+=("${extra_opts[@]}")
fi
printf '%s\n' "${JVM_OPTS[@]}" >"$CONF_DIR/jvm.options"   # for reference only

CLASSPATH="$CONF_DIR:$LIB_DIR/*"

# ------------------------------------------------------------------ start
log "starting Cassandra $CASSANDRA_VERSION (cluster '$CLUSTER_NAME', CQL $HOST:$CQL_PORT, storage $HOST:$STORAGE_PORT, JMX localhost:$JMX_PORT)"
log "data: $DATA_DIR  logs: $SYSTEM_LOG  stdout: $OUT_FILE"
printf '\n==== %s ensure.sh starting Cassandra %s ====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$CASSANDRA_VERSION" >>"$OUT_FILE"
start_t=$SECONDS
(
  # Never hand the caller's pipes or any other fd (e.g. our lock) to the server.
  cd "$RUN_DIR"
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  exec setsid nohup "$JAVA" "${JVM_OPTS[@]}" -cp "$CLASSPATH" org.apache.cassandra.service.CassandraDaemon
) </dev/null >>"$OUT_FILE" 2>&1 &
pid=$!
echo "$pid" >"$PID_FILE"

wait_ready "$pid"
log "ready in $((SECONDS - start_t))s (pid $pid)"
done_ok
