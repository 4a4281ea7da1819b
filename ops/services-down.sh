#!/usr/bin/env bash
# Stops the test services started by services-up.sh; pass --wipe to delete their data too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/nats/stop.sh" "$@"
bash "$here/cassandra/stop.sh" "$@"
