//! A test as an attacker: policies that stay within their own limits but try
//! to stall the host, switch off a regulator's policy, or get blamed on
//! another; impossible limits; failures that must name their stage.

use std::sync::Arc;
use std::time::{Duration, Instant};

use recguard_host::config::ChainConfig;
use recguard_host::{
    Chain, ConfigError, EvaluateError, FailureKind, Limits, LoadError, OnError, Outcome, PolicyComponent, PolicyOptions,
    Runtime, RuntimeOptions, SettingsError, Status, Verdict,
};
use recguard_tests::{components, mixed_request, simple_request};
use serde_json::json;

use crate::helpers::{chain, load, runtime};

const NOON: u64 = 1_795_579_200_000;

fn status_of<'a>(outcome: &'a Outcome, policy: &str) -> &'a Status {
    &outcome.trace_of(policy).unwrap_or_else(|| panic!("no trace of {policy}")).status
}

fn failure_kind(outcome: &Outcome, policy: &str) -> FailureKind {
    match status_of(outcome, policy) {
        Status::Failed { failure, .. } => failure.kind,
        other => panic!("expected {policy} to fail, got {other:?}"),
    }
}

/// A provider policy under the given script, failing open unless said otherwise.
fn provider(script: serde_json::Value) -> PolicyOptions {
    PolicyOptions::provider().settings(script).on_error(OnError::FailOpen).named("hostile")
}

/// The two foundation policies, after a hostile provider policy.
fn after_hostile(hostile: PolicyOptions) -> Chain {
    chain(vec![
        (components::SCRIPTED, hostile),
        (components::MINORS, PolicyOptions::regulator()),
        (components::HOT_LIST_INTEGRITY, PolicyOptions::regulator()),
    ])
}

#[test]
fn a_flood_of_notices_is_refused_at_its_cap_and_blamed_on_its_policy() {
    // Before: 200,000 distinct notices took minutes of host time, unrecorded.
    // (Room enough for the policy to build them: it is the host's cap that must stop them.)
    let roomy = Limits { deadline_ms: 5_000, memory_mib: 256, ..Limits::default() };
    let chain = after_hostile(provider(json!({"flood-notices": 200_000})).limits(roomy));
    let started = Instant::now();
    let outcome = chain.evaluate(&mixed_request(100, "hot-list")).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let Status::Failed { failure, handled } = status_of(&outcome, "hostile") else { panic!("the flood must fail") };
    assert_eq!((failure.kind, *handled), (FailureKind::DecisionLimit, OnError::FailOpen));
    assert!(failure.message.contains("max-effects of 864"), "{}", failure.message);
    assert_eq!(status_of(&outcome, "minors"), &Status::Applied);
    assert_eq!(status_of(&outcome, "hot-list-integrity"), &Status::Applied);
    assert!(outcome.notices.len() < 10);
}

#[test]
fn a_hundred_thousand_moves_merge_in_linear_time_and_host_time_is_traced() {
    // Before: 100,000 moves over 10,000 candidates took about 20 s in the merge.
    let limits = Limits { deadline_ms: 5_000, memory_mib: 256, max_effects: Some(200_000), ..Limits::default() };
    let hostile = provider(json!({"flood-moves": 100_000})).limits(limits);
    let chain = chain(vec![(components::SCRIPTED, hostile)]);
    let outcome = chain.evaluate(&simple_request(NOON, "adult", "feed", 10_000)).unwrap();
    let trace = outcome.trace_of("hostile").unwrap();
    assert_eq!(trace.status, Status::Applied);
    assert_eq!(trace.effects.len(), 100_000);
    assert_eq!(outcome.candidates.len(), 10_000);
    // The host's own time is in the trace, apart from the policy's; the
    // quadratic merge took tens of seconds, the linear one a fraction of one.
    assert!(trace.host_us > 0);
    assert!(trace.host_us < 5_000_000, "{} µs", trace.host_us);
}

