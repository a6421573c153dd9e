#!/usr/bin/env bash
# The main job: build every policy into a component, sign the reference
# policies with the demo regulator key (keys/README.md), then evaluate the example
# requests through the whole reference suite (examples/all-reference-policies.toml)
# and print a summary of each outcome (verdict, counts, findings by article).
# For the whole outcome as JSON, leave out `--format summary`.
# On a fresh machine this installs what the wasm build needs (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cargo xtask build-policies
cargo build --quiet --release -p recguard
./scripts/sign-policies.sh target/release/recguard
./target/release/recguard eval --format summary --config examples/all-reference-policies.toml $(printf -- '--request %s ' examples/requests/*.json)
