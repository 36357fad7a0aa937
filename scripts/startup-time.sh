#!/usr/bin/env bash
# Measures start-up to ready: the milliseconds from starting the release `app-server serve` to its
# first 200 from /api/ready, on 127.0.0.1, with the workspace emulator as the workspace. Each run
# starts on a new, empty database, so the time includes applying every migration.
#
#   scripts/startup-time.sh [--runs N] [--database-url URL]
#
# Defaults: 10 runs on a new SQLite file each. With --database-url (an empty PostgreSQL database
# the caller may wipe), the script drops and recreates its `public` schema before each run.
# The time includes starting the process and curl's polling every 2 ms, so it is an upper bound.
# Each run also prints `startup_ms` from the server's `listening` log line: the time from the start
# of `serve` until it listens, with the database connected and migrated.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    sed -n '6p' "$0" | sed 's/^# *//' >&2
    exit 2
}

runs=10
database_url=
while (($# > 0)); do
    case $1 in
    --runs)
        [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage
        runs=$2
        shift 2
        ;;
    --database-url)
        [[ -n ${2:-} ]] || usage
        database_url=$2
        shift 2
        ;;
    *) usage ;;
    esac
done

cargo build --release --quiet -p app-server -p workspace-emulator
work_dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

emulator_port=$(free_port)
target/release/workspace-emulator --port "$emulator_port" >"$work_dir/emulator.log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null; rm -rf "$work_dir"' EXIT
# curl succeeds on any HTTP response, so this waits until the emulator accepts connections.
until curl -s -o /dev/null "http://127.0.0.1:$emulator_port/"; do
    sleep 0.05
done

times=()
for ((run = 1; run <= runs; run++)); do
    url=${database_url:-sqlite://$work_dir/app-$run.db}
    if [[ -n $database_url ]]; then
        PGOPTIONS='--client-min-messages=warning' psql "$database_url" -q \
            -c 'drop schema public cascade' -c 'create schema public' >/dev/null
    fi
    port=$(free_port)

    started=$(date +%s%N)
    DATABRICKS_HOST="http://127.0.0.1:$emulator_port" \
        DATABRICKS_CLIENT_ID=6f1c2a3e-0000-4000-8000-000000000001 \
        DATABRICKS_CLIENT_SECRET=dev-sp-secret \
        DATABASE_URL="$url" BIND_ADDRESS=127.0.0.1 DATABRICKS_APP_PORT="$port" \
        STATIC_DIR="$work_dir/no-front-end" LOG_FORMAT=json RUST_LOG=warn,app_server::serve=info \
        target/release/app-server serve >"$work_dir/app.log" 2>&1 &
    app_pid=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/api/ready"; do
        kill -0 "$app_pid" 2>/dev/null || { cat "$work_dir/app.log" >&2; exit 1; }
        sleep 0.002
    done
    ready=$(date +%s%N)

    times+=($(((ready - started) / 1000000)))
    listening=$(grep -o '"startup_ms":[0-9]*' "$work_dir/app.log" | head -n 1 | cut -d: -f2)
    echo "run $run: ${times[-1]} ms to ready; startup_ms ${listening:-?} in the listening log line"
    kill -TERM "$app_pid"
    wait "$app_pid" || true
done

sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "median $(sed -n "$(((runs + 1) / 2))p" <<<"$sorted") ms, max $(tail -n 1 <<<"$sorted") ms over $runs runs"