#[test]
fn the_chain_deadline_covers_every_step_and_names_the_slowest() {
    let spin = provider(json!({"behaviour": "spin", "spin": 2_000_000_000u64})).limits(Limits {
        deadline_ms: 30,
        ..Limits::default()
    });
    let builder = Chain::builder(runtime()).trust(recguard_host::Trust::development())
        .options(recguard_host::ChainOptions { deadline_ms: Some(20) })
        .policy(load(components::SCRIPTED), spin)
        .unwrap()
        .policy(load(components::MINORS), PolicyOptions::regulator())
        .unwrap();
    let outcome = builder.build().unwrap().evaluate(&simple_request(NOON, "adult", "feed", 3)).unwrap();
    assert_eq!(failure_kind(&outcome, "hostile"), FailureKind::Deadline);
    let Status::Failed { failure, handled } = status_of(&outcome, "minors") else { panic!("minors could not run") };
    assert_eq!((failure.kind, *handled), (FailureKind::ChainDeadline, OnError::FailClosed));
    assert!(failure.message.contains("chain's deadline of 20 ms") && failure.message.contains("'hostile'"), "{}", failure.message);
    // A regulator policy that could not run fails closed: the request is not served unchecked.
    assert!(matches!(&outcome.verdict, Verdict::Block { code, .. } if code == "recguard.fail-closed.chain-deadline"));
}

#[test]
fn huge_labels_from_a_provider_cannot_switch_off_the_regulators_policies() {
    // Before: 100 KB labels on every candidate made minors and hot-list-integrity
    // fail their memory cap; fail-open they simply did not run.
    let roomy = Limits { deadline_ms: 5_000, memory_mib: 256, ..Limits::default() };
    let huge = json!({"label-bytes": 100_000});
    let outcome = after_hostile(provider(huge.clone()).limits(roomy)).evaluate(&mixed_request(100, "hot-list")).unwrap();
    assert_eq!(failure_kind(&outcome, "hostile"), FailureKind::DecisionLimit);
    assert_eq!(status_of(&outcome, "minors"), &Status::Applied);
    assert_eq!(status_of(&outcome, "hot-list-integrity"), &Status::Applied);

    // Fail-closed, the block is the provider policy's, not a regulator's.
    let closed = PolicyOptions::provider().settings(huge).limits(roomy).named("hostile");
    let outcome = after_hostile(closed).evaluate(&mixed_request(100, "hot-list")).unwrap();
    assert!(matches!(&outcome.verdict, Verdict::Block { policy, .. } if policy == "hostile"), "{:?}", outcome.verdict);
}

#[test]
fn the_most_a_provider_may_add_still_leaves_the_regulators_running() {
    // Eight labels of the longest allowed size on each of 1,000 candidates.
    let script = json!({"flood-labels": 7, "label-bytes": recguard_host::MAX_LABEL_BYTES});
    let limits = Limits { deadline_ms: 1_000, ..Limits::default() };
    let outcome = after_hostile(provider(script).limits(limits)).evaluate(&mixed_request(1_000, "hot-list")).unwrap();
    assert_eq!(status_of(&outcome, "hostile"), &Status::Applied);
    assert_eq!(status_of(&outcome, "minors"), &Status::Applied);
    assert_eq!(status_of(&outcome, "hot-list-integrity"), &Status::Applied);
    // One label more and the provider's decision is refused, not a regulator's.
    let script = json!({"flood-labels": 9});
    let outcome = after_hostile(provider(script).limits(limits)).evaluate(&mixed_request(1_000, "hot-list")).unwrap();
    assert_eq!(failure_kind(&outcome, "hostile"), FailureKind::DecisionLimit);
    assert_eq!(status_of(&outcome, "minors"), &Status::Applied);
}

/// A runtime with one instance slot, and a chain on it whose only policy spins.
fn one_slot_chain(deadline_ms: u64, spin: u64) -> Arc<Chain> {
    let runtime = Runtime::new(RuntimeOptions { max_concurrent_instances: 1, ..RuntimeOptions::default() }).unwrap();
    let component = PolicyComponent::load_file(&runtime, components::SCRIPTED).unwrap();
    let options = PolicyOptions::provider()
        .settings(json!({"behaviour": "spin", "spin": spin}))
        .limits(Limits { deadline_ms, ..Limits::default() });
    Arc::new(Chain::builder(&runtime).trust(recguard_host::Trust::development()).policy(component, options).unwrap().build().unwrap())
}

#[test]
fn callers_beyond_the_pool_wait_for_a_slot_within_the_deadline() {
    // Before: the second caller failed at once, as if the policy had trapped.
    let chain = one_slot_chain(2_000, 1_000_000);
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let chain = chain.clone();
            std::thread::spawn(move || chain.evaluate(&simple_request(NOON, "adult", "feed", 2)))
        })
        .collect();
    for caller in callers {
        let outcome = caller.join().unwrap().expect("every caller gets a slot in time");
        assert_eq!(outcome.trace[0].status, Status::Applied);
    }
}

