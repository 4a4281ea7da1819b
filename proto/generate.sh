#!/usr/bin/env bash
# Generates TypeScript for every .proto under proto/ into proto/gen/ with buf + ts-proto
# (buf.yaml, buf.gen.yaml). Run by `npm run proto:gen` before start and test; never edit gen/.
set -euo pipefail

proto_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$proto_dir")"
buf="$repo_dir/node_modules/.bin/buf"
plugin="$repo_dir/node_modules/.bin/protoc-gen-ts_proto"

fail() { echo "proto:gen: $*" >&2; exit 1; }
[[ -x "$buf" ]] || fail "missing $buf (run npm ci)"
[[ -x "$plugin" ]] || fail "missing $plugin (run npm ci)"

cd "$proto_dir"
# buf resolves the plugin's relative `local:` path from here, and the module root is here.
"$buf" lint || fail "buf lint failed (see above)"

# Generate into a scratch directory, then replace gen/ only if something changed: a run with
# unchanged contracts leaves gen/ untouched (no mtime churn for watchers, no window in which
# a concurrently running tsc or vitest sees a half-written gen/).
scratch="$(mktemp -d "$proto_dir/.gen-tmp.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
"$buf" generate --output "$scratch" || fail "buf generate failed (see above)"
[[ -d "$scratch/gen" ]] || fail "buf generate wrote nothing to gen/"

if [[ -d gen ]] && diff -rq gen "$scratch/gen" >/dev/null 2>&1; then
  echo "proto:gen: proto/gen is up to date"
  exit 0
fi
rm -rf gen.old
[[ -d gen ]] && mv gen gen.old
mv "$scratch/gen" gen
rm -rf gen.old
echo "proto:gen: regenerated proto/gen ($(find gen -name '*.ts' | wc -l) files)"
