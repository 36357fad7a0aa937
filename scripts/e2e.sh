#!/usr/bin/env bash
# Runs the front end's tests: unit tests (vitest), then end-to-end tests that drive Debian's
# Chromium headless (playwright-core) against `app-server dev` on a free loopback port.
#
# Steps: install Debian's `chromium` when /usr/bin/chromium is missing (needs root), `npm ci`, the
# unit tests, `npm run build`, `cargo build -p app-server`, start the server, run the specs, stop
# the server. The specs save a screenshot of each page into docs/images/. Exits non-zero on the
# first failure and prints the server's log when a spec fails.
#
# Environment: CHROMIUM_PATH (default /usr/bin/chromium), and the switches below.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

# Specs that run on every call.
SPECS=(
    e2e/specs/profile.spec.mjs
    e2e/specs/preferences.spec.mjs
    e2e/specs/workspace-faults.spec.mjs
    e2e/specs/security-policy.spec.mjs
)
# Specs that can be switched off, each with its own switch (default 1): the catalog browser and
# model playground need /api/unity-catalog/* and /api/model-serving/*, the admin page needs
# /api/admin/*.
E2E_CATALOG_AND_SERVING=${E2E_CATALOG_AND_SERVING:-1}
E2E_ADMIN=${E2E_ADMIN:-1}
if [[ $E2E_CATALOG_AND_SERVING == 1 ]]; then
    SPECS+=(e2e/specs/catalog.spec.mjs e2e/specs/playground.spec.mjs)
fi
if [[ $E2E_ADMIN == 1 ]]; then
    SPECS+=(e2e/specs/admin.spec.mjs)
fi

CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
export CHROMIUM_PATH
# Seconds to wait until the dev server responds to /api/health.
SERVER_START_TIMEOUT=120

step() { printf '\n==> %s\n' "$*"; }
fail() {
    printf 'e2e: error: %s\n' "$*" >&2
    exit 1
}

ensure_chromium() {
    if [[ -x $CHROMIUM_PATH ]]; then
        return
    fi
    if [[ $(id -u) -ne 0 ]]; then
        fail "Chromium is missing at $CHROMIUM_PATH; install it with: sudo apt-get install -y chromium"
    fi
    step "Chromium is missing: apt-get install -y chromium"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    [[ -x $CHROMIUM_PATH ]] || fail "apt-get installed chromium but $CHROMIUM_PATH is still missing"
}

free_port() {
    node -e "const s = require('node:net').createServer();
s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/app-e2e.XXXXXX")
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
}
trap cleanup EXIT

show_server_log() {
    printf '\n--- last lines of the app-server log ---\n' >&2
    tail -n 60 "$work_dir/server.log" >&2 || true
}

step "checking Chromium"
ensure_chromium
"$CHROMIUM_PATH" --version

step "npm ci"
(cd client && npm ci --no-audit --no-fund)

step "unit tests (vitest)"
(cd client && npm test)

step "npm run build"
(cd client && npm run build)

step "cargo build -p app-server"
cargo build -p app-server
app_server="$repo_root/target/debug/app-server"

port=$(free_port)
step "starting app-server dev on 127.0.0.1:$port"
# The identity cache is off so that faults injected into SCIM Me reach every request.
IDENTITY_CACHE_TTL_SECONDS=0 \
    ADMIN_USERS=carol@example.com \
    DATABASE_URL="sqlite://$work_dir/app.db" \
    STATIC_DIR="$repo_root/client/dist" \
    LOG_FORMAT=text \
    "$app_server" dev --port "$port" >"$work_dir/server.log" 2>&1 &
server_pid=$!

base_url="http://127.0.0.1:$port"
for ((waited = 0; ; waited++)); do
    if curl -fsS -o /dev/null "$base_url/api/health" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        show_server_log
        fail "app-server dev exited before it answered"
    fi
    if ((waited >= SERVER_START_TIMEOUT)); then
        show_server_log
        fail "app-server dev did not answer $base_url/api/health within ${SERVER_START_TIMEOUT} s"
    fi
    sleep 1
done

emulator_url=$(grep -o 'workspace emulator at http://127\.0\.0\.1:[0-9]*' "$work_dir/server.log" | head -n 1 | sed 's/^workspace emulator at //')
[[ -n $emulator_url ]] || {
    show_server_log
    fail "the app-server log does not name the workspace emulator's URL"
}

step "end-to-end specs: ${SPECS[*]}"
mkdir -p "$repo_root/docs/images"
if ! (cd client && E2E_BASE_URL="$base_url" E2E_EMULATOR_URL="$emulator_url" \
    E2E_SCREENSHOT_DIR="$repo_root/docs/images" \
    node --test --test-concurrency=1 "${SPECS[@]}"); then
    show_server_log
    fail "end-to-end specs failed"
fi

step "front-end checks passed"
