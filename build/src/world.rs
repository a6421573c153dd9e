//! Checking a built component against the policy world before anything
//! compiles it: its WIT is decoded (milliseconds, where compiling a 15 MB
//! interpreter takes seconds) and every import and export compared by name.
//! What is expected comes from the contract itself (`wit/policy.wit`, as this
//! recguard was built with it), so a new version of the contract needs no
//! edit here. The host checks the full types again when it loads the component.

use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use wit_component::DecodedWasm;
use wit_parser::{Resolve, World, WorldItem, WorldKey};

use crate::script::POLICY_WIT;

/// What a component imports and exports, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldSummary {
    /// Imported interfaces and functions.
    pub imports: Vec<String>,
    /// Exported interfaces and functions.
    pub exports: Vec<String>,
}

/// The imports and exports of the `policy` world of the contract.
pub fn policy_world() -> &'static WorldSummary {
    static EXPECTED: OnceLock<WorldSummary> = OnceLock::new();
    EXPECTED.get_or_init(|| {
        let mut resolve = Resolve::default();
        let package = resolve.push_str("policy.wit", POLICY_WIT).expect("the contract built into recguard parses");
        let world = resolve.select_world(&[package], Some("policy")).expect("the contract has a `policy` world");
        name_items(&resolve, &resolve.worlds[world])
    })
}

/// The functions a policy exports.
pub fn exports() -> Vec<&'static str> {
    policy_world().exports.iter().map(String::as_str).collect()
}

/// Names a component's imports and exports.
pub fn summarise(bytes: &[u8]) -> Result<WorldSummary> {
    let decoded = wit_component::decode(bytes).context("decoding the component's WIT")?;
    let DecodedWasm::Component(resolve, world) = decoded else {
        bail!("this is a WIT package, not a component");
    };
    Ok(name_items(&resolve, &resolve.worlds[world]))
}

/// A world's imports and exports by name (interfaces by their full name), types left aside.
fn name_items(resolve: &Resolve, world: &World) -> WorldSummary {
    let name = |key: &WorldKey, item: &WorldItem| match item {
        WorldItem::Interface { id, .. } => resolve.id_of(*id).unwrap_or_else(|| resolve.name_world_key(key)),
        _ => resolve.name_world_key(key),
    };
    let keep = |item: &WorldItem| !matches!(item, WorldItem::Type { .. });
    WorldSummary {
        imports: world.imports.iter().filter(|(_, item)| keep(item)).map(|(key, item)| name(key, item)).collect(),
        exports: world.exports.iter().filter(|(_, item)| keep(item)).map(|(key, item)| name(key, item)).collect(),
    }
}

/// Checks a component's imports and exports against the policy world;
/// the error lists every difference.
pub fn check(bytes: &[u8]) -> Result<WorldSummary> {
    let summary = summarise(bytes)?;
    let expected = policy_world();
    let mut problems = Vec::new();
    for import in &summary.imports {
        if !expected.imports.contains(import) {
            problems.push(format!(
                "it imports `{import}`: a policy may import only {} (no WASI, clock, randomness or I/O)",
                expected.imports.join(", ")
            ));
        }
    }
    for export in &summary.exports {
        if !expected.exports.contains(export) {
            problems.push(format!("unexpected export `{export}`"));
        }
    }
    for export in &expected.exports {
        if !summary.exports.contains(export) {
            problems.push(format!("it does not export `{export}`"));
        }
    }
    if !problems.is_empty() {
        bail!("not a policy of the contract this recguard runs: {}", problems.join("; "));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_world_comes_from_the_contract() {
        let world = policy_world();
        assert_eq!(world.exports, ["describe", "validate-settings", "evaluate"]);
        assert!(world.imports.iter().any(|i| i.starts_with("recguard:policy/host@")), "{:?}", world.imports);
    }

    #[test]
    fn a_component_that_is_not_a_policy_is_named_for_each_difference() {
        let component = wat::parse_str(
            r#"(component
                (core module $m (func (export "f")))
                (core instance $i (instantiate $m))
                (func (export "describe") (canon lift (core func $i "f")))
                (func (export "init") (canon lift (core func $i "f"))))"#,
        )
        .unwrap();
        let error = check(&component).unwrap_err().to_string();
        assert!(error.contains("unexpected export `init`"), "{error}");
        assert!(error.contains("it does not export `evaluate`"), "{error}");
    }
}
