#!/bin/sh
# Starts the app on Databricks Apps (app.yaml runs `sh start.sh` in this folder).
#
# deploy/pack-binary.sh uploads the server gzip-compressed in parts, because the platform rejects
# app files over 10 MB. This script joins and unpacks them into a temporary file, checks the
# SHA-256, then replaces itself with `app-server serve` (exec), so SIGTERM reaches the server.
set -eu
cd "$(dirname "$0")"

fail() {
    echo "start.sh: $*" >&2
    exit 1
}

[ -f bin/app-server.gz.part-aa ] && [ -f bin/app-server.sha256 ] ||
    fail "bin/app-server.gz.part-* or bin/app-server.sha256 is missing: run deploy/build.sh, then deploy again"

unpacked=$(mktemp "${TMPDIR:-/tmp}/app-server.XXXXXX")
cat bin/app-server.gz.part-* | gzip -dc >"$unpacked" ||
    fail "bin/app-server.gz.part-* could not be unpacked: run deploy/build.sh, then deploy again"
expected=$(cat bin/app-server.sha256)
actual=$(sha256sum <"$unpacked" | cut -d ' ' -f 1)
[ "$expected" = "$actual" ] ||
    fail "the unpacked binary's SHA-256 is $actual, expected $expected: a part is missing or damaged, so deploy again"
chmod 0755 "$unpacked"

exec "$unpacked" serve
