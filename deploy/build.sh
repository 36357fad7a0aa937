#!/usr/bin/env bash
# Builds the Linux release binary and the front end, and stages them in deploy/app/ for
# `databricks bundle deploy` (see docs/DEPLOYMENT.md). Run it from any folder.
#
# Databricks Apps runs Ubuntu 22.04 (glibc 2.35) on x86_64. The default build links against the
# glibc of this machine, and the script stops when the binary needs a glibc newer than 2.35. Set
# APP_SERVER_TARGET=x86_64-unknown-linux-musl for a static binary instead (that needs
# `rustup target add x86_64-unknown-linux-musl` and a musl C compiler such as Debian's
# musl-tools, because the TLS library contains C code). NOTE: the musl build has not been run
# here; the glibc build has.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'build: %s\n' "$*" >&2; }
fail() {
    log "$*"
    exit 1
}

# The newest glibc symbol version the platform provides (Ubuntu 22.04).
max_glibc_minor=35
# Databricks Apps rejects a deployment that contains a file over 10 MB.
max_file_bytes=10000000

target=${APP_SERVER_TARGET:-}
cargo_args=(build --release --locked -p app-server)
binary=target/release/app-server
if [[ -n $target ]]; then
    cargo_args+=(--target "$target")
    binary=target/$target/release/app-server
fi

log "building the server: cargo ${cargo_args[*]}"
CARGO_PROFILE_RELEASE_STRIP=symbols cargo "${cargo_args[@]}"

# The newest glibc symbol version the binary requires, such as GLIBC_2.34, read with grep so that
# no binutils are needed. A static musl binary requires none.
newest_glibc=$(grep -ao 'GLIBC_2\.[0-9][0-9]*' "$binary" | sort -u -t . -k 2,2n | tail -n 1 || true)
if [[ -n $newest_glibc ]]; then
    minor=${newest_glibc#GLIBC_2.}
    if ((minor > max_glibc_minor)); then
        fail "$binary needs $newest_glibc, but Databricks Apps has glibc 2.$max_glibc_minor: build on an older distribution or set APP_SERVER_TARGET=x86_64-unknown-linux-musl"
    fi
    log "the server needs at most $newest_glibc (the platform has 2.$max_glibc_minor)"
fi

log "building the front end (npm ci, npm run build)"
(cd client && npm ci --no-audit --no-fund && npm run build)

log "staging deploy/app/"
rm -rf deploy/app/bin deploy/app/client
deploy/pack-binary.sh "$binary" deploy/app/bin
mkdir -p deploy/app/client
cp -R client/dist deploy/app/client/dist

too_large=$(find deploy/app -type f -size +"${max_file_bytes}c" -print)
[[ -z $too_large ]] || fail "files over $max_file_bytes bytes, which Databricks Apps rejects: $too_large"

log "deploy/app/ is ready: $(du -sh deploy/app | cut -f 1) in $(find deploy/app -type f | wc -l) files"
