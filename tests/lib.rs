//! Shared helpers for recguard's integration tests and benchmarks: paths of
//! the compiled components (built by `build.rs`), and request fixtures.

#![deny(missing_docs)]

/// Paths of the compiled policy components.
pub mod components {
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// Reads an example request from `examples/requests/` (the tests use the
/// very requests the README's main command evaluates, so both stay true).
pub fn fixture(name: &str) -> String {
    let path = workspace_root().join("examples/requests").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A request, parsed from JSON text.
pub fn request(json: &str) -> recguard_host::Request {
    recguard_host::Request::from_json(json).unwrap_or_else(|e| panic!("fixture request: {e}"))
}

/// A minimal request at the given Unix time (ms) for a user of `age_band`,
/// with `count` video candidates `c0`, `c1`, … on the given surface.
pub fn simple_request(now_ms: u64, age_band: &str, surface: &str, count: usize) -> recguard_host::Request {
    let candidates: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            serde_json::json!({
                "id": format!("c{i}"), "author": format!("a{}", i % 7), "kind": "video",
                "topics": ["science"], "score": 100.0 - i as f64, "non-personal-score": (i * 37 % 101) as f64
            })
        })
        .collect();
    let value = serde_json::json!({
        "id": "req", "now-ms": now_ms, "utc-offset-minutes": 480, "surface": surface,
        "user": { "id": "u1", "age-band": age_band },
        "candidates": candidates,
    });
    serde_json::from_value(value).expect("a valid request")
}
