//! Rust policies: compiled for `wasm32-unknown-unknown` (no WASI: the
//! contract grants nothing but the host's `log`), then each core module is
//! turned into a component with `wit-component`, from the contract that
//! wit-bindgen embedded in it. Where rustup has no wasm32 target, Debian's
//! Rust toolchain builds the standard library from source (`-Zbuild-std`).
//! Nothing here installs anything: `scripts/setup.sh` (run by the README's
//! commands) does, and a build that finds no toolchain says to run it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The target policies are compiled for.
pub const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "policy";
/// Initial linear memory of a policy (a multiple of the 64 KiB wasm page): the
/// stack, static data, and about 350 KiB of heap before the first growth
/// (the reference policies do not grow it on a request of 1000 candidates).
/// The host resets every page of it after each evaluation (a scan of the page
/// table), so it is kept small: 2 MiB cost the no-op policy 0.2–0.6 µs more.
const INITIAL_MEMORY_BYTES: usize = 512 << 10;
/// The policy's stack, at the start of its memory (Rust's default is 1 MiB;
/// policies iterate, they do not recurse deeply).
const STACK_BYTES: usize = 128 << 10;
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
/// What `scripts/setup.sh` installs where rustup has no wasm32 target.
const DEBIAN_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];

/// How this machine compiles Rust to wasm32.
pub enum Toolchain {
    /// rustup's cargo with an installed wasm32 target.
    Rustup,
    /// Debian's rustc and cargo, building std from source.
    Debian,
}

/// Finds a toolchain that targets wasm32: rustup's target if installed,
/// otherwise Debian's Rust with its standard library sources.
pub fn find_toolchain() -> Result<Toolchain> {
    if rustup_has_wasm_target() {
        return Ok(Toolchain::Rustup);
    }
    if debian_toolchain_ready() {
        return Ok(Toolchain::Debian);
    }
    bail!(
        "no Rust toolchain here targets {TARGET}: rustup has no {TARGET} target, and Debian's {} are not installed; \
         run `./scripts/setup.sh` (the README's commands run it), or `rustup target add {TARGET}`",
        DEBIAN_PACKAGES.join(", ")
    )
}

fn rustup_has_wasm_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == TARGET))
        .unwrap_or(false)
}

fn debian_toolchain_ready() -> bool {
    let Ok(out) = Command::new(DEBIAN_RUSTC).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Path::new(DEBIAN_CARGO).is_file() && sysroot.join("lib/rustlib/src/rust/library").is_dir()
}

/// Compiles the crates `packages` of the Cargo workspace at `root` for wasm32
/// into core modules under `target_dir`, and returns each module's path.
pub fn compile_core_modules(root: &Path, target_dir: &Path, toolchain: &Toolchain, packages: &[&str]) -> Result<Vec<PathBuf>> {
    let mut command = match toolchain {
        Toolchain::Rustup => Command::new("cargo"),
        Toolchain::Debian => Command::new(DEBIAN_CARGO),
    };
    // Called from a build script, the environment describes the outer build
    // (its rustc, flags, target dir, jobserver); none of it applies here.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().to_string();
        let outer = (key.starts_with("CARGO") && key != "CARGO_HOME" && key != "CARGO_NET_OFFLINE")
            || (key.starts_with("RUST") && key != "RUSTUP_HOME" && key != "RUSTUP_TOOLCHAIN")
            || key == "DEBUG"
            || key == "OPT_LEVEL"
            || key == "PROFILE"
            || key == "TARGET"
            || key == "HOST"
            || key == "OUT_DIR"
            || key == "NUM_JOBS";
        if outer {
            command.env_remove(&key);
        }
    }
    if let Toolchain::Debian = toolchain {
        command.env("RUSTC", DEBIAN_RUSTC).env("RUSTC_BOOTSTRAP", "1").env_remove("RUSTUP_TOOLCHAIN");
    }
    command
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        // Start with enough memory for a typical request, so that an instance
        // rarely grows its memory: a pooled slot that keeps its size is reused
        // without changing page protections (which costs a TLB flush on every
        // core). Untouched pages cost nothing.
        .env("RUSTFLAGS", format!("-C link-arg=--initial-memory={INITIAL_MEMORY_BYTES} -C link-arg=-zstack-size={STACK_BYTES}"))
        .args(["build", "--quiet", "--profile", PROFILE, "--target", TARGET]);
    if let Toolchain::Debian = toolchain {
        command.args(["-Zbuild-std=std,panic_abort"]);
    }
    for package in packages {
        command.args(["-p", package]);
    }
    let status = command.status().context("running cargo for the wasm32 build")?;
    if !status.success() {
        bail!("compiling the policies for {TARGET} failed ({status})");
    }
    Ok(packages
        .iter()
        .map(|package| target_dir.join(TARGET).join(PROFILE).join(format!("{}.wasm", package.replace('-', "_"))))
        .collect())
}

/// Turns a core module with an embedded `component-type` section (as
/// wit-bindgen embeds it) into a component, written to `out`.
pub fn componentize(core: &Path, out: &Path) -> Result<()> {
    let module = std::fs::read(core).with_context(|| format!("reading {}", core.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .with_context(|| format!("{} does not carry the recguard:policy contract", core.display()))?
        .validate(true)
        .encode()
        .with_context(|| format!("making a component of {}", core.display()))?;
    std::fs::write(out, component).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

