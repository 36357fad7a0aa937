#!/usr/bin/env bash
# Runs a throwaway PostgreSQL cluster for the test suite.
#
#   scripts/pg-test-cluster.sh start   initialise (first time) and start the cluster, print its URL
#   scripts/pg-test-cluster.sh stop    stop the cluster if it runs
#   scripts/pg-test-cluster.sh url     print the URL of the running cluster
#
# The cluster lives in target/pg-test, listens on 127.0.0.1 only and keeps its unix socket in its
# data folder. The `postgres` superuser logs in without a password (trust); every other role must
# give its password (scram-sha-256), so tests can check password logins and their expiry. fsync is
# off: the data is disposable. When the PostgreSQL
# server binaries are missing, `start` installs Debian's `postgresql` package (needs root). As root,
# the server runs as the `postgres` OS user, because PostgreSQL refuses to run as root.
#
# Environment: PG_TEST_PORT (first port to try, default 55432).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state_dir="$repo_root/target/pg-test"
first_port=${PG_TEST_PORT:-55432}
last_port=$((first_port + 100))

log() { printf 'pg-test-cluster: %s\n' "$*" >&2; }
fail() {
    log "error: $*"
    exit 1
}

# Prints the newest /usr/lib/postgresql/*/bin that has initdb and pg_ctl, or nothing.
find_bin_dir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return
        fi
    done
}

ensure_server_binaries() {
    bin_dir=$(find_bin_dir)
    if [[ -n "$bin_dir" ]]; then
        return
    fi
    if [[ $(id -u) -ne 0 ]]; then
        fail "PostgreSQL server binaries (initdb, pg_ctl) are missing under /usr/lib/postgresql;" \
            "install them with: sudo apt-get install -y postgresql"
    fi
    log "PostgreSQL server binaries are missing: running apt-get update && apt-get install -y postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
    bin_dir=$(find_bin_dir)
    [[ -n "$bin_dir" ]] || fail "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql"
}

# Runs a server command, as the postgres OS user when this script runs as root. It runs from /
# because that user may have no access to the current folder. Every path passed is absolute.
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

ensure_server_user() {
    [[ $(id -u) -eq 0 ]] || return 0
    if ! id postgres >/dev/null 2>&1; then
        log "creating the postgres OS user"
        useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
    fi
}

# Picks the data folder: target/pg-test/data, unless the postgres user cannot reach it (a repository
# under /root) or its socket path would pass the 107-byte unix socket limit. Then a folder in /tmp
# named after a hash of the repository path is used, and target/pg-test/data-dir records where.
choose_data_dir() {
    local preferred="$state_dir/data"
    local socket_path="$preferred/.s.PGSQL.$last_port"
    if ((${#socket_path} <= 100)) && { [[ $(id -u) -ne 0 ]] || as_server_user test -x "$state_dir"; }; then
        echo "$preferred"
    else
        log "the postgres user cannot use $preferred, so the data goes to /tmp"
        echo "/tmp/app-server-pg-test-$(printf '%s' "$repo_root" | sha256sum | cut -c1-12)"
    fi
}

data_dir() {
    if [[ -f "$state_dir/data-dir" ]]; then
        cat "$state_dir/data-dir"
    else
        echo "$state_dir/data"
    fi
}

is_running() {
    local dir
    dir=$(data_dir)
    [[ -n "${bin_dir:-}" && -f "$dir/PG_VERSION" ]] || return 1
    as_server_user "$bin_dir/pg_ctl" status -D "$dir" >/dev/null 2>&1
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local port
    for ((port = first_port; port <= last_port; port++)); do
        if ! port_in_use "$port"; then
            echo "$port"
            return
        fi
    done
    fail "no free port between $first_port and $last_port on 127.0.0.1 (set PG_TEST_PORT)"
}

init_cluster() {
    local dir=$1
    log "initialising a new cluster in $dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
    fi
    as_server_user "$bin_dir/initdb" --pgdata="$dir" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >/dev/null
    as_server_user tee -a "$dir/postgresql.conf" >/dev/null <<EOF

# Throwaway test cluster settings.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

# Writes pg_hba.conf on every start, so a cluster made by an older version of this script gets the
# same rules. The first matching line wins.
write_hba() {
    local dir=$1
    as_server_user tee "$dir/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/pg-test-cluster.sh on every start.
# TYPE  DATABASE  USER      ADDRESS       METHOD
local   all       postgres                trust
host    all       postgres  127.0.0.1/32  trust
local   all       all                     scram-sha-256
host    all       all       127.0.0.1/32  scram-sha-256
EOF
}

print_url() {
    [[ -f "$state_dir/port" ]] || fail "the cluster has no port recorded: run '$0 start' first"
    echo "postgres://postgres@127.0.0.1:$(cat "$state_dir/port")/postgres"
}

start() {
    ensure_server_binaries
    ensure_server_user
    mkdir -p "$state_dir"
    if is_running; then
        log "already running; reloading its pg_hba.conf"
        write_hba "$(data_dir)"
        as_server_user "$bin_dir/pg_ctl" reload --pgdata="$(data_dir)" >/dev/null
        print_url
        return
    fi

    local dir
    dir=$(choose_data_dir)
    echo "$dir" >"$state_dir/data-dir"
    if [[ ! -f "$dir/PG_VERSION" ]]; then
        rm -rf "$dir"
        init_cluster "$dir"
    fi

    write_hba "$dir"

    local port
    port=$(pick_port)
    log "starting PostgreSQL ($bin_dir) on 127.0.0.1:$port, data in $dir"
    if ! as_server_user "$bin_dir/pg_ctl" start --pgdata="$dir" --log="$dir/server.log" \
        --wait --timeout=60 --options="-p $port" >/dev/null; then
        tail -n 20 "$dir/server.log" >&2 || true
        fail "PostgreSQL did not start; its log is $dir/server.log"
    fi
    echo "$port" >"$state_dir/port"
    print_url
}

stop() {
    bin_dir=$(find_bin_dir)
    if ! is_running; then
        log "not running"
        return
    fi
    log "stopping PostgreSQL"
    as_server_user "$bin_dir/pg_ctl" stop --pgdata="$(data_dir)" --mode=fast --wait >/dev/null
}

url() {
    bin_dir=$(find_bin_dir)
    is_running || fail "the cluster is not running: run '$0 start' first"
    print_url
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url ;;
*)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
