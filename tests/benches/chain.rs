//! Per-request cost of policies run as components through the host, against
//! the same policy code called natively, in one run.
//!
//! `cargo bench -p recguard-benches` — the README reports the latest figures
//! (`docs/performance.md` the earlier runs and the profiles) and the
//! ratios. Groups:
//! - `noop`: a policy that decides nothing (instantiate + call + merge);
//! - `minors+hot-list/N`: both foundation policies on N candidates, through
//!   the host (`wasm`), natively (`native`), and their main rules written in
//!   Rego and run by regorus (`rego`, a peer engine; the bench first checks
//!   that it drops exactly what the chain drops);
//! - `suite/N`: the twelve reference policies (`examples/all-reference-policies.toml`);
//! - `request-json/parse/N`: a provider's request JSON parsed into the host's request;
//! - `audit/…`: decision receipts: what an `async` store adds to one
//!   evaluation of minors + hot-list at 100 candidates (against `plain`, the
//!   same chain without a store): back to back, where the writer cannot keep
//!   up, through `evaluate` (request and outcome copied for the receipt) and
//!   `evaluate_shared` (shared); and while the writer keeps up
//!   (`async-added`, paired differences, printed beside criterion's lines,
//!   with a control between two identical chains); then receipts per second
//!   through a `sync` store from 4 threads (group commit), on a no-op chain.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use recguard_host::{Chain, PolicyOptions, Runtime, RuntimeOptions};
use recguard_sdk::__private::runtime as sdk_runtime;
use recguard_tests::sdk_bridge::ToSdk;
use recguard_tests::{components, mixed_request};

/// A chain of the components at `paths`, without a store.
fn chain_of(runtime: &Runtime, paths: &[&str]) -> Chain {
    chain_from(runtime, &load(runtime, paths), None)
}

/// The components at `paths`, loaded without their signatures.
fn load(runtime: &Runtime, paths: &[&str]) -> Vec<recguard_host::PolicyComponent> {
    paths.iter().map(|path| recguard_tests::load_unsigned(runtime, path)).collect()
}

fn bench(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("runtime");

    let mut group = c.benchmark_group("noop");
    let noop = chain_of(&runtime, &[components::NOOP]);
    let empty = mixed_request(0, "feed");
    let native_empty = empty.to_sdk();
    let noop_settings = sdk_runtime::validate::<noop::Noop>("{}").expect("settings").encoded;
    group.bench_function("wasm", |b| b.iter(|| noop.evaluate(&empty).expect("outcome")));
    group.bench_function("native", |b| {
        b.iter(|| sdk_runtime::evaluate::<noop::Noop>(&native_empty, &noop_settings).expect("decision"))
    });
    group.finish();

    let both = chain_of(&runtime, &[components::MINORS, components::HOT_LIST_INTEGRITY]);
    let minors_settings = sdk_runtime::validate::<minors::Minors>("{}").expect("settings").encoded;
    let hot_settings = sdk_runtime::validate::<hot_list_integrity::HotListIntegrity>("{}").expect("settings").encoded;
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

    audit(c, &runtime);

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

/// Receipts: the cost an `async` store adds to an evaluation, and `sync` throughput.
fn audit(c: &mut Criterion, runtime: &Runtime) {
    use recguard_host::{AuditOptions, AuditStore, Durability};
    use std::sync::Arc;
    let dir = tempfile::tempdir().expect("a scratch directory");
    let mut group = c.benchmark_group("audit");

    let request = mixed_request(100, "hot-list");
    // Both chains run the very same compiled components, so that they differ
    // only in the store (two compilations may differ by a few µs in layout).
    let policies = load(runtime, &[components::MINORS, components::HOT_LIST_INTEGRITY]);
    let plain = chain_from(runtime, &policies, None);
    group.bench_function("plain/100", |b| b.iter(|| plain.evaluate(&request).expect("outcome")));
    let options = AuditOptions { durability: Durability::Async, queue: 100_000, ..AuditOptions::default() };
    let store = Arc::new(AuditStore::open(dir.path().join("async.db"), options).expect("store"));
    let audited = chain_from(runtime, &policies, Some(store.clone()));
    // Back to back: on this 2-core machine the writer (JSON, SHA-256, SQLite)
    // then takes one core from the evaluations.
    group.bench_function("async/100", |b| b.iter(|| audited.evaluate(&request).expect("outcome")));
    store.flush().expect("flush");
    // The same through `evaluate_shared` (as the server calls it): the receipt
    // shares the request and the outcome instead of copying them.
    let shared = Arc::new(request.clone());
    group.bench_function("async-shared/100", |b| b.iter(|| audited.evaluate_shared(shared.clone()).expect("outcome")));
    store.flush().expect("flush");
    // The control: the same measurement between two identical chains without a
    // store shows what the method itself reads as a difference.
    let control = chain_from(runtime, &policies, None);
    paired_difference("audit/plain-vs-plain/100 (paired control)", &plain, &control, &store, &shared);
    paired_difference("audit/async-added/100 (paired, writer keeping up)", &plain, &audited, &store, &shared);

    let options = AuditOptions { durability: Durability::Sync, ..AuditOptions::default() };
    let store = Arc::new(AuditStore::open(dir.path().join("sync.db"), options).expect("store"));
    let noop = Arc::new(chain_from(runtime, &load(runtime, &[components::NOOP]), Some(store)));
    let empty = Arc::new(mixed_request(0, "feed"));
    const THREADS: usize = 4;
    const PER_THREAD: usize = 250;
    group.throughput(Throughput::Elements((THREADS * PER_THREAD) as u64));
    group.sample_size(10);
    group.bench_function("sync-receipts/4-threads", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for _ in 0..THREADS {
                    let (noop, empty) = (noop.clone(), empty.clone());
                    scope.spawn(move || {
                        for _ in 0..PER_THREAD {
                            noop.evaluate(&empty).expect("outcome");
                        }
                    });
                }
            })
        })
    });
    group.finish();
}

