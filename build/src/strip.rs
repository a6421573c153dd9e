//! Removing the exports a componentizer leaves behind.
//!
//! JavaScript and Python componentizers pre-initialise their interpreter at
//! build time (Wizer) and keep what they called for it in the component:
//! componentize-qjs an `init` function, componentize-py an `exports`
//! instance. The policy world exports exactly `describe`,
//! `validate-settings` and `evaluate`, and the host refuses anything else, so
//! `recguard build` removes the rest here.
//!
//! Only the component's top level changes. Its sections are copied byte for
//! byte up to the export that goes; an export adds an item to its sort's
//! index space, so every later reference to a higher index of that sort is
//! renumbered (the later sections are re-encoded, nested modules and
//! components copied as they are). A component that uses the removed export
//! itself is refused rather than rewritten.

use std::convert::Infallible;

use anyhow::{bail, Context};
use wasm_encoder::reencode::{Reencode, ReencodeComponent};
use wasm_encoder::{Component, RawSection};
use wasmparser::{ComponentAlias, ComponentExternalKind, ComponentTypeRef, Parser, Payload};

/// Removes every top-level export whose name is not in `keep`; returns the new
/// component and the names removed (in the order they appeared).
pub fn strip_exports(bytes: &[u8], keep: &[&str]) -> anyhow::Result<(Vec<u8>, Vec<String>)> {
    let mut current = bytes.to_vec();
    let mut removed = Vec::new();
    // One export per pass: each pass renumbers the index space of one sort.
    while let Some(name) = first_extra_export(&current, keep)? {
        current = remove_export(&current, &name).with_context(|| format!("removing the build-time export `{name}`"))?;
        removed.push(name);
    }
    Ok((current, removed))
}

