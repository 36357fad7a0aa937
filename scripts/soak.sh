#!/usr/bin/env bash
# Soak test of app-server on loopback: a steady request rate from many users that mix every route,
# with request and failure counts, latency percentiles and the server's resident memory (VmRSS)
# reported every interval. It builds app-server and the soak driver (crates/app-server/examples/soak),
# which starts the workspace emulator in its own process and app-server as a child on 127.0.0.1
# with a fresh SQLite database unless --database-url names another. Exits non-zero when a request
# failed or memory grew by more than the allowed amount from the first report to the last.
#
#   scripts/soak.sh [--minutes N | --seconds N] [--rate R] [--users U] [--interval S]
#                   [--max-rss-growth-mib M] [--database-url URL] [--debug] [--markdown FILE]
#
# Defaults: 10 minutes, 50 requests/s, 100 users, a report every 30 s, at most 16 MiB of memory
# growth, a new SQLite database, release build. --database-url runs the app on that database
# instead (for example an empty PostgreSQL database on loopback). --debug uses the debug build,
# which `cargo test` has already made. --markdown also writes the report table to FILE.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    sed -n '9,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

seconds=600
profile=release
driver_args=()
while (($# > 0)); do
    case $1 in
    --minutes)
        [[ ${2:-} =~ ^[0-9]+$ ]] || usage
        seconds=$(($2 * 60))
        shift 2
        ;;
    --seconds)
        [[ ${2:-} =~ ^[0-9]+$ ]] || usage
        seconds=$2
        shift 2
        ;;
    --rate | --users | --interval | --max-rss-growth-mib | --database-url | --markdown)
        [[ -n ${2:-} ]] || usage
        driver_args+=("$1" "$2")
        shift 2
        ;;
    --debug)
        profile=debug
        shift
        ;;
    *) usage ;;
    esac
done
((seconds > 0)) || usage

cargo_profile=()
[[ $profile == release ]] && cargo_profile=(--release)

printf '==> cargo build %s -p app-server --bin app-server --example soak\n' "${cargo_profile[*]}"
cargo build "${cargo_profile[@]}" -p app-server --bin app-server --example soak

target_dir=$(cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
printf '==> soak for %s s (%s build)\n' "$seconds" "$profile"
"$target_dir/$profile/examples/soak" \
    --app-binary "$target_dir/$profile/app-server" \
    --seconds "$seconds" \
    "${driver_args[@]}"
