#!/usr/bin/env bash
# Ensure a headless-capable Chromium for the console's end-to-end tests (issue 8): Debian's
# `chromium` package, installed with apt-get when /usr/bin/chromium is missing. Idempotent and
# safe to run concurrently. Prints exactly one line to stdout: CHROMIUM=<path>. Progress goes to
# stderr; anything that leaves no working Chromium exits non-zero with the reason.
#
# Env: CORVUS_CHROMIUM (a Chromium to use instead; must exist and run), CORVUS_HOME (default
# $HOME/.cache/corvus, where the install lock lives)
set -euo pipefail

CORVUS_HOME="${CORVUS_HOME:-$HOME/.cache/corvus}"
CHROMIUM="${CORVUS_CHROMIUM:-/usr/bin/chromium}"

log() { printf '[ui/ensure-chromium] %s\n' "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

works() { "$1" --version >/dev/null 2>&1; }

if [[ -n "${CORVUS_CHROMIUM:-}" ]]; then
  [[ -x "$CHROMIUM" ]] || fail "CORVUS_CHROMIUM=$CHROMIUM is not an executable file"
  works "$CHROMIUM" || fail "CORVUS_CHROMIUM=$CHROMIUM does not run ($CHROMIUM --version failed)"
  log "$("$CHROMIUM" --version 2>/dev/null)"
  echo "CHROMIUM=$CHROMIUM"
  exit 0
fi

mkdir -p "$CORVUS_HOME"
exec {LOCK_FD}>"$CORVUS_HOME/chromium.lock"
flock "$LOCK_FD"

if [[ ! -x "$CHROMIUM" ]]; then
  command -v apt-get >/dev/null || fail "$CHROMIUM is missing and there is no apt-get to install Debian's chromium package (set CORVUS_CHROMIUM to a Chromium binary)"
  SUDO=()
  if [[ "$(id -u)" != "0" ]]; then
    command -v sudo >/dev/null || fail "$CHROMIUM is missing; installing it needs root (or sudo): apt-get install chromium"
    SUDO=(sudo -n)
  fi
  export DEBIAN_FRONTEND=noninteractive
  install() { "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium >&2; }
  log "installing Debian's chromium with apt-get"
  if ! install; then
    # The package lists may be missing or stale on a fresh machine: refresh them once.
    log "apt-get install failed; running apt-get update once and retrying"
    "${SUDO[@]}" apt-get update -q >&2 || fail "apt-get update failed"
    install || fail "apt-get install chromium failed"
  fi
  [[ -x "$CHROMIUM" ]] || fail "apt-get installed chromium but $CHROMIUM is still missing"
fi

works "$CHROMIUM" || fail "$CHROMIUM does not run ($CHROMIUM --version failed)"
log "$("$CHROMIUM" --version 2>/dev/null)"
echo "CHROMIUM=$CHROMIUM"
