//! Turning policy projects into checked recguard policy components, and
//! starting new ones: what `recguard build` and `recguard new` do, and what
//! `cargo xtask build-policies` uses for the workspace's own policies.
//!
//! A build ends the same way for every language: the component's build-time
//! leftovers are removed ([`strip`]), its world is checked by name before
//! anything compiles it ([`world`]), and it is written where asked.

pub mod new;
pub mod project;
pub mod rust;
pub mod script;
pub mod strip;
pub mod toolchains;
pub mod world;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

pub use project::{Engine, Language, Project};

/// What a build produced.
#[derive(Debug)]
pub struct Built {
    /// Where the component was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
    /// What it imports (only recguard's interfaces, once checked).
    pub imports: Vec<String>,
    /// Build-time exports removed from it (e.g. `init`).
    pub stripped: Vec<String>,
    /// How long the build took.
    pub took: Duration,
    /// Whether building the same source with the same toolchains gives these
    /// very bytes again (`None` for Rust, where that depends on the folders
    /// cargo builds from).
    pub reproducible: Option<Reproducible>,
}

/// Whether a build can be repeated bit for bit, so that anyone holding the
/// source and the pinned toolchains can check that a signed component was
/// built from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reproducible {
    /// The same source and toolchains give the same bytes.
    Yes,
    /// They may not, for the reason given.
    No(String),
}

/// Builds `project` into a checked component at `out`.
pub fn build(project: &Project, out: &Path) -> Result<Built> {
    let started = Instant::now();
    let (raw, reproducible) = match project.componentizer() {
        Some(componentizer) => {
            let (bytes, reproducible) = script::componentize(project, componentizer)?;
            (bytes, Some(reproducible))
        }
        None => (build_rust(project)?, None),
    };
    let (component, stripped) = strip::strip_exports(&raw, &world::exports())?;
    let summary = world::check(&component).with_context(|| format!("the component built from {}", project.dir.display()))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(out, &component).with_context(|| format!("writing {}", out.display()))?;
    Ok(Built { path: out.to_path_buf(), bytes: component.len(), imports: summary.imports, stripped, took: started.elapsed(), reproducible })
}

/// Compiles a Rust project (its own Cargo workspace) and componentizes it.
fn build_rust(project: &Project) -> Result<Vec<u8>> {
    let manifest = project.dir.join(&project.source);
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let table: toml::Table = toml::from_str(&text).with_context(|| format!("reading {}", manifest.display()))?;
    let package = table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .with_context(|| format!("{} names no package", manifest.display()))?;
    let toolchain = rust::find_toolchain()?;
    let root = manifest.parent().context("the manifest has no folder")?;
    // Like cargo, honour CARGO_TARGET_DIR: projects that share one share the
    // compiled standard library and dependencies.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map(|dir| std::path::absolute(&dir).with_context(|| format!("CARGO_TARGET_DIR {}", PathBuf::from(&dir).display())))
        .transpose()?
        .unwrap_or_else(|| project.work_dir.join("wasm"));
    let cores = rust::compile_core_modules(root, &target_dir, &toolchain, &[package])?;
    let staged = project.work_dir.join("recguard-build/rust/component.wasm");
    if let Some(dir) = staged.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    rust::componentize(&cores[0], &staged)?;
    std::fs::read(&staged).with_context(|| format!("reading {}", staged.display()))
}
