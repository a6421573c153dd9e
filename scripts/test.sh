#!/usr/bin/env bash
# Every test: the native unit tests of the SDK and the policies, the host's
# tests, the integration tests (real compiled components through the host and
# the CLI, including every policy's test vectors). Installs what the wasm build
# needs on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cargo xtask build-policies
# The tests load the reference policies signed, as a provider would: build
# everything (the CLI included), sign with the demo regulator key, then test.
cargo test --workspace --no-run
./scripts/sign-policies.sh target/debug/recguard
cargo test --workspace
