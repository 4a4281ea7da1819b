#!/usr/bin/env bash
# Ensure the pinned schemathesis (the OpenAPI fuzzer the API's fuzz test runs) is installed in a
# virtualenv of its own under the cache dir, from PyPI. Idempotent and safe to run concurrently.
# Prints exactly one line to stdout: SCHEMATHESIS=<path of its `st` command>. Progress goes to stderr.
#
# Env: CORVUS_HOME (default $HOME/.cache/corvus)
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
CORVUS_HOME="${CORVUS_HOME:-$HOME/.cache/corvus}"
VENV="$CORVUS_HOME/schemathesis-$SCHEMATHESIS_VERSION"
ST="$VENV/bin/st"

log() { printf '[fuzz/ensure] %s\n' "$*" >&2; }

mkdir -p "$CORVUS_HOME"
exec {LOCK_FD}>"$CORVUS_HOME/schemathesis.lock"
flock "$LOCK_FD"

# The marker is written last: an install cut short is redone, not trusted.
if [[ ! -f "$VENV/.installed" ]]; then
  command -v python3 >/dev/null || { log "ERROR: python3 is required"; exit 1; }
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  touch "$VENV/.installed"
fi
"$ST" --version >&2
echo "SCHEMATHESIS=$ST"
