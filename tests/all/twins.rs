//! The JavaScript and Python twins of two reference policies (disclosure and
//! opt-out, `policies/<policy>/{js,python}/`) decide exactly as their Rust
//! originals: on every vector of the policy and on generated requests that
//! probe the edges (ties, -0, ids whose UTF-16 and UTF-8 orders differ, pins
//! with and without a reason, every surface, empty lists). Each twin is built
//! by `recguard build` (through `cargo xtask build-policies`) with the SDKs in
//! `guest-sdk/js` and `guest-sdk/python`.

use recguard_host::{Chain, Limits, PolicyOptions, Request};
use recguard_tests::components::{DISCLOSURE, DISCLOSURE_JS, DISCLOSURE_PYTHON, OPT_OUT, OPT_OUT_JS, OPT_OUT_PYTHON};
use serde_json::{json, Value};

use crate::helpers::{load, runtime};

fn chain_of(path: &str, settings: &Value) -> Chain {
    // The twins are compared on what they decide, not on how fast: a generous
    // deadline keeps a busy machine (a debug build, tests in parallel) from
    // turning one slow evaluation of an interpreter into a fail-closed block.
    let limits = Limits { deadline_ms: 5_000, ..Limits::default() };
    let options = PolicyOptions::regulator().settings(settings.clone()).limits(limits);
    Chain::builder(runtime())
        .trust(recguard_host::Trust::development())
        .policy(load(path), options)
        .unwrap_or_else(|e| panic!("adding {path}: {e}"))
        .build()
        .expect("a valid chain")
}

/// What a policy decided, without what differs by build (digests, timings, logs).
fn decided(chain: &Chain, request: &Request) -> Value {
    let mut outcome = serde_json::to_value(chain.evaluate(request).expect("evaluates")).expect("serialises");
    let step = &outcome["trace"][0];
    let kept = json!({ "status": step["status"], "findings": step["findings"], "effects": step["effects"] });
    let object = outcome.as_object_mut().expect("an object");
    object.remove("trace");
    object.insert("step".into(), kept);
    outcome
}

/// A small deterministic generator (no dependency, the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// Requests that probe where languages differ: string order, float order, options.
fn generated_requests(count: usize) -> Vec<Request> {
    const IDS: [&str; 10] = ["a", "b", "B", "é", "中", "😀", "ｚ", "item-2", "item-10", ""];
    const SURFACES: [&str; 4] = ["feed", "hot-list", "search", "push"];
    const SCORES: [f64; 6] = [0.5, 0.5, 0.0, -0.0, 1e-300, 0.8];
    let mut rng = Lcg(7);
    (0..count)
        .map(|n| {
            let size = rng.next(9) as usize;
            let candidates: Vec<Value> = (0..size)
                .map(|i| {
                    let mut c = json!({
                        "id": format!("{}{i}", IDS[rng.next(IDS.len() as u64) as usize]),
                        "kind": "video",
                        "score": rng.next(100) as f64 / 10.0,
                        "non-personal-score": SCORES[rng.next(SCORES.len() as u64) as usize],
                    });
                    match rng.next(5) {
                        0 => c["operator-actions"] = json!([{ "kind": "pin", "operator": "op", "reason": "emergency notice" }]),
                        1 => c["operator-actions"] = json!([{ "kind": "pin", "operator": "op" }]),
                        2 => c["operator-actions"] = json!([{ "kind": "boost", "operator": "op", "reason": "  " }]),
                        _ => {}
                    }
                    c
                })
                .collect();
            let tags: Vec<Value> = (0..rng.next(3)).map(|t| json!({ "name": format!("标签-{t}"), "source": "inferred" })).collect();
            let value = json!({
                "id": format!("gen-{n}"), "now-ms": 1_795_608_000_000u64 + n as u64, "utc-offset-minutes": 480,
                "surface": SURFACES[rng.next(SURFACES.len() as u64) as usize],
                "user": { "id": "u", "age-band": "adult", "personalisation-off": rng.next(4) != 0, "tags": tags },
                "candidates": candidates,
            });
            serde_json::from_value(value).expect("a valid request")
        })
        .collect()
}

