//! Per-request cost of policies run as components through the host, against
//! the same policy code called natively, in one run.
//!
//! `cargo bench -p recguard-tests` — the README reports the figures and the
//! ratios. Groups:
//! - `noop`: a policy that decides nothing (instantiate + call + merge);
//! - `minors+hot-list/N`: both foundation policies on N candidates, through
//!   the host (`wasm`), natively (`native`), and their main rules written in
//!   Rego and run by regorus (`rego`, a peer engine; the bench first checks
//!   that it drops exactly what the chain drops);
//! - `suite/N`: the twelve reference policies (`examples/all-reference-policies.toml`);
//! - `request-json/parse/N`: a provider's request JSON parsed into the host's request.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use recguard_host::{Chain, PolicyComponent, PolicyOptions, Runtime, RuntimeOptions};
use recguard_sdk::__private::runtime as sdk_runtime;
use recguard_tests::sdk_bridge::ToSdk;
use recguard_tests::{components, mixed_request};

fn chain_of(runtime: &Runtime, paths: &[&str]) -> Chain {
    let mut builder = Chain::builder(runtime);
    for path in paths {
        let component = PolicyComponent::load_file(runtime, path).expect("component");
        builder = builder.policy(component, PolicyOptions::regulator()).expect("policy");
    }
    builder.build().expect("a valid chain")
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("runtime");

    let mut group = c.benchmark_group("noop");
    let noop = chain_of(&runtime, &[components::NOOP]);
    let empty = mixed_request(0, "feed");
    let native_empty = empty.to_sdk();
    let noop_settings = sdk_runtime::validate::<noop::Noop>("{}").expect("settings");
    group.bench_function("wasm", |b| b.iter(|| noop.evaluate(&empty).expect("outcome")));
    group.bench_function("native", |b| {
        b.iter(|| sdk_runtime::evaluate::<noop::Noop>(&native_empty, &noop_settings).expect("decision"))
    });
    group.finish();

    let both = chain_of(&runtime, &[components::MINORS, components::HOT_LIST_INTEGRITY]);
    let minors_settings = sdk_runtime::validate::<minors::Minors>("{}").expect("settings");
    let hot_settings = sdk_runtime::validate::<hot_list_integrity::HotListIntegrity>("{}").expect("settings");
    let mut group = c.benchmark_group("minors+hot-list");
    for count in [100usize, 1000] {
        let request = mixed_request(count, "hot-list");
        let native = request.to_sdk();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("wasm", count), &request, |b, request| {
            b.iter(|| both.evaluate(request).expect("outcome"))
        });
        // The native baseline runs the same code the component runs: settings
        // decoded from the same encoding, the same evaluate, the same decision type.
        group.bench_with_input(BenchmarkId::new("native", count), &native, |b, native| {
            b.iter(|| {
                let a = sdk_runtime::evaluate::<minors::Minors>(native, &minors_settings).expect("decision");
                let b = sdk_runtime::evaluate::<hot_list_integrity::HotListIntegrity>(native, &hot_settings).expect("decision");
                (a, b)
            })
        });
        // The peer engine: the two policies' main rules in Rego, on the same request.
        let mut rego = rego_engine();
        let input = regorus::Value::from_json_str(&serde_json::to_string(&request).expect("json")).expect("input");
        check_same_drops(&both, &request, &mut rego, &input);
        group.bench_with_input(BenchmarkId::new("rego", count), &input, |b, input| {
            b.iter(|| {
                rego.set_input(input.clone());
                rego.eval_rule("data.recguard.drops".to_string()).expect("drops")
            })
        });
    }
    group.finish();

    // The whole reference suite, as a provider configures it.
    let config = recguard_tests::workspace_root().join("examples/all-reference-policies.toml");
    let suite = Chain::from_config_file(&config).expect("the suite's config");
    let mut group = c.benchmark_group("suite");
    for count in [10usize, 100, 1000] {
        let request = mixed_request(count, "hot-list");
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("wasm", count), &request, |b, request| {
            b.iter(|| suite.evaluate(request).expect("outcome"))
        });
    }
    group.finish();

    // What a provider's request costs before any policy: parsing its JSON.
    let mut group = c.benchmark_group("request-json");
    for count in [100usize, 1000] {
        let json = serde_json::to_string(&mixed_request(count, "hot-list")).expect("json");
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", count), &json, |b, json| {
            b.iter(|| recguard_host::Request::from_json(json).expect("request"))
        });
    }
    group.finish();
}

/// regorus with the Rego version of the two policies' main rules.
fn rego_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    let policy = include_str!("rego/minors_hot_list.rego");
    engine.add_policy("minors_hot_list.rego".to_string(), policy.to_string()).expect("the Rego policy parses");
    engine
}

/// Refuses to compare engines that disagree: both must drop the same candidates.
fn check_same_drops(chain: &Chain, request: &recguard_host::Request, rego: &mut regorus::Engine, input: &regorus::Value) {
    let outcome = chain.evaluate(request).expect("outcome");
    let served: std::collections::BTreeSet<&str> = outcome.served_ids().into_iter().collect();
    let recguard: std::collections::BTreeSet<String> =
        request.candidates.iter().map(|c| c.id.clone()).filter(|id| !served.contains(id.as_str())).collect();
    rego.set_input(input.clone());
    let drops = rego.eval_rule("data.recguard.drops".to_string()).expect("drops");
    let rego_drops: std::collections::BTreeSet<String> = drops
        .as_set()
        .expect("a set of ids")
        .iter()
        .map(|id| id.as_string().expect("an id").to_string())
        .collect();
    assert!(!recguard.is_empty());
    assert_eq!(rego_drops, recguard, "regorus and recguard disagree on the drops");
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