/// The name of the first top-level export not in `keep`.
fn first_extra_export(bytes: &[u8], keep: &[&str]) -> anyhow::Result<Option<String>> {
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.context("reading the component")?;
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    let export = export?;
                    if !keep.contains(&export.name.name) {
                        return Ok(Some(export.name.name.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The top-level index spaces an export can free a slot in.
#[derive(Default)]
struct Counts {
    funcs: u32,
    instances: u32,
}

impl Counts {
    /// Counts one new item of `kind`, returning its index.
    fn add(&mut self, kind: ComponentExternalKind) -> Option<u32> {
        let counter = match kind {
            ComponentExternalKind::Func => &mut self.funcs,
            ComponentExternalKind::Instance => &mut self.instances,
            _ => return None,
        };
        *counter += 1;
        Some(*counter - 1)
    }
}

/// Renumbers references past the removed item of one sort, at the top level.
struct Renumber {
    kind: ComponentExternalKind,
    removed: u32,
    /// Set when a later section refers to the removed item itself.
    used: bool,
}

impl Renumber {
    fn shift(&mut self, kind: ComponentExternalKind, index: u32) -> u32 {
        if kind != self.kind {
            return index;
        }
        if index == self.removed {
            self.used = true;
        }
        if index > self.removed {
            index - 1
        } else {
            index
        }
    }
}

impl Reencode for Renumber {
    type Error = Infallible;
}

impl ReencodeComponent for Renumber {
    fn component_func_index(&mut self, index: u32) -> u32 {
        self.shift(ComponentExternalKind::Func, index)
    }

    fn component_instance_index(&mut self, index: u32) -> u32 {
        self.shift(ComponentExternalKind::Instance, index)
    }
}

/// Removes the top-level export `name`.
fn remove_export(bytes: &[u8], name: &str) -> anyhow::Result<Vec<u8>> {
    let mut out = Component::new();
    let mut counts = Counts::default();
    let mut renumber: Option<Renumber> = None;
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.context("reading the component")?;
        if depth > 0 {
            match payload {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                Payload::End(_) => depth -= 1,
                _ => {}
            }
            continue;
        }
        let raw = |out: &mut Component, payload: &Payload<'_>| {
            if let Some((id, range)) = payload.as_section() {
                out.section(&RawSection { id, data: &bytes[range.start as usize..range.end as usize] });
            }
        };
        match &payload {
            Payload::Version { .. } => {}
            Payload::End(_) => break,
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => {
                // Nested index spaces are their own; outer aliases name only
                // types, modules and components, which no export removal moves.
                raw(&mut out, &payload);
                depth += 1;
            }
            Payload::ComponentImportSection(section) => {
                for import in section.clone() {
                    match import?.ty {
                        ComponentTypeRef::Func(_) => counts.funcs += 1,
                        ComponentTypeRef::Instance(_) => counts.instances += 1,
                        _ => {}
                    }
                }
                raw(&mut out, &payload);
            }
            Payload::ComponentAliasSection(section) => {
                for alias in section.clone() {
                    if let ComponentAlias::InstanceExport { kind, .. } = alias? {
                        counts.add(kind);
                    }
                }
                match renumber.as_mut() {
                    Some(renumber) => {
                        let mut aliases = wasm_encoder::ComponentAliasSection::new();
                        renumber.parse_component_alias_section(&mut aliases, section.clone())?;
                        out.section(&aliases);
                    }
                    None => raw(&mut out, &payload),
                }
            }
            Payload::ComponentCanonicalSection(section) => {
                for function in section.clone() {
                    if let wasmparser::CanonicalFunction::Lift { .. } = function? {
                        counts.funcs += 1;
                    }
                }
                match renumber.as_mut() {
                    Some(renumber) => {
                        let mut functions = wasm_encoder::CanonicalFunctionSection::new();
                        renumber.parse_component_canonical_section(&mut functions, section.clone())?;
                        out.section(&functions);
                    }
                    None => raw(&mut out, &payload),
                }
            }
            Payload::ComponentInstanceSection(section) => {
                counts.instances += section.count();
                match renumber.as_mut() {
                    Some(renumber) => {
                        let mut instances = wasm_encoder::ComponentInstanceSection::new();
                        renumber.parse_component_instance_section(&mut instances, section.clone())?;
                        out.section(&instances);
                    }
                    None => raw(&mut out, &payload),
                }
            }
            Payload::ComponentExportSection(section) => {
                let mut exports = wasm_encoder::ComponentExportSection::new();
                for export in section.clone() {
                    let export = export?;
                    let index = counts.add(export.kind);
                    if export.name.name == name && renumber.is_none() {
                        let Some(removed) = index else {
                            bail!("it exports a {:?}; only a function or an instance can be removed", export.kind);
                        };
                        renumber = Some(Renumber { kind: export.kind, removed, used: false });
                        // The item is gone: later items of its sort move down.
                        match export.kind {
                            ComponentExternalKind::Func => counts.funcs -= 1,
                            _ => counts.instances -= 1,
                        }
                        continue;
                    }
                    match renumber.as_mut() {
                        Some(renumber) => renumber.parse_component_export(&mut exports, export)?,
                        None => wasm_encoder::reencode::RoundtripReencoder.parse_component_export(&mut exports, export)?,
                    }
                }
                out.section(&exports);
            }
            Payload::ComponentStartSection { .. } if renumber.is_some() => {
                bail!("it has a start function after the export; recguard cannot rewrite that")
            }
            _ => raw(&mut out, &payload),
        }
    }
    if renumber.as_ref().is_some_and(|renumber| renumber.used) {
        bail!("the component itself uses `{name}`, so it cannot be removed");
    }
    let bytes = out.finish();
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    validator.validate_all(&bytes).context("the component is no longer valid without the export")?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component that exports `init` between two functions of an inner
    /// instance, and a third function after it.
    fn with_init() -> Vec<u8> {
        wat_component(
            r#"(component
                (component $inner
                  (core module $m (func (export "f")) (func (export "g")) (func (export "h")))
                  (core instance $i (instantiate $m))
                  (func (export "init") (canon lift (core func $i "f")))
                  (func (export "describe") (canon lift (core func $i "g")))
                  (func (export "evaluate") (canon lift (core func $i "h"))))
                (instance $x (instantiate $inner))
                (alias export $x "init" (func $init))
                (export "init" (func $init))
                (alias export $x "describe" (func $d))
                (export "describe" (func $d))
                (alias export $x "evaluate" (func $e))
                (export "evaluate" (func $e)))"#,
        )
    }

    fn wat_component(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("test component parses")
    }

    fn exports(bytes: &[u8]) -> Vec<String> {
        let mut depth = 0;
        let mut names = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.unwrap() {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                Payload::End(_) => depth -= 1,
                Payload::ComponentExportSection(s) if depth == 0 => names.extend(s.into_iter().map(|e| e.unwrap().name.name.to_string())),
                _ => {}
            }
        }
        names
    }

    #[test]
    fn a_leftover_function_export_is_removed_and_the_rest_renumbered() {
        let (bytes, removed) = strip_exports(&with_init(), &["describe", "evaluate"]).unwrap();
        assert_eq!(removed, ["init"]);
        assert_eq!(exports(&bytes), ["describe", "evaluate"]);
    }

    #[test]
    fn a_leftover_instance_export_is_removed() {
        let component = wat_component(
            r#"(component
                (component $inner
                  (core module $m (func (export "f")))
                  (core instance $i (instantiate $m))
                  (func (export "f") (canon lift (core func $i "f"))))
                (instance $a (instantiate $inner))
                (export "exports" (instance $a))
                (instance $b (instantiate $inner))
                (alias export $b "f" (func $f))
                (export "describe" (func $f)))"#,
        );
        let (bytes, removed) = strip_exports(&component, &["describe"]).unwrap();
        assert_eq!(removed, ["exports"]);
        assert_eq!(exports(&bytes), ["describe"]);
    }

    #[test]
    fn nothing_changes_without_leftovers() {
        let (bytes, removed) = strip_exports(&with_init(), &["init", "describe", "evaluate"]).unwrap();
        assert!(removed.is_empty());
        assert_eq!(bytes, with_init());
    }
}
