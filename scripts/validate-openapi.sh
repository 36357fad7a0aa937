#!/usr/bin/env bash
# Validates the app's OpenAPI document with openapi-spec-validator, a validator independent of the
# Rust code that generates the document. It prints the document with `app-server openapi` to
# target/openapi.json and checks it against the OpenAPI 3.1 specification. The validator is
# installed once into the virtual environment target/openapi-venv (PyPI must be reachable then).
set -euo pipefail

# The pinned validator version: bump it on purpose, not by accident.
VALIDATOR_VERSION=0.9.0

cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=target/openapi-venv
if [[ ! -x $venv/bin/openapi-spec-validator ]]; then
    echo "==> installing openapi-spec-validator $VALIDATOR_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "openapi-spec-validator==$VALIDATOR_VERSION"
fi

echo "==> app-server openapi > target/openapi.json"
cargo run --quiet -p app-server -- openapi > target/openapi.json

echo "==> openapi-spec-validator --schema 3.1 target/openapi.json"
"$venv/bin/openapi-spec-validator" --schema 3.1 target/openapi.json
