#!/usr/bin/env bash
# The main job: build every policy into a component, then evaluate the example
# requests through the example chain and print each outcome as JSON.
# On a fresh machine this installs what the wasm build needs (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo xtask build-policies
cargo build --quiet --release -p recguard
./target/release/recguard eval --config examples/recguard.toml $(printf -- '--request %s ' examples/requests/*.json)
