//! Per-request cost of policies run as components through the host, against
//! the same policy code called natively, in one run.
//!
//! `cargo bench -p recguard-tests` — the README reports the figures and the
//! ratios. Groups:
//! - `noop`: a policy that decides nothing (instantiate + call + merge);
//! - `minors+hot-list/N`: both foundation policies on N candidates.

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
    group.bench_function("wasm", |b| b.iter(|| noop.evaluate(empty.clone()).expect("outcome")));
    group.bench_function("native", |b| {
        b.iter(|| sdk_runtime::evaluate::<noop::Noop>(&native_empty, "{}").expect("decision"))
    });
    group.finish();

    let both = chain_of(&runtime, &[components::MINORS, components::HOT_LIST_INTEGRITY]);
    let mut group = c.benchmark_group("minors+hot-list");
    for count in [100usize, 1000] {
        let request = mixed_request(count, "hot-list");
        let native = request.to_sdk();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("wasm", count), &request, |b, request| {
            b.iter(|| both.evaluate(request.clone()).expect("outcome"))
        });
        // The native baseline runs the same code the component runs: settings
        // parsed from the same JSON, the same evaluate, the same decision type.
        group.bench_with_input(BenchmarkId::new("native", count), &native, |b, native| {
            b.iter(|| {
                let a = sdk_runtime::evaluate::<minors::Minors>(native, "{}").expect("decision");
                let b = sdk_runtime::evaluate::<hot_list_integrity::HotListIntegrity>(native, "{}").expect("decision");
                (a, b)
            })
        });
        // What the host adds besides the policies: cloning the request it consumes.
        group.bench_with_input(BenchmarkId::new("request-clone", count), &request, |b, request| {
            b.iter(|| request.clone())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
