//! `recguard test <policy-dir>...`: runs a policy's test vectors against its
//! compiled component.
//!
//! A vector is a JSON file in `<policy-dir>/vectors/`:
//!
//! ```json
//! { "name": "curfew blocks at 23:00",
//!   "settings": { },
//!   "request": { "id": "r1", "now-ms": 0, ... },
//!   "expect": { "verdict": { "kind": "block", "code": "minors.curfew" } } }
//! ```
//!
//! `expect` is a partial outcome: every key it names must be in the outcome
//! with a matching value (objects match key by key, arrays element by element
//! and in full length). The policy runs alone, as a regulator-issued policy.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::output;
use recguard_host::{Chain, PolicyComponent, PolicyOptions, Request, Runtime};
use serde::Deserialize;
use serde_json::Value;

/// Run test vectors against compiled policies.
#[derive(Args)]
pub struct TestCommand {
    /// Policy directories: policy projects (with a recguard.toml), or crates with a `vectors/` folder.
    #[arg(required = true)]
    policy_dirs: Vec<PathBuf>,
    /// The compiled component (default: target/policies/<package>.wasm above the directory).
    #[arg(long)]
    component: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    #[serde(default)]
    settings: Option<Value>,
    request: Value,
    expect: Value,
}

impl TestCommand {
    /// Runs every vector of every directory and prints `N passed, N failed`.
    pub fn execute(self) -> Result<ExitCode> {
        if self.component.is_some() && self.policy_dirs.len() > 1 {
            bail!("--component goes with a single policy directory");
        }
        let runtime = super::runtime()?;
        let (mut passed, mut failed) = (0, 0);
        for dir in &self.policy_dirs {
            let component_path = match &self.component {
                Some(path) => path.clone(),
                None => default_component(dir)?,
            };
            // Vectors test behaviour: the signature (checked by chains that run
            // the policy) is left aside, so an author tests before signing.
            let bytes = std::fs::read(&component_path).with_context(|| format!("reading {}", component_path.display()))?;
            let component = PolicyComponent::load_bytes(&runtime, &bytes, &component_path.display().to_string())?;
            output::line(format!("{} ({})", component.descriptor().name, component_path.display()))?;
            for (path, vector) in read_vectors(&vectors_dir(dir)?)? {
                match run_vector(&runtime, &component, &vector) {
                    Ok(()) => {
                        passed += 1;
                        output::line(format!("  ok    {}", vector.name))?;
                    }
                    Err(error) => {
                        failed += 1;
                        output::line(format!("  FAIL  {} ({}): {error:#}", vector.name, path.display()))?;
                    }
                }
            }
        }
        output::line(format!("{passed} passed, {failed} failed"))?;
        Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }
}

fn run_vector(runtime: &Runtime, component: &PolicyComponent, vector: &Vector) -> Result<()> {
    let mut options = PolicyOptions::regulator();
    if let Some(settings) = &vector.settings {
        options = options.settings(settings.clone());
    }
    let chain = Chain::builder(runtime).trust(recguard_host::Trust::development()).policy(component.clone(), options)?.build()?;
    let request = Request::from_json(&vector.request.to_string()).context("the vector's request")?;
    let outcome = serde_json::to_value(chain.evaluate(&request)?)?;
    matches(&vector.expect, &outcome, "$")
}

/// Checks that `actual` has everything `expected` names.
fn matches(expected: &Value, actual: &Value, at: &str) -> Result<()> {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let Some(found) = have.get(key) else { bail!("at {at}: no key '{key}' in the outcome") };
                matches(value, found, &format!("{at}.{key}"))?;
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(have)) => {
            if want.len() != have.len() {
                bail!("at {at}: expected {} element(s), got {}: {}", want.len(), have.len(), actual);
            }
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                matches(w, h, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(w), Value::Number(h)) if w.as_f64() == h.as_f64() => Ok(()),
        (w, h) if w == h => Ok(()),
        (w, h) => bail!("at {at}: expected {w}, got {h}"),
    }
}

/// `<dir>/vectors`, or where a policy project's `recguard.toml` puts them.
fn vectors_dir(dir: &Path) -> Result<PathBuf> {
    if dir.join(recguard_build::project::MANIFEST).is_file() {
        return Ok(recguard_build::Project::open(dir)?.vectors);
    }
    Ok(dir.join("vectors"))
}

fn read_vectors(vectors_dir: &Path) -> Result<Vec<(PathBuf, Vector)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(vectors_dir)
        .with_context(|| format!("cannot read {}", vectors_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("{} has no *.json vectors", vectors_dir.display());
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)?;
            let vector = serde_json::from_str(&text).with_context(|| format!("vector {}", path.display()))?;
            Ok((path, vector))
        })
        .collect()
}

/// A policy project's `target/policies/<name>.wasm` (where `recguard build`
/// writes it); for a crate, `target/policies/<package>.wasm` in the nearest
/// ancestor that has one.
fn default_component(dir: &Path) -> Result<PathBuf> {
    if dir.join(recguard_build::project::MANIFEST).is_file() {
        let project = recguard_build::Project::open(dir)?;
        let path = project.default_output();
        if !path.is_file() {
            bail!("no {}; build it with `recguard build {}` or pass --component", path.display(), dir.display());
        }
        return Ok(path);
    }
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let package = text
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .find_map(|l| l.trim().strip_prefix("name").map(|rest| rest.trim_start_matches([' ', '=']).trim_matches('"').to_string()))
        .with_context(|| format!("{} names no package", manifest.display()))?;
    let start = dir.canonicalize().with_context(|| format!("no directory {}", dir.display()))?;
    for ancestor in start.ancestors() {
        let candidate = ancestor.join("target/policies").join(format!("{package}.wasm"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("no target/policies/{package}.wasm above {}; build it with `cargo xtask build-policies` or pass --component", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expectations_are_partial_for_objects_and_full_for_arrays() {
        let actual = json!({"a": 1, "b": [{"x": 1, "y": 2}], "c": "s"});
        assert!(matches(&json!({"b": [{"x": 1}]}), &actual, "$").is_ok());
        assert!(matches(&json!({"b": []}), &actual, "$").is_err());
        let error = matches(&json!({"c": "t"}), &actual, "$").unwrap_err();
        assert!(error.to_string().contains("at $.c"), "{error}");
        assert!(matches(&json!({"d": 1}), &actual, "$").is_err());
    }
}
