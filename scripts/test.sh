#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, then the whole test suite against a throwaway
# PostgreSQL cluster (started here and stopped on exit). It runs from any folder and exits non-zero
# on the first failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "starting the PostgreSQL test cluster"
trap 'scripts/pg-test-cluster.sh stop' EXIT
TEST_POSTGRES_URL=$(scripts/pg-test-cluster.sh start)
export TEST_POSTGRES_URL

step "cargo test --workspace"
cargo test --workspace

step "scripts/e2e.sh (front-end unit tests, build, browser tests in headless Chromium)"
scripts/e2e.sh

# Further steps (promtool rule checks) go here, each behind its own `step` line.

step "all checks passed"