#[test]
fn no_slot_within_the_deadline_is_a_capacity_error_not_a_policy_failure() {
    // The first caller holds the only slot for up to its 3 s deadline; the
    // others, on a 20 ms deadline, give up waiting.
    let holder = one_slot_chain(3_000, u64::MAX);
    let waiting = {
        let runtime = holder.runtime().clone();
        let component = PolicyComponent::load_file(&runtime, components::NOOP).unwrap();
        let quick = PolicyOptions::regulator().limits(Limits { deadline_ms: 20, ..Limits::default() });
        Chain::builder(&runtime).trust(recguard_host::Trust::development()).policy(component, quick).unwrap().build().unwrap()
    };
    let holding = {
        let holder = holder.clone();
        std::thread::spawn(move || holder.evaluate(&simple_request(NOON, "adult", "feed", 1)))
    };
    std::thread::sleep(Duration::from_millis(500));
    let error = waiting.evaluate(&simple_request(NOON, "adult", "feed", 1)).unwrap_err();
    assert!(matches!(error, EvaluateError::Capacity { ref policy, slots: 1, .. } if policy == "noop"), "{error}");
    assert!(error.to_string().contains("max-concurrent-instances"), "{error}");
    // The holder itself is stopped at its own deadline, as its own failure.
    let held = holding.join().unwrap().unwrap();
    assert_eq!(failure_kind(&held, "scripted"), FailureKind::Deadline);
}

#[test]
fn impossible_limits_are_refused_when_the_chain_is_built_naming_the_limit() {
    let refuse = |limits: Limits| {
        Chain::builder(runtime()).trust(recguard_host::Trust::development()).policy(load(components::NOOP), PolicyOptions::regulator().limits(limits)).unwrap_err()
    };
    let error = refuse(Limits { memory_mib: 0, ..Limits::default() });
    assert!(matches!(error, SettingsError::Limits { limit: "memory-mib", .. }), "{error}");
    assert!(error.to_string().contains("below the 0.5 MiB the policy's memory starts with"), "{error}");
    let error = refuse(Limits { deadline_ms: u64::MAX, ..Limits::default() });
    assert!(matches!(error, SettingsError::Limits { limit: "deadline-ms", .. }), "{error}");
    let error = refuse(Limits { deadline_ms: 0, ..Limits::default() });
    assert!(error.to_string().contains("deadline-ms 0 is outside 1..=60000"), "{error}");
    let error = refuse(Limits { max_effects: Some(0), ..Limits::default() });
    assert!(matches!(error, SettingsError::Limits { limit: "max-effects", .. }), "{error}");

    let chain_deadline = Chain::builder(runtime()).trust(recguard_host::Trust::development()).options(recguard_host::ChainOptions { deadline_ms: Some(u64::MAX) });
    assert!(chain_deadline.build().unwrap_err().to_string().contains("[chain] deadline-ms"));

    let error = Runtime::new(RuntimeOptions { max_memory_mib: u64::MAX, ..RuntimeOptions::default() }).unwrap_err();
    assert!(error.to_string().contains("max-memory-mib"), "{error}");
    let error = Runtime::new(RuntimeOptions { max_concurrent_instances: 0, ..RuntimeOptions::default() }).unwrap_err();
    assert!(error.to_string().contains("max-concurrent-instances"), "{error}");
}

#[test]
fn a_result_that_arrives_after_the_deadline_is_not_applied() {
    // Spins from well under to well over a 1 ms deadline. The epoch interrupt
    // (1 ms ticks) stops some runs; others return after the deadline but
    // before the interrupt. Before, those late results were applied; now a
    // result is applied only if the policy's time (the trace's `elapsed-us`,
    // the very time the deadline is checked against) is within the deadline.
    let calibrate = chain(vec![(components::SCRIPTED, provider(json!({"behaviour": "spin", "spin": 1_000_000})))]);
    let micros = (0..3)
        .map(|_| calibrate.evaluate(&simple_request(NOON, "adult", "feed", 1)).unwrap().trace[0].elapsed_us)
        .min()
        .unwrap()
        .max(1);
    let (mut applied, mut late) = (0, 0);
    for step in 0..60u64 {
        // From about 0.3 ms to about 3 ms of spinning.
        let spin = 1_000_000 * (300 + 45 * step) / micros;
        let script = json!({"behaviour": "spin", "spin": spin, "drop": ["c0"]});
        let options = provider(script).limits(Limits { deadline_ms: 1, ..Limits::default() });
        // Validating the settings runs under the same 1 ms; on a busy machine
        // (other tests run alongside) a first try may miss it.
        let chain = (0..20)
            .find_map(|_| {
                Chain::builder(runtime())
                    .trust(recguard_host::Trust::development())
                    .policy(load(components::SCRIPTED), options.clone())
                    .ok()
                    .map(|b| b.build().expect("a valid chain"))
            })
            .expect("settings validated within 1 ms in one of 20 tries");
        let outcome = chain.evaluate(&simple_request(NOON, "adult", "feed", 2)).unwrap();
        let trace = &outcome.trace[0];
        match &trace.status {
            Status::Applied => {
                applied += 1;
                assert!(trace.elapsed_us <= 1_000, "applied after {} µs, past its 1 ms deadline", trace.elapsed_us);
                assert_eq!(outcome.served_ids(), ["c1"]);
            }
            Status::Failed { failure, .. } => {
                assert_eq!(failure.kind, FailureKind::Deadline, "{}", failure.message);
                assert_eq!(outcome.served_ids(), ["c0", "c1"]);
                late += usize::from(failure.message.contains("returned after its deadline"));
            }
            other => panic!("{other:?}"),
        }
    }
    // The sweep crosses the deadline: some runs were applied in time.
    assert!(applied > 0, "no run finished within 1 ms (late returns: {late})");
}

