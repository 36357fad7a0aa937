# shellcheck shell=bash
# Helpers of scripts/load-test.sh: the generated users, their tokens and the identities the app
# resolves. Sourced by that script after processes.sh.
#
# Many requests go through one curl process with a config file (`next` between requests), so
# connections are reused and no process starts per request. The config files contain tokens, so
# they live in WORK_DIR, which is removed on exit.

SCIM_ME_ROUTE='GET /api/2.0/preview/scim/v2/Me'

user_name() { printf 'load-user-%03d@example.com' "$1"; }

# write_fixture FILE TOKEN_FILE USERS: writes a workspace fixture with USERS active users, each
# with a personal access token, to FILE, and their tokens to TOKEN_FILE, one a line.
write_fixture() {
  local file=$1 token_file=$2 users=$3 i
  {
    printf '# %d users for scripts/load-test.sh; the tokens are throwaway values.\n\n' "$users"
    printf '[workspace]\nworkspace_id = "1234567890123456"\n'
    for ((i = 1; i <= users; i++)); do
      printf '\n[[users]]\nuser_name = "%s"\ndisplay_name = "Load User %d"\nid = "%d"\ntoken = "dapi-load-user-%03d"\n' \
        "$(user_name "$i")" "$i" $((3000000000000000 + i)) "$i"
    done
  } >"$file"
  for ((i = 1; i <= users; i++)); do
    printf 'dapi-load-user-%03d\n' "$i"
  done >"$token_file"
}

# Prints how many SCIM `Me` calls the emulator has served. The number is read from the flat
# `counts` object of its JSON response, because other objects in it have the same keys.
scim_me_calls() {
  local body counts count
  body=$(curl -fsS "$EMULATOR_URL/__emulator/calls") || fail "reading the emulator's call counts failed"
  counts=$(sed -n 's/.*"counts":{\([^}]*\)}.*/\1/p' <<<"$body")
  count=$(grep -o "\"$SCIM_ME_ROUTE\":[0-9]*" <<<"$counts" | cut -d: -f2)
  printf '%s\n' "${count:-0}"
}

# mint_tokens USERS PER_USER TOKEN_FILE: mints PER_USER JWTs (1 h lifetime) for each of the first
# USERS users through the emulator's control plane and writes them to TOKEN_FILE, one a line.
mint_tokens() {
  local users=$1 per_user=$2 token_file=$3 config="$WORK_DIR/mint.curl" i j name separator=''
  for ((i = 1; i <= users; i++)); do
    name=$(user_name "$i")
    for ((j = 1; j <= per_user; j++)); do
      printf '%surl = "%s/__emulator/tokens"\nheader = "Content-Type: application/json"\n' \
        "$separator" "$EMULATOR_URL"
      printf 'data = "{\\"user_name\\": \\"%s\\", \\"ttl_seconds\\": 3600}"\n' "$name"
      printf 'write-out = "\\n"\n'
      separator=$'next\n'
    done
  done >"$config"

  curl -sS -K "$config" | grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$token_file" || true
  local minted
  minted=$(wc -l <"$token_file")
  [[ $minted -eq $((users * per_user)) ]] ||
    fail "minted $minted tokens, expected $((users * per_user))"
}

# resolve_tokens TOKEN_FILE: sends GET /api/user/me once with each token, one request at a time,
# and fails unless every response has status 200.
resolve_tokens() {
  local token_file=$1 config="$WORK_DIR/resolve.curl" token separator=''
  while IFS= read -r token; do
    printf '%surl = "%s/api/user/me"\nheader = "X-Forwarded-Access-Token: %s"\n' \
      "$separator" "$APP_URL" "$token"
    printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
    separator=$'next\n'
  done <"$token_file" >"$config"

  local expected ok
  expected=$(wc -l <"$token_file")
  ok=$(curl -sS -K "$config" | grep -c '^200$' || true)
  [[ $ok -eq $expected ]] || fail "GET /api/user/me returned 200 for $ok of $expected tokens"
}
