//! Shared helpers for recguard's integration tests and benchmarks: paths of
//! the compiled components (built by `build.rs`), and request fixtures.

#![deny(missing_docs)]

pub mod sdk_bridge;

/// The README's Rust examples, run as doctests (`cargo test --doc -p recguard-tests`),
/// so that what the README shows compiles and does what it says.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

/// Paths of the compiled policy components.
pub mod components {
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}

use std::path::PathBuf;

include!(concat!(env!("OUT_DIR"), "/workspace.rs"));

/// The workspace root (as `xtask::workspace_root` finds it for the build script).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(WORKSPACE_ROOT)
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

/// A realistic request of `count` candidates on `surface` for a minor at
/// 20:00 on a Wednesday (Beijing): a mix of topics and kinds, some risk tags,
/// engagement on every item, a few unrecorded pins and some fake engagement,
/// so that both foundation policies have work to do.
pub fn mixed_request(count: usize, surface: &str) -> recguard_host::Request {
    const TOPICS: [&str; 8] = ["science", "music", "finance", "history", "news", "sports", "education", "fan-voting"];
    const KINDS: [&str; 5] = ["video", "article", "live", "game", "video"];
    let candidates: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let mut c = serde_json::json!({
                "id": format!("item-{i:05}"), "author": format!("author-{}", i % 13), "kind": KINDS[i % KINDS.len()],
                "topics": [TOPICS[i % TOPICS.len()], TOPICS[(i / 3) % 7]],
                "score": 1000.0 - i as f64, "non-personal-score": ((i * 7919) % 1000) as f64,
                "engagement": { "views": 10_000 + i, "likes": 500, "comments": 40, "shares": 12,
                                "low-reputation-share": if i % 17 == 0 { 0.75 } else { 0.08 },
                                "velocity-per-hour": if i % 23 == 0 { 90_000.0 } else { 300.0 }, "baseline-per-hour": 250.0 },
            });
            if i % 11 == 0 {
                c["risk-tags"] = serde_json::json!(["unsafe-imitation"]);
            }
            if i % 29 == 0 {
                c["operator-actions"] = serde_json::json!([{ "kind": "pin", "operator": "op-3" }]);
            }
            c
        })
        .collect();
    let value = serde_json::json!({
        "id": "bench", "now-ms": 1_795_608_000_000u64, "utc-offset-minutes": 480, "surface": surface,
        "user": { "id": "u1", "age-band": "from12to16", "identity-verified": true, "minors-mode": true,
                  "usage": { "minutes-today": 20, "continuous-minutes": 31 } },
        "candidates": candidates,
    });
    serde_json::from_value(value).expect("a valid request")
}

/// Loads a compiled component without the signature kept beside it, for
/// chains under the development switch ([`recguard_host::Trust::development`]).
pub fn load_unsigned(runtime: &recguard_host::Runtime, path: &str) -> recguard_host::PolicyComponent {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    recguard_host::PolicyComponent::load_bytes(runtime, &bytes, path).unwrap_or_else(|e| panic!("loading {path}: {e}"))
}

/// The demo key pairs in `keys/` (see `keys/README.md`): never for production.
pub mod demo_keys {
    use recguard_host::signing::{PublicKey, SecretKey};

    fn key_file(name: &str) -> std::path::PathBuf {
        super::workspace_root().join("keys").join(name)
    }

    /// The demo regulator's private key, which signs the reference policies.
    pub fn regulator() -> SecretKey {
        SecretKey::read(&key_file("demo-regulator.pem")).expect("the demo regulator key")
    }

    /// The demo regulator's public key.
    pub fn regulator_public() -> PublicKey {
        PublicKey::read(&key_file("demo-regulator.pub")).expect("the demo regulator public key")
    }

    /// The demo provider's private key.
    pub fn provider() -> SecretKey {
        SecretKey::read(&key_file("demo-provider.pem")).expect("the demo provider key")
    }
}
