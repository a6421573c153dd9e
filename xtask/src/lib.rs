//! Builds the workspace's policy crates into WebAssembly components, with
//! `recguard-build` (which says how). Used by `cargo xtask build-policies`.

pub mod contract;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use recguard_build::rust;

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
    let toolchain = rust::find_toolchain()?;
    let packages: Vec<&str> = selected.iter().map(|policy| policy.package.as_str()).collect();
    let cores = rust::compile_core_modules(root, &root.join("target/wasm"), &toolchain, &packages)?;
    let out_dir = root.join("target/policies");
    std::fs::create_dir_all(&out_dir)?;
    let mut built = Vec::new();
    for (package, core) in packages.iter().zip(cores) {
        let out = out_dir.join(format!("{package}.wasm"));
        rust::componentize(&core, &out)?;
        built.push(out);
    }
    if packages.len() == all.len() {
        built.extend(build_twins(root)?);
    }
    Ok(built)
}

/// The JavaScript and Python twins of reference policies: the policy
/// projects at `policies/<policy>/<language>/`, each built into
/// `target/policies/<policy>-<language>.wasm`.
pub fn build_twins(root: &Path) -> Result<Vec<PathBuf>> {
    let mut built = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("policies"))?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs {
        for language in ["js", "python"] {
            let project_dir = dir.join(language);
            if !project_dir.join(recguard_build::project::MANIFEST).is_file() {
                continue;
            }
            let project = recguard_build::Project::open(&project_dir)?;
            let out = root.join("target/policies").join(format!("{}-{language}.wasm", project.name));
            recguard_build::build(&project, &out).with_context(|| format!("building {}", project_dir.display()))?;
            built.push(out);
        }
    }
    Ok(built)
}
