//! What a policy costs in each language, in one run: the reference policies
//! opt-out and disclosure in Rust and as their JavaScript (QuickJS, and
//! StarlingMonkey) and Python twins, each alone through the host on the same
//! 100-candidate request, and how long a warm load of each component takes
//! from the compile cache.
//!
//! `cargo bench -p recguard-benches --bench languages` — the README reports the
//! latest figures, `docs/performance.md` the earlier runs. Groups:
//! - `opt-out/100/<language>`, `disclosure/100/<language>`: one evaluation
//!   (fresh instance, call, checks, merge); before timing, the bench checks
//!   that every twin's outcome is the Rust policy's;
//! - `warm-load/<language>`: `PolicyComponent::load_bytes` of a component
//!   already in the compile cache (hash, cache lookup, deserialise, describe).
//!
//! The StarlingMonkey twins are built here, from the JavaScript twins'
//! sources, with `engine = "starlingmonkey"` (the workspace builds QuickJS
//! ones).

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use recguard_host::{Chain, PolicyComponent, PolicyOptions, Request, Runtime, RuntimeOptions};
use recguard_tests::components;
use serde_json::{json, Value};

fn chain_of(runtime: &Runtime, path: &Path, settings: &Value) -> Chain {
    let bytes = std::fs::read(path).expect("component");
    let component = PolicyComponent::load_bytes(runtime, &bytes, &path.display().to_string()).expect("loads");
    Chain::builder(runtime)
        .trust(recguard_host::Trust::development())
        .policy(component, PolicyOptions::regulator().settings(settings.clone()))
        .expect("policy")
        .build()
        .expect("a valid chain")
}

/// Builds the StarlingMonkey twin of `policies/<policy>/js` into `out_dir`.
fn starlingmonkey_twin(policy: &str, out_dir: &Path) -> PathBuf {
    let source = recguard_tests::workspace_root().join("policies").join(policy).join("js");
    let project_dir = out_dir.join(format!("{policy}-starlingmonkey"));
    std::fs::create_dir_all(&project_dir).expect("project folder");
    std::fs::copy(source.join("policy.js"), project_dir.join("policy.js")).expect("copy the source");
    std::fs::write(
        project_dir.join("recguard.toml"),
        format!("[policy]\nname = \"{policy}\"\nlanguage = \"javascript\"\nsource = \"policy.js\"\nengine = \"starlingmonkey\"\n"),
    )
    .expect("manifest");
    let project = recguard_build::Project::open(&project_dir).expect("project");
    let out = out_dir.join(format!("{policy}-starlingmonkey.wasm"));
    recguard_build::build(&project, &out).expect("StarlingMonkey build");
    out
}

/// The outcome without what differs by build (the trace's digests and times).
fn decided(chain: &Chain, request: &Request) -> Value {
    let mut outcome = serde_json::to_value(chain.evaluate(request).expect("outcome")).expect("JSON");
    outcome.as_object_mut().expect("object").remove("trace");
    outcome
}

fn opted_out_request(count: usize) -> Request {
    let mut value = serde_json::to_value(recguard_tests::mixed_request(count, "feed")).expect("JSON");
    value["user"]["personalisation-off"] = json!(true);
    value["user"]["tags"] = json!([{ "name": "cars", "source": "inferred" }, { "name": "music", "source": "user-selected" }]);
    serde_json::from_value(value).expect("a valid request")
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("runtime");
    let scratch = tempfile::tempdir().expect("scratch folder");
    let disclosure_settings = json!({ "filing-number": "网信算备110000000000001号", "filing-link": "https://beian.example/1" });
    let cases = [
        ("opt-out", components::OPT_OUT, components::OPT_OUT_JS, components::OPT_OUT_PYTHON, json!({})),
        ("disclosure", components::DISCLOSURE, components::DISCLOSURE_JS, components::DISCLOSURE_PYTHON, disclosure_settings),
    ];
    let request = opted_out_request(100);
    let mut loads = Vec::new();
    for (policy, rust, quickjs, python, settings) in &cases {
        let starlingmonkey = starlingmonkey_twin(policy, scratch.path());
        let languages = [
            ("rust", PathBuf::from(rust)),
            ("js-quickjs", PathBuf::from(quickjs)),
            ("js-starlingmonkey", starlingmonkey),
            ("python", PathBuf::from(python)),
        ];
        let chains: Vec<(&str, Chain)> = languages.iter().map(|(name, path)| (*name, chain_of(&runtime, path, settings))).collect();
        let expected = decided(&chains[0].1, &request);
        for (name, chain) in &chains[1..] {
            assert_eq!(decided(chain, &request), expected, "the {name} twin of {policy} decides otherwise");
        }
        let mut group = c.benchmark_group(format!("{policy}/100"));
        for (name, chain) in &chains {
            group.bench_function(*name, |b| b.iter(|| chain.evaluate(&request).expect("outcome")));
        }
        group.finish();
        if *policy == "opt-out" {
            loads = languages.to_vec();
        }
    }

    let cached = Runtime::new(RuntimeOptions { cache_dir: Some(scratch.path().join("cache")), ..RuntimeOptions::default() }).expect("runtime");
    let mut group = c.benchmark_group("warm-load");
    group.sample_size(10);
    for (name, path) in &loads {
        let bytes = std::fs::read(path).expect("component");
        let origin = path.display().to_string();
        PolicyComponent::load_bytes(&cached, &bytes, &origin).expect("first load fills the cache");
        group.bench_function(format!("{name} ({:.1} MB)", bytes.len() as f64 / 1e6), |b| {
            b.iter(|| PolicyComponent::load_bytes(&cached, &bytes, &origin).expect("warm load"))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
