#!/usr/bin/env bash
# Every test: the native unit tests of the SDK and the policies, the host's
# tests, the integration tests (real compiled components through the host and
# the CLI, including every policy's test vectors). Installs what the wasm build
# needs on a fresh machine. Says how long each stage took, so that a slow CI
# run shows where its time went.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() {
    local name="$1"
    shift
    local started=$SECONDS
    "$@"
    echo "test.sh: ${name} took $((SECONDS - started)) s" >&2
}

stage "setup" ./scripts/setup.sh
stage "building the policies" cargo xtask build-policies
# The tests load the reference policies signed, as a provider would: build
# everything (the CLI included), sign with the demo regulator key, then test.
stage "building the tests" cargo test --workspace --no-run
stage "signing" ./scripts/sign-policies.sh target/debug/recguard
stage "running the tests" cargo test --workspace
