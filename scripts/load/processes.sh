# shellcheck shell=bash
# Helpers of scripts/load-test.sh: output, the two servers it starts and stops, and the app's
# memory. Sourced by that script, which sets BIN_DIR and WORK_DIR first.

step() { printf '\n==> %s\n' "$*"; }

fail() {
  printf 'load-test: %s\n' "$*" >&2
  exit 1
}

STARTED_PIDS=()

# Stops every process this script started, by PID, then removes the work directory. After a
# failure it first prints the end of both servers' logs.
stop_all() {
  local status=$? pid log
  if [[ $status -ne 0 && -n "${WORK_DIR:-}" ]]; then
    for log in "$WORK_DIR/emulator.log" "$WORK_DIR/app-server.stderr"; do
      [[ -s $log ]] && printf -- '--- last lines of %s:\n%s\n' "${log##*/}" "$(tail -n 20 "$log")" >&2
    done
  fi
  for pid in "${STARTED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "${WORK_DIR:-}" && -d "$WORK_DIR" ]]; then
    rm -rf "$WORK_DIR"
  fi
}

# Installs wrk from Debian's packages when it is missing and this is a root shell with apt-get.
ensure_wrk() {
  command -v wrk >/dev/null && return
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    step "installing wrk (apt-get install wrk)"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  fi
  command -v wrk >/dev/null || fail "wrk is not installed: install the Debian package wrk"
}

# Succeeds when something accepts connections on 127.0.0.1:PORT.
port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints a port in 20000-59999 that nothing on 127.0.0.1 listens on now, starting at a random one.
free_port() {
  local port=$((20000 + RANDOM % 40000))
  for _ in $(seq 50); do
    port_in_use "$port" || {
      echo "$port"
      return
    }
    port=$((20000 + (port - 20000 + 1) % 40000))
  done
  fail "found no free port on 127.0.0.1 after 50 tries: set LOAD_TEST_APP_PORT"
}

# start_emulator FIXTURE: starts workspace-emulator on a free loopback port and sets EMULATOR_URL.
start_emulator() {
  "$BIN_DIR/workspace-emulator" --port 0 --fixture "$1" \
    >"$WORK_DIR/emulator.url" 2>"$WORK_DIR/emulator.log" &
  local pid=$!
  STARTED_PIDS+=("$pid")

  EMULATOR_URL=
  for _ in $(seq 100); do
    EMULATOR_URL=$(head -n 1 "$WORK_DIR/emulator.url")
    [[ -n $EMULATOR_URL ]] && break
    kill -0 "$pid" 2>/dev/null || fail "workspace-emulator exited: $(tail -n 5 "$WORK_DIR/emulator.log")"
    sleep 0.1
  done
  [[ $EMULATOR_URL == http://127.0.0.1:* ]] ||
    fail "workspace-emulator did not print a 127.0.0.1 base URL within 10 s (got '$EMULATOR_URL')"
}

# start_app PORT: starts `app-server serve` with a clean environment (no database, no service
# principal, default logging to stdout, which goes to /dev/null) and waits for /api/health.
# Sets APP_PID and APP_URL. The work directory is its working directory, so no stray .env is read.
start_app() {
  local port=$1
  port_in_use "$port" && fail "port $port on 127.0.0.1 is in use: set LOAD_TEST_APP_PORT to a free port"

  (
    cd "$WORK_DIR" &&
      exec env -i \
        DATABRICKS_HOST="$EMULATOR_URL" \
        DATABRICKS_APP_PORT="$port" \
        IDENTITY_CACHE_TTL_SECONDS="$CACHE_TTL_SECONDS" \
        "$BIN_DIR/app-server" serve
  ) >/dev/null 2>"$WORK_DIR/app-server.stderr" &
  APP_PID=$!
  STARTED_PIDS+=("$APP_PID")
  APP_URL="http://127.0.0.1:$port"

  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$APP_URL/api/health" 2>/dev/null && return
    kill -0 "$APP_PID" 2>/dev/null || fail "app-server exited: $(tail -n 5 "$WORK_DIR/app-server.stderr")"
    sleep 0.1
  done
  fail "app-server did not answer $APP_URL/api/health within 10 s"
}

# Prints the app's resident set size now (VmRSS) and at its peak (VmHWM) under LABEL, and sets
# RSS_KIB and HWM_KIB.
read_app_memory() {
  local label=$1
  RSS_KIB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$APP_PID/status")
  HWM_KIB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$APP_PID/status")
  printf '%s: VmRSS %s MiB, VmHWM %s MiB\n' "$label" "$(mib "$RSS_KIB")" "$(mib "$HWM_KIB")"
}

# Prints the CPU time the app has used so far (user + system), in clock ticks.
app_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$APP_PID/stat"; }

mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }

# run_wrk PATH [TOKEN_FILE]: loads APP_URL/PATH with wrk, prints wrk's report and the app's CPU
# time per request, and sets WRK_RPS, WRK_P50_US, WRK_P90_US, WRK_P99_US, WRK_MAX_US and
# APP_CPU_US_PER_REQUEST. Fails on any HTTP or socket error.
# shellcheck disable=SC2034 # scripts/load-test.sh reads the WRK_* variables.
run_wrk() {
  local path=$1
  shift
  local output ticks_before ticks_after
  ticks_before=$(app_cpu_ticks)
  output=$(wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "$WRK_DURATION" --latency \
    -s scripts/load/requests.lua "$APP_URL$path" -- "$@")
  ticks_after=$(app_cpu_ticks)
  printf '%s\n' "$output"

  local result
  result=$(grep '^wrk-result ' <<<"$output") || fail "wrk printed no result line for $path"
  WRK_RPS=$(result_field rps "$result")
  WRK_P50_US=$(result_field p50_us "$result")
  WRK_P90_US=$(result_field p90_us "$result")
  WRK_P99_US=$(result_field p99_us "$result")
  WRK_MAX_US=$(result_field max_us "$result")
  APP_CPU_US_PER_REQUEST=$(awk -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" \
    -v requests="$(result_field requests "$result")" 'BEGIN { printf "%.1f", ticks / hz * 1e6 / requests }')
  echo "app-server CPU time per request: $APP_CPU_US_PER_REQUEST µs"

  local http_errors socket_errors
  http_errors=$(result_field http_errors "$result")
  socket_errors=$(result_field socket_errors "$result")
  [[ $http_errors == 0 ]] || fail "$path: $http_errors responses had status 400 or above"
  [[ $socket_errors == 0 ]] || fail "$path: $socket_errors socket errors or timeouts"
}

# result_field NAME LINE: the number after `NAME=` in a wrk-result line.
result_field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