/// What `with` adds to one `evaluate_shared` over `without`, printed as
/// `label`. For an `async` store: what a receipt adds while the writer keeps
/// up (a host below the writer's throughput). Paired differences: the same
/// request through both chains, alternately first, each evaluation after a
/// `flush`, so that the writer's work for the last receipt never overlaps a
/// timed evaluation and both wake equally cold; the call is timed, not the
/// caller's drop of the outcome.
/// Criterion cannot time a difference of pairs, so this prints its own line:
/// the mean difference with its standard error, and the median.
fn paired_difference(
    label: &str,
    without: &Chain,
    with: &Chain,
    store: &recguard_host::AuditStore,
    request: &std::sync::Arc<recguard_host::Request>,
) {
    const PAIRS: usize = 4000;
    let timed = |chain: &Chain| {
        store.flush().expect("flush");
        let started = std::time::Instant::now();
        let outcome = std::hint::black_box(chain.evaluate_shared(request.clone()).expect("outcome"));
        let elapsed = started.elapsed().as_secs_f64() * 1e6;
        // Dropped untimed: with a store, the receipt holds the outcome and the
        // writer frees it; without, this would free it inside the timed span.
        drop(outcome);
        elapsed
    };
    let mut added: Vec<f64> = (0..PAIRS)
        .map(|pair| {
            if pair % 2 == 0 {
                let before = timed(without);
                timed(with) - before
            } else {
                let after = timed(with);
                after - timed(without)
            }
        })
        .collect();
    store.flush().expect("flush");
    let mean = added.iter().sum::<f64>() / PAIRS as f64;
    let variance = added.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (PAIRS - 1) as f64;
    added.sort_by(f64::total_cmp);
    println!(
        "{label}: mean {mean:+.2} µs ± {:.2} µs (standard error), median {:+.2} µs, {PAIRS} pairs",
        (variance / PAIRS as f64).sqrt(),
        added[PAIRS / 2],
    );
}

/// A chain of `policies` (each issued by a regulator), with `store` as its audit sink if given.
fn chain_from(
    runtime: &Runtime,
    policies: &[recguard_host::PolicyComponent],
    store: Option<std::sync::Arc<recguard_host::AuditStore>>,
) -> Chain {
    let mut builder = Chain::builder(runtime).trust(recguard_host::Trust::development());
    if let Some(store) = store {
        builder = builder.audit(store);
    }
    for policy in policies {
        builder = builder.policy(policy.clone(), PolicyOptions::regulator()).expect("policy");
    }
    builder.build().expect("a valid chain")
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
        request.candidates.iter().map(|c| c.id.to_string()).filter(|id| !served.contains(id.as_str())).collect();
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