/// Every vector of the policy, as (settings, request).
fn vectors(policy: &str) -> Vec<(Value, Request)> {
    crate::helpers::vectors(policy)
        .into_iter()
        .map(|(settings, request)| (settings, serde_json::from_value(request).expect("a valid request")))
        .collect()
}

fn assert_twins_agree(rust: &str, twins: [&str; 2], policy: &str, settings: Value) {
    let mut cases = vectors(policy);
    cases.extend(generated_requests(150).into_iter().map(|request| (settings.clone(), request)));
    for twin in twins {
        for (i, (settings, request)) in cases.iter().enumerate() {
            let (original, other) = (chain_of(rust, settings), chain_of(twin, settings));
            let scope = |chain: &Chain| chain.policy_summaries()[0].applies_to.clone();
            assert_eq!(scope(&other), scope(&original), "{twin} declares another scope than {rust} with {settings}");
            let expected = decided(&original, request);
            let actual = decided(&other, request);
            assert_eq!(actual, expected, "{twin} decides otherwise than {rust} on case {i} ({})", request.id);
        }
    }
}

#[test]
fn the_disclosure_twins_decide_as_the_rust_policy() {
    // Non-ASCII settings, a character outside the BMP (a surrogate pair in
    // JavaScript) included, survive the twins' own encoding of checked settings.
    let settings = json!({
        "filing-number": "网信算备110000000000001号",
        "filing-link": "https://beian.example/1",
        "exempt-surfaces": ["push"],
        "notice": "本页推荐由算法生成 🙂 \"quoted\" \\ back-slashed",
    });
    assert_twins_agree(DISCLOSURE, [DISCLOSURE_JS, DISCLOSURE_PYTHON], "disclosure", settings);
}

#[test]
fn the_opt_out_twins_decide_as_the_rust_policy() {
    assert_twins_agree(OPT_OUT, [OPT_OUT_JS, OPT_OUT_PYTHON], "opt-out", json!({}));
    assert_twins_agree(OPT_OUT, [OPT_OUT_JS, OPT_OUT_PYTHON], "opt-out", json!({ "set-aside-tags": false }));
}

#[test]
fn the_twins_describe_themselves_as_their_originals() {
    for (rust, twins) in [(DISCLOSURE, [DISCLOSURE_JS, DISCLOSURE_PYTHON]), (OPT_OUT, [OPT_OUT_JS, OPT_OUT_PYTHON])] {
        let original = load(rust).descriptor().clone();
        for twin in twins {
            let described = load(twin).descriptor().clone();
            assert_eq!(described.name, original.name, "{twin}");
            assert_eq!(described.version, original.version, "{twin}");
            assert_eq!(described.summary, original.summary, "{twin}");
            assert_eq!(described.articles, original.articles, "{twin}");
            assert_eq!(described.reads, original.reads, "{twin}");
            let defaults = |text: &str| serde_json::from_str::<Value>(text).expect("default settings are JSON");
            assert_eq!(defaults(&described.default_settings), defaults(&original.default_settings), "{twin}");
        }
    }
}

#[test]
fn bad_settings_are_refused_by_the_twins_with_a_message() {
    for twin in [DISCLOSURE_JS, DISCLOSURE_PYTHON] {
        let error = Chain::builder(runtime())
            .trust(recguard_host::Trust::development())
            .policy(load(twin), PolicyOptions::regulator().settings(json!({ "filing-number": "1", "filing-link": "ftp://x" })))
            .and_then(|builder| builder.build())
            .err()
            .unwrap_or_else(|| panic!("{twin} accepted a bad link"));
        assert!(error.to_string().contains("filing-link is required"), "{twin}: {error}");
        let error = Chain::builder(runtime())
            .trust(recguard_host::Trust::development())
            .policy(load(twin), PolicyOptions::regulator().settings(json!({ "filing-numbr": "1" })))
            .and_then(|builder| builder.build())
            .err()
            .unwrap_or_else(|| panic!("{twin} accepted a misspelt key"));
        assert!(error.to_string().contains("unknown field `filing-numbr`"), "{twin}: {error}");
    }
}
