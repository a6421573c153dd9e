#!/usr/bin/env bash
# Installs what building policy components needs, if it is missing: the
# pinned JavaScript and Python componentizers (toolchains/), and a Rust
# toolchain that targets wasm32-unknown-unknown. Where rustup has that target,
# that is used; otherwise Debian's Rust (rustc-web, cargo-web, rust-web-src,
# lld-22), which builds the standard library from source. (rustup's target is
# not fetched here: on machines without network access it cannot be.)
# Run by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail

# JavaScript (componentize-qjs, componentize-js) and Python (componentize-py),
# at the versions toolchains/package-lock.json and requirements.txt pin.
toolchains="$(cd "$(dirname "$0")/../toolchains" && pwd)"
# Installed again when the lock file is newer than what npm last installed
# (npm keeps a copy at node_modules/.package-lock.json).
if [ ! -x "$toolchains/node_modules/.bin/componentize-qjs" ] || [ ! -x "$toolchains/node_modules/.bin/componentize-js" ] ||
  [ "$toolchains/package-lock.json" -nt "$toolchains/node_modules/.package-lock.json" ]; then
  echo "setup: installing the pinned JavaScript componentizers into toolchains/node_modules"
  npm ci --prefix "$toolchains" --no-audit --no-fund --loglevel=error
fi
if [ ! -x "$toolchains/python/bin/componentize-py" ]; then
  echo "setup: installing the pinned Python componentizer into toolchains/python"
  python3 -m venv "$toolchains/python"
  "$toolchains/python/bin/pip" install --quiet --disable-pip-version-check -r "$toolchains/requirements.txt"
fi

# The library that gives componentize-qjs a fixed clock and fixed entropy while
# it pre-initialises a policy, so that its builds are reproducible
# (toolchains/deterministic-build.c; Linux with glibc).
shim_source="$toolchains/deterministic-build.c"
shim="$toolchains/lib/libdeterministic-build.so"
if [ "$(uname -s)" = Linux ] && { [ ! -f "$shim" ] || [ "$shim_source" -nt "$shim" ]; }; then
  if command -v cc >/dev/null; then
    echo "setup: building toolchains/lib/libdeterministic-build.so"
    mkdir -p "$toolchains/lib"
    cc -shared -fPIC -O2 -Wall -o "$shim" "$shim_source" -ldl
  else
    echo "setup: no C compiler (cc): JavaScript builds will work but not be reproducible" >&2
  fi
fi

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
