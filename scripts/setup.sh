#!/usr/bin/env bash
# Installs what building policy components needs, if it is missing: a Rust
# toolchain that targets wasm32-unknown-unknown. Where rustup has that target,
# that is used; otherwise Debian's Rust (rustc-web, cargo-web, rust-web-src,
# lld-22), which builds the standard library from source. (rustup's target is
# not fetched here: on machines without network access it cannot be.)
# Run by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail

target=wasm32-unknown-unknown
if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  exit 0
fi
debian_ready() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] &&
    [ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library" ]
}
if debian_ready; then
  exit 0
fi
echo "setup: rustup has no $target target; installing Debian's Rust toolchain (rustc-web cargo-web rust-web-src lld-22)"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q rustc-web cargo-web rust-web-src lld-22
debian_ready || { echo "setup: Debian's Rust was installed but has no standard library sources" >&2; exit 1; }
