//! Hard limits: a hostile policy is stopped, the host lives on, and the
//! outcome says which limit and which policy.

use std::time::{Duration, Instant};

use recguard_host::{FailureKind, Limits, OnError, PolicyOptions, Status, Verdict};
use recguard_tests::{components, simple_request};
use serde_json::json;

use crate::helpers::chain;

const NOON: u64 = 1_795_579_200_000;

fn failure_of(outcome: &recguard_host::Outcome, policy: &str) -> (FailureKind, OnError) {
    match &outcome.trace_of(policy).unwrap().status {
        Status::Failed { failure, handled } => (failure.kind, *handled),
        other => panic!("expected {policy} to fail, got {other:?}"),
    }
}

#[test]
fn an_endless_loop_is_stopped_at_its_deadline_and_fails_closed() {
    let limits = Limits { deadline_ms: 20, ..Limits::default() };
    let looping = PolicyOptions::provider().settings(json!({"behaviour": "loop"})).limits(limits);
    let chain = chain(vec![(components::SCRIPTED, looping)]);
    let started = Instant::now();
    let outcome = chain.evaluate(&simple_request(NOON, "adult", "feed", 3)).unwrap();
    let took = started.elapsed();
    assert_eq!(failure_of(&outcome, "scripted"), (FailureKind::Deadline, OnError::FailClosed));
    let Verdict::Block { code, .. } = &outcome.verdict else { panic!("fail-closed blocks by default") };
    assert_eq!(code, "recguard.fail-closed.deadline");
    assert!(outcome.candidates.is_empty());
    // Stopped near its deadline, not after some much longer timeout.
    assert!(took < Duration::from_millis(500), "took {took:?}");
    assert!(outcome.trace[0].elapsed_us >= 19_000, "{}", outcome.trace[0].elapsed_us);
}

#[test]
fn endless_memory_growth_is_stopped_at_the_cap() {
    let limits = Limits { memory_mib: 16, ..Limits::default() };
    let hog = PolicyOptions::provider().settings(json!({"behaviour": "grow-memory"})).limits(limits);
    let chain = chain(vec![(components::SCRIPTED, hog.on_error(OnError::FailOpen))]);
    let outcome = chain.evaluate(&simple_request(NOON, "adult", "feed", 3)).unwrap();
    assert_eq!(failure_of(&outcome, "scripted"), (FailureKind::MemoryLimit, OnError::FailOpen));
    // Fail-open: the request is served as if the policy were absent.
    assert_eq!(outcome.verdict, Verdict::Serve);
    assert_eq!(outcome.served_ids(), ["c0", "c1", "c2"]);
}

#[test]
fn fuel_limits_stop_a_loop_deterministically() {
    let limits = Limits { fuel: Some(1_000_000), ..Limits::default() };
    let looping = PolicyOptions::provider().settings(json!({"behaviour": "loop"})).limits(limits);
    let outcome = chain(vec![(components::SCRIPTED, looping)]).evaluate(&simple_request(NOON, "adult", "feed", 1)).unwrap();
    assert_eq!(failure_of(&outcome, "scripted").0, FailureKind::FuelLimit);
}

#[test]
fn a_panic_is_a_trap_and_the_host_carries_on() {
    let panics = PolicyOptions::provider().settings(json!({"behaviour": "panic"})).on_error(OnError::FailOpen);
    let chain = chain(vec![(components::SCRIPTED, panics), (components::MINORS, PolicyOptions::regulator())]);
    for _ in 0..3 {
        let outcome = chain.evaluate(&simple_request(NOON, "from12to16", "feed", 2)).unwrap();
        assert_eq!(failure_of(&outcome, "scripted").0, FailureKind::Trap);
        assert_eq!(outcome.trace[1].status, Status::Applied);
    }
}

#[test]
fn fail_closed_can_serve_without_personalisation_instead_of_blocking() {
    let looping = PolicyOptions::provider()
        .settings(json!({"behaviour": "loop"}))
        .limits(Limits { deadline_ms: 5, ..Limits::default() });
    let mut builder = recguard_host::Chain::builder(crate::helpers::runtime()).trust(recguard_host::Trust::development()).fail_closed(recguard_host::FailClosed {
        response: recguard_host::FailClosedResponse::NonPersonalised,
        reason: String::new(),
    });
    builder = builder.policy(crate::helpers::load(components::SCRIPTED), looping).unwrap();
    let outcome = builder.build().unwrap().evaluate(&simple_request(NOON, "adult", "feed", 4)).unwrap();
    assert_eq!(outcome.verdict, Verdict::Serve);
    assert!(!outcome.personalised);
    // Non-personal scores of c0..c3 are 0, 37, 74, 10: served by those, best first.
    assert_eq!(outcome.served_ids(), ["c2", "c1", "c3", "c0"]);
}

#[test]
fn limits_the_runtime_cannot_enforce_are_refused_at_load() {
    let too_big = PolicyOptions::provider().limits(Limits { memory_mib: 100_000, ..Limits::default() });
    let error = recguard_host::Chain::builder(crate::helpers::runtime()).trust(recguard_host::Trust::development())
        .policy(crate::helpers::load(components::NOOP), too_big)
        .expect_err("refused");
    assert!(error.to_string().contains("memory-mib 100000 is above the runtime's max-memory-mib of 256"), "{error}");
}
