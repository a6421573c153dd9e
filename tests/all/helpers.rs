//! Helpers shared by the test modules.

use recguard_host::{Chain, PolicyComponent, PolicyOptions, Runtime, RuntimeOptions};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// One runtime for the whole test binary (as a provider would have).
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(RuntimeOptions { fuel: true, ..RuntimeOptions::default() }).expect("runtime"))
}

/// Loads a compiled component, compiling each file once per test binary.
/// Its signature, if any, is left aside: these chains run under the
/// development switch (the signing tests load signatures themselves).
pub fn load(path: &str) -> PolicyComponent {
    static LOADED: OnceLock<Mutex<HashMap<String, PolicyComponent>>> = OnceLock::new();
    let mut loaded = LOADED.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    loaded
        .entry(path.to_string())
        .or_insert_with(|| recguard_tests::load_unsigned(runtime(), path))
        .clone()
}

/// Every vector of a reference policy (`policies/<policy>/vectors/*.json`, in
/// name order), as (settings, request JSON).
pub fn vectors(policy: &str) -> Vec<(serde_json::Value, serde_json::Value)> {
    let dir = recguard_tests::workspace_root().join("policies").join(policy).join("vectors");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("vectors").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("read");
            let vector: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            (vector.get("settings").cloned().unwrap_or_else(|| serde_json::json!({})), vector["request"].clone())
        })
        .collect()
}

/// A chain of (component path, options).
pub fn chain(links: Vec<(&str, PolicyOptions)>) -> Chain {
    let mut builder = Chain::builder(runtime()).trust(recguard_host::Trust::development());
    for (path, options) in links {
        builder = builder.policy(load(path), options).unwrap_or_else(|e| panic!("adding {path}: {e}"));
    }
    builder.build().expect("a valid chain")
}
