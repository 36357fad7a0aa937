#!/usr/bin/env bash
# Loopback load test of the app's authentication path. It builds release binaries, starts
# workspace-emulator with 100 generated users and `app-server serve` on 127.0.0.1, then:
#   1. runs wrk against /api/health, then against /api/user/me rotating through the 100 users'
#      tokens (identities cached first), and prints both request rates and their ratio;
#   2. mints 10,000 tokens, resolves each once through /api/user/me and prints the app's
#      VmRSS/VmHWM before and after.
# Every request goes to 127.0.0.1. Both servers are stopped on exit. A run takes about a minute
# after the build.
#
# Settings (environment): LOAD_TEST_APP_PORT (default: a free port), LOAD_TEST_DURATION (wrk -d,
# default 10s), LOAD_TEST_THREADS (wrk -t, default 2), LOAD_TEST_CONNECTIONS (wrk -c, default 64).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APP_PORT=${LOAD_TEST_APP_PORT:-}
WRK_DURATION=${LOAD_TEST_DURATION:-10s}
WRK_THREADS=${LOAD_TEST_THREADS:-2}
WRK_CONNECTIONS=${LOAD_TEST_CONNECTIONS:-64}
USERS=100
TOKENS_PER_USER=100
# Longer than the whole run, so no identity expires: the /api/user/me run measures cached
# identities only, and all 10,000 are cached when memory is read. The app's default is 60 s.
CACHE_TTL_SECONDS=600

source scripts/load/processes.sh
source scripts/load/identities.sh

ensure_wrk
command -v curl >/dev/null || fail "curl is not installed"

step "cargo build --release -p workspace-emulator -p app-server"
cargo build --release -p workspace-emulator -p app-server
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
BIN_DIR="$TARGET_DIR/release"

WORK_DIR=$(mktemp -d)
trap stop_all EXIT
trap 'exit 130' INT TERM
[[ -n $APP_PORT ]] || APP_PORT=$(free_port)

step "starting workspace-emulator with $USERS users and app-server on 127.0.0.1:$APP_PORT"
write_fixture "$WORK_DIR/fixture.toml" "$WORK_DIR/fixture-tokens.txt" "$USERS"
start_emulator "$WORK_DIR/fixture.toml"
start_app "$APP_PORT"
echo "emulator: $EMULATOR_URL, app: $APP_URL (pid $APP_PID)"
read_app_memory "app memory after start"

step "wrk: GET /api/health for $WRK_DURATION ($WRK_THREADS threads, $WRK_CONNECTIONS connections)"
run_wrk /api/health
HEALTH_RPS=$WRK_RPS
HEALTH_LATENCY="p50 $WRK_P50_US µs, p90 $WRK_P90_US µs, p99 $WRK_P99_US µs, max $WRK_MAX_US µs"
HEALTH_CPU=$APP_CPU_US_PER_REQUEST

step "resolving the $USERS users' identities once, so they are cached"
resolve_tokens "$WORK_DIR/fixture-tokens.txt"
calls_after_warming=$(scim_me_calls)
[[ $calls_after_warming -eq $USERS ]] ||
  fail "warming made $calls_after_warming SCIM Me calls, expected $USERS"

step "wrk: GET /api/user/me rotating $USERS users' tokens for $WRK_DURATION"
run_wrk /api/user/me "$WORK_DIR/fixture-tokens.txt"
ME_RPS=$WRK_RPS
ME_LATENCY="p50 $WRK_P50_US µs, p90 $WRK_P90_US µs, p99 $WRK_P99_US µs, max $WRK_MAX_US µs"
ME_CPU=$APP_CPU_US_PER_REQUEST
calls_after_run=$(scim_me_calls)
calls_during_run=$((calls_after_run - calls_after_warming))
[[ $calls_during_run -eq 0 ]] ||
  fail "the /api/user/me run made $calls_during_run SCIM Me calls: identities were not all cached"

step "memory with $((USERS * TOKENS_PER_USER)) cached identities"
read_app_memory "app memory before"
RSS_BEFORE_KIB=$RSS_KIB
HWM_BEFORE_KIB=$HWM_KIB
mint_tokens "$USERS" "$TOKENS_PER_USER" "$WORK_DIR/minted-tokens.txt"
calls_before_resolving=$(scim_me_calls)
resolve_started=$SECONDS
resolve_tokens "$WORK_DIR/minted-tokens.txt"
echo "resolved $(wc -l <"$WORK_DIR/minted-tokens.txt") tokens in $((SECONDS - resolve_started)) s"
calls_after_resolving=$(scim_me_calls)
new_identities=$((calls_after_resolving - calls_before_resolving))
[[ $new_identities -eq $((USERS * TOKENS_PER_USER)) ]] ||
  fail "resolving made $new_identities SCIM Me calls, expected one per minted token"
read_app_memory "app memory after"

step "results"
ratio=$(awk -v me="$ME_RPS" -v health="$HEALTH_RPS" 'BEGIN { printf "%.2f", me / health }')
verdict() { if awk -v value="$1" -v limit="$2" "BEGIN { exit !(value $3 limit) }"; then echo met; else echo MISSED; fi; }
rss_after_mib=$(mib "$RSS_KIB")
printf 'GET /api/health:  %s requests/s (%s; app CPU %s µs/request)\n' "$HEALTH_RPS" "$HEALTH_LATENCY" "$HEALTH_CPU"
printf 'GET /api/user/me: %s requests/s (%s; app CPU %s µs/request)\n' "$ME_RPS" "$ME_LATENCY" "$ME_CPU"
printf 'ratio /api/user/me : /api/health = %s (target at least 0.50: %s)\n' "$ratio" "$(verdict "$ratio" 0.5 '>=')"
printf 'VmRSS before %s MiB (VmHWM %s MiB), after %s identities %s MiB (VmHWM %s MiB)\n' \
  "$(mib "$RSS_BEFORE_KIB")" "$(mib "$HWM_BEFORE_KIB")" "$((USERS * TOKENS_PER_USER))" \
  "$rss_after_mib" "$(mib "$HWM_KIB")"
printf 'VmRSS after: %s MiB (target under 64 MiB: %s)\n' "$rss_after_mib" "$(verdict "$rss_after_mib" 64 '<')"