#[test]
fn a_describe_that_loops_is_stopped_at_load_naming_the_stage_and_limit() {
    // Before: "failed while describing itself: … interrupt".
    let error = PolicyComponent::load_file(runtime(), components::STUCK_DESCRIBE).unwrap_err();
    let message = error.to_string();
    assert!(matches!(&error, LoadError::Describe { failure, .. } if failure.kind == FailureKind::Deadline), "{message}");
    assert!(message.contains("in `describe`") && message.contains("deadline of 50 ms (limits.deadline-ms)"), "{message}");
}

#[test]
fn a_configs_deadline_also_bounds_each_policys_describe_at_load() {
    // Before: `describe` ran under the default 50 ms whatever the config said,
    // so a config could not give a slow machine (or valgrind) more time to load.
    let config = format!(
        "[limits]\ndeadline-ms = 7\n[trust]\nallow-unsigned = true\n[[policy]]\npath = \"{}\"\nissuer = \"provider\"\n",
        components::STUCK_DESCRIBE
    );
    let config_path = std::path::Path::new("recguard.toml");
    let error = ChainConfig::parse(&config, config_path).unwrap().build(runtime(), std::path::Path::new("/")).unwrap_err();
    let ConfigError::Load { index: 1, source, .. } = &error else { panic!("not a load error: {error}") };
    let message = source.to_string();
    assert!(matches!(source, LoadError::Describe { failure, .. } if failure.kind == FailureKind::Deadline), "{message}");
    assert!(message.contains("in `describe`") && message.contains("deadline of 7 ms (limits.deadline-ms)"), "{message}");
}

#[test]
fn a_validate_settings_that_loops_is_named_as_such() {
    // Before: reported as "failed while describing itself".
    let options = PolicyOptions::provider().settings(json!({"behaviour": "loop-in-validate"}));
    let error = Chain::builder(runtime()).trust(recguard_host::Trust::development()).policy(load(components::SCRIPTED), options).unwrap_err();
    let message = error.to_string();
    assert!(matches!(&error, SettingsError::Failed { failure, .. } if failure.kind == FailureKind::Deadline), "{message}");
    assert!(message.contains("`validate-settings`") && message.contains("deadline of 50 ms"), "{message}");
}

#[test]
fn a_request_or_component_read_without_end_is_cut_at_its_limit() {
    let error = recguard_host::Request::from_reader(std::io::repeat(b' ')).unwrap_err();
    assert!(matches!(error, recguard_host::RequestError::TooLarge), "{error}");
    let error = PolicyComponent::load_file(runtime(), "/dev/zero").unwrap_err();
    assert!(matches!(error, LoadError::TooLarge { limit_mib: 128, .. }), "{error}");
}

#[test]
fn two_thousand_harmful_tags_are_set_aside_within_the_deadline() {
    // Before: the SDK compared every finding with every earlier one, and
    // user-tag-guard ran past its 50 ms deadline.
    let mut request = simple_request(NOON, "adult", "feed", 1);
    for i in 0..2_000 {
        request.user.tags.push(recguard_host::UserTag {
            name: format!("gambling-{i}"),
            source: recguard_host::TagSource::Inferred,
            deleted_by_user: false,
        });
    }
    let outcome = chain(vec![(components::USER_TAG_GUARD, PolicyOptions::regulator())]).evaluate(&request).unwrap();
    assert_eq!(outcome.trace[0].status, Status::Applied, "{:?}", outcome.trace[0].status);
    assert_eq!(outcome.tags_set_aside.len(), 2_000);
}
