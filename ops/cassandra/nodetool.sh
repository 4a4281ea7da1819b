#!/usr/bin/env bash
# nodetool for the local node of ops/cassandra/ensure.sh (JMX on localhost:17199; the
# instance CORVUS_CASSANDRA_INSTANCE names, as in ensure.sh, otherwise).
#   ops/cassandra/nodetool.sh status | info | tablestats ks.t | flush | ...
set -euo pipefail
describe="$(bash "$(dirname "${BASH_SOURCE[0]}")/ensure.sh" --describe)"
eval "$describe"
[[ -f "$INSTALL_MARKER" ]] || { echo "Cassandra not installed: run ops/cassandra/ensure.sh" >&2; exit 1; }
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/java}"
if [[ -z "$JAVA" ]]; then
  JAVA="$(ls /usr/lib/jvm/java-17-openjdk-*/bin/java 2>/dev/null | head -n1 || true)"
  JAVA="${JAVA:-java}"
fi
# JDK 17 flags from Cassandra's conf/jvm17-clients.options.
exec "$JAVA" -Xmx256m -XX:+UseSerialGC -Djdk.attach.allowAttachSelf=true \
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED \
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED \
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED \
  --add-exports java.sql/java.sql=ALL-UNNAMED \
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED \
  --add-opens java.base/java.lang.module=ALL-UNNAMED \
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED \
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED \
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED \
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED \
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED \
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED \
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens java.base/java.io=ALL-UNNAMED \
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED \
  --add-opens java.base/java.util=ALL-UNNAMED \
  --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
  --add-opens java.base/java.lang=ALL-UNNAMED \
  --add-opens java.base/java.math=ALL-UNNAMED \
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED \
  --add-opens java.base/java.net=ALL-UNNAMED \
  -Dlogback.configurationFile="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/logback-tools.xml" \
  -Dcassandra.logdir="${TMPDIR:-/tmp}" \
  -cp "$LIB_DIR/*" org.apache.cassandra.tools.NodeTool -h "$HOST" -p "$JMX_PORT" "$@"
