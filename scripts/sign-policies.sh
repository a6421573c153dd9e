#!/usr/bin/env bash
# Signs the twelve reference policies in target/policies/ as the regulator's,
# with the DEMO regulator key (keys/README.md), writing <policy>.wasm.sig
# beside each. Usage: scripts/sign-policies.sh <recguard binary>
set -euo pipefail
cd "$(dirname "$0")/.."
recguard="${1:?the recguard binary to sign with}"
policies=()
for dir in policies/*/; do
    policies+=("target/policies/$(basename "$dir").wasm")
done
"$recguard" sign --key keys/demo-regulator.pem --issuer regulator "${policies[@]}"
