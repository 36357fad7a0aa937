#!/bin/sh
# Usage: deploy/pack-binary.sh BINARY OUT_DIR
#
# Writes BINARY gzip-compressed in parts of at most 9,000,000 bytes to OUT_DIR/app-server.gz.part-*
# and the SHA-256 of BINARY to OUT_DIR/app-server.sha256. Databricks Apps rejects a deployment
# with any file over 10 MB, and the release binary is larger than that; deploy/app/start.sh joins
# the parts again.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 BINARY OUT_DIR" >&2
    exit 2
fi
binary=$1
out=$2
if [ ! -f "$binary" ]; then
    echo "pack-binary: $binary is not a file" >&2
    exit 1
fi

mkdir -p "$out"
rm -f "$out"/app-server.gz.part-* "$out/app-server.sha256"
gzip -9 -c "$binary" | split -b 9000000 - "$out/app-server.gz.part-"
sha256sum <"$binary" | cut -d ' ' -f 1 >"$out/app-server.sha256"
