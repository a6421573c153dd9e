//! Checking a component before it is compiled into a policy: the header
//! (a component, not a core module), the `recguard:policy` world (exactly
//! its imports and exports, each difference named), and that an instance
//! fits one slot of the instance pool.

use wasmtime::component::types::ComponentItem;
use wasmtime::component::Component;

use crate::error::LoadError;
use crate::runtime::{Runtime, HOST_INTERFACE, MEMORIES_PER_INSTANCE, TABLES_PER_INSTANCE, TYPES_INTERFACE};

/// The functions the policy world exports.
pub(crate) const EXPORTS: [&str; 3] = ["describe", "validate-settings", "evaluate"];

/// The bytes of one wasm page.
const WASM_PAGE_BYTES: u64 = 64 * 1024;

/// Checks that an instance of the component fits one pool slot, and returns
/// the bytes of linear memory it starts with.
pub(crate) fn check_resources(component: &Component) -> Result<u64, String> {
    let Some(needs) = component.resources_required() else {
        return Err("it imports core modules, which a policy may not".into());
    };
    if needs.num_memories > MEMORIES_PER_INSTANCE {
        return Err(format!("it has {} linear memories; a policy may have at most {MEMORIES_PER_INSTANCE}", needs.num_memories));
    }
    if needs.num_tables > TABLES_PER_INSTANCE {
        return Err(format!("it has {} tables; a policy may have at most {TABLES_PER_INSTANCE}", needs.num_tables));
    }
    Ok(needs.max_initial_memory_size.unwrap_or(0).saturating_mul(WASM_PAGE_BYTES))
}

pub(crate) fn check_header(bytes: &[u8], origin: &str) -> Result<(), LoadError> {
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return Err(LoadError::NotWasm { origin: origin.to_string() });
    }
    // Layer 0 with version 1 is a core module; components use layer 1.
    if bytes[4..8] == [1, 0, 0, 0] {
        return Err(LoadError::NotAComponent { origin: origin.to_string() });
    }
    Ok(())
}

/// Lists every import and export that differs from the policy world.
pub(crate) fn check_world(runtime: &Runtime, component: &Component, origin: &str) -> Result<(), LoadError> {
    let engine = runtime.engine();
    let ty = component.component_type();
    let mut problems = Vec::new();
    for (name, _) in ty.imports(engine) {
        if name.starts_with("recguard:policy/") && name != HOST_INTERFACE && name != TYPES_INTERFACE {
            problems.push(format!(
                "it imports `{name}`, another version of the contract; this host runs recguard:policy@0.3.0: rebuild the policy with the current SDK"
            ));
        } else if name != HOST_INTERFACE && name != TYPES_INTERFACE {
            problems.push(format!(
                "unexpected import `{name}`: a policy may import only `{HOST_INTERFACE}` (no WASI, clock, randomness or I/O)"
            ));
        }
    }
    let mut exported = Vec::new();
    for (name, item) in ty.exports(engine) {
        match item.ty {
            ComponentItem::ComponentFunc(_) if EXPORTS.contains(&name) => exported.push(name.to_string()),
            ComponentItem::Type(_) => {}
            _ => problems.push(format!(
                "unexpected export `{name}`: the policy world exports only {}",
                EXPORTS.map(|e| format!("`{e}`")).join(", ")
            )),
        }
    }
    for name in EXPORTS {
        if !exported.iter().any(|e| e == name) {
            problems.push(format!("missing export `{name}`"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LoadError::WrongWorld { origin: origin.to_string(), problems })
    }
}
