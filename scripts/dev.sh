#!/usr/bin/env bash
# Runs the app locally: builds the front end into client/dist when it is missing or older than its
# sources, then starts `app-server dev` with the arguments given (for example `--port 8080`).
#
# Building needs Node.js 20.19+ and npm. Without them the server still starts and serves a small
# built-in page in place of the front end.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

log() { printf 'dev: %s\n' "$*" >&2; }

# Succeeds when client/dist/index.html is missing or a front-end source is newer than it.
front_end_is_stale() {
    local built=client/dist/index.html
    [[ -f $built ]] || return 0
    [[ -n $(find client/src client/index.html client/package.json client/package-lock.json \
        client/vite.config.ts client/tsconfig.json -newer "$built" -print -quit 2>/dev/null) ]]
}

# Succeeds when node_modules is missing or older than the lock file.
dependencies_are_stale() {
    local installed=client/node_modules/.package-lock.json
    [[ ! -f $installed || client/package-lock.json -nt $installed ]]
}

if front_end_is_stale; then
    if command -v npm >/dev/null 2>&1; then
        if dependencies_are_stale; then
            log "installing front-end dependencies (npm ci)"
            (cd client && npm ci --no-audit --no-fund)
        fi
        log "building the front end into client/dist"
        (cd client && npm run build)
    else
        log "npm is missing, so the front end is not built: install Node.js 20.19+ for the full UI"
    fi
fi

exec cargo run -p app-server -- dev "$@"
