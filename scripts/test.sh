#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, then the whole test suite against a throwaway
# PostgreSQL cluster (started here and stopped on exit). It runs from any folder and exits non-zero
# on the first failure.
set -euo pipefail

# One clean build per run: incremental caches only cost disk here.
export CARGO_INCREMENTAL=0

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# promtool comes with Debian's prometheus package. The test suite needs it too: tests/metrics.rs
# pipes a live /metrics scrape through `promtool check metrics`.
step "promtool check rules, promtool test rules (deploy/prometheus)"
if ! command -v promtool >/dev/null 2>&1; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "promtool is missing: install it with: sudo apt-get install -y prometheus" >&2
        exit 1
    fi
    echo "promtool is missing: running apt-get update && apt-get install -y prometheus" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus
fi
promtool check rules deploy/prometheus/recording_rules.yml
promtool test rules deploy/prometheus/recording_rules_test.yml

step "starting the PostgreSQL test cluster"
trap 'scripts/pg-test-cluster.sh stop' EXIT
TEST_POSTGRES_URL=$(scripts/pg-test-cluster.sh start)
export TEST_POSTGRES_URL

step "cargo test --workspace"
cargo test --workspace

# An independent validator (openapi-spec-validator, from PyPI, in target/openapi-venv) checks the
# OpenAPI document against the 3.1 specification.
step "scripts/validate-openapi.sh"
scripts/validate-openapi.sh

step "scripts/e2e.sh (front-end unit tests, build, browser tests in headless Chromium)"
scripts/e2e.sh

# A short soak on the debug build that `cargo test` made: any failed request or memory growth over
# 16 MiB fails the run. scripts/soak.sh without options runs the full 10 minutes on a release build.
step "scripts/soak.sh --seconds 45 --interval 15 --debug"
scripts/soak.sh --seconds 45 --interval 15 --debug

step "all checks passed"
