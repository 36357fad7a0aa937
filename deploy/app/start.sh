#!/bin/sh
# Starts the app on Databricks Apps (app.yaml runs `sh start.sh` in this folder).
#
# deploy/pack-binary.sh uploads the server gzip-compressed in parts, because the platform rejects
# app files over 10 MB. This script joins and unpacks them into a temporary file, checks the
# SHA-256, and renames the file to ${TMPDIR:-/tmp}/app-server, replacing the copy of the previous
# start, so at most one unpacked copy is left. It then replaces itself with `app-server serve`
# (exec), so SIGTERM reaches the server.
set -eu
cd "$(dirname "$0")"

fail() {
    echo "start.sh: $*" >&2
    exit 1
}

[ -f bin/app-server.gz.part-aa ] && [ -f bin/app-server.sha256 ] ||
    fail "bin/app-server.gz.part-* or bin/app-server.sha256 is missing: run deploy/build.sh, then deploy again"

binary="${TMPDIR:-/tmp}/app-server"
# The rename is atomic, and a server that still runs from the previous copy keeps its own file.
unpacking=$(mktemp "$binary.XXXXXX")
trap 'rm -f "$unpacking"' EXIT
trap 'exit 1' HUP INT TERM
cat bin/app-server.gz.part-* | gzip -dc >"$unpacking" ||
    fail "bin/app-server.gz.part-* could not be unpacked: run deploy/build.sh, then deploy again"
expected=$(cat bin/app-server.sha256)
actual=$(sha256sum <"$unpacking" | cut -d ' ' -f 1)
[ "$expected" = "$actual" ] ||
    fail "the unpacked binary's SHA-256 is $actual, expected $expected: a part is missing or damaged, so deploy again"
chmod 0755 "$unpacking"
mv -f "$unpacking" "$binary" ||
    fail "could not move the unpacked binary to $binary: check that ${TMPDIR:-/tmp} is writable"
trap - EXIT HUP INT TERM

exec "$binary" serve
