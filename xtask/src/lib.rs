//! Builds recguard policy crates into WebAssembly components.
//!
//! Policies are compiled for `wasm32-unknown-unknown` (no WASI: the contract
//! grants nothing but the host's `log`), then each core module is turned into
//! a component with `wit-component`, from the contract that wit-bindgen
//! embedded in it. Where rustup has no wasm32 target, Debian's Rust toolchain
//! builds the standard library from source (`-Zbuild-std`). Nothing here
//! installs anything: `scripts/setup.sh` (run by the README's commands) does,
//! and a build that finds no toolchain says to run it. Used by `cargo xtask
//! build-policies` and by the integration tests' build script.

pub mod contract;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "policy";
/// Initial linear memory of a policy (a multiple of the 64 KiB wasm page): the
/// 1 MiB stack, static data, and about 900 KiB of heap before the first growth.
const INITIAL_MEMORY_BYTES: usize = 2 << 20;
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

/// The workspace root (the folder above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A policy crate found in the workspace.
pub struct Policy {
    /// The Cargo package name; the component is `<package>.wasm`.
    pub package: String,
}

/// Every policy crate under `policies/` and `tests/policies/`.
pub fn discover_policies(root: &Path) -> Result<Vec<Policy>> {
    let mut found = Vec::new();
    for dir in ["policies", "tests/policies"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let manifest = path.join("Cargo.toml");
            if !manifest.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&manifest)?;
            let value: toml::Table = toml::from_str(&text)
                .with_context(|| format!("reading {}", manifest.display()))?;
            let package = value
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .with_context(|| format!("{} has no package name", manifest.display()))?;
            found.push(Policy { package: package.to_string() });
        }
    }
    if found.is_empty() {
        bail!("no policy crates under policies/ or tests/policies/");
    }
    Ok(found)
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

fn compile_core_modules(root: &Path, toolchain: &Toolchain, policies: &[&Policy]) -> Result<()> {
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
        .env("CARGO_TARGET_DIR", root.join("target/wasm"))
        // Start with enough memory for a typical request, so that an instance
        // rarely grows its memory: a pooled slot that keeps its size is reused
        // without changing page protections (which costs a TLB flush on every
        // core). Untouched pages cost nothing.
        .env("RUSTFLAGS", format!("-C link-arg=--initial-memory={INITIAL_MEMORY_BYTES}"))
        .args(["build", "--quiet", "--profile", PROFILE, "--target", TARGET]);
    if let Toolchain::Debian = toolchain {
        command.args(["-Zbuild-std=std,panic_abort"]);
    }
    for policy in policies {
        command.args(["-p", &policy.package]);
    }
    let status = command.status().context("running cargo for the wasm32 build")?;
    if !status.success() {
        bail!("compiling the policies for {TARGET} failed ({status})");
    }
    Ok(())
}

/// Turns a core module with an embedded `component-type` section into a component.
fn componentize(core: &Path, out: &Path) -> Result<()> {
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

/// Builds `policies` (all of them if empty) into `<root>/target/policies/<package>.wasm`
/// and returns the components' paths.
pub fn build_policies(root: &Path, packages: &[String]) -> Result<Vec<PathBuf>> {
    let all = discover_policies(root)?;
    let selected: Vec<&Policy> = if packages.is_empty() {
        all.iter().collect()
    } else {
        packages
            .iter()
            .map(|name| all.iter().find(|p| &p.package == name).with_context(|| format!("no policy package named '{name}'")))
            .collect::<Result<_>>()?
    };
    let toolchain = find_toolchain()?;
    compile_core_modules(root, &toolchain, &selected)?;
    let out_dir = root.join("target/policies");
    std::fs::create_dir_all(&out_dir)?;
    let mut built = Vec::new();
    for policy in selected {
        let core = root
            .join("target/wasm")
            .join(TARGET)
            .join(PROFILE)
            .join(format!("{}.wasm", policy.package.replace('-', "_")));
        let out = out_dir.join(format!("{}.wasm", policy.package));
        componentize(&core, &out)?;
        built.push(out);
    }
    Ok(built)
}
