#!/usr/bin/env bash
# Makes sure the test services run: the 3-node NATS JetStream cluster and one Cassandra node.
# Both are installed when missing and started detached; each script waits for readiness and
# fails with its server's log tail. They run side by side (the NATS build and the Cassandra
# download overlap). Prints NATS_URL=... and CASSANDRA_CONTACT_POINTS=... on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

bash "$here/nats/ensure.sh" >"$out/nats.out" 2>"$out/nats.err" </dev/null &
nats_pid=$!
bash "$here/cassandra/ensure.sh" >"$out/cassandra.out" 2>"$out/cassandra.err" </dev/null &
cassandra_pid=$!

status=0
wait "$nats_pid" || { status=1; echo "ops: NATS did not come up:" >&2; cat "$out/nats.err" >&2; }
wait "$cassandra_pid" || { status=1; echo "ops: Cassandra did not come up:" >&2; cat "$out/cassandra.err" >&2; }
[ "$status" -eq 0 ] || exit 1
cat "$out/nats.out" "$out/cassandra.out"
