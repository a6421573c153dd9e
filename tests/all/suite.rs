//! The whole reference suite as one chain (`examples/all-reference-policies.toml`)
//! on the example requests.

use recguard_host::{Chain, Outcome, Status, Verdict};
use recguard_tests::{fixture, request, workspace_root};

fn suite() -> Chain {
    Chain::from_config_file(workspace_root().join("examples/all-reference-policies.toml")).expect("the suite loads")
}

fn codes(outcome: &Outcome, policy: &str) -> Vec<String> {
    outcome.trace_of(policy).unwrap().findings.iter().map(|f| f.code.clone()).collect()
}

#[test]
fn the_suite_loads_every_reference_policy_in_order() {
    let chain = suite();
    let names: Vec<&str> = chain.policies().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 12, "{names:?}");
    assert_eq!(names.first(), Some(&"minors"));
    assert_eq!(names.last(), Some(&"disclosure"));
}

#[test]
fn an_elderly_users_feed_passes_through_every_policy() {
    let outcome = suite().evaluate(request(&fixture("elderly-feed.json"))).unwrap();
    assert_eq!(outcome.verdict, Verdict::Serve);
    assert_eq!(outcome.served_ids(), ["v-opera", "v-opera-orig", "v-anchor"]);
    assert_eq!(outcome.candidates[2].labels, ["AI-generated"]);
    assert_eq!(outcome.tags_set_aside, ["health:hypertension", "square-dance"]);
    assert_eq!(codes(&outcome, "elderly-anti-fraud"), ["elderly.health-scam"]);
    assert_eq!(codes(&outcome, "feature-library"), ["feature-library.illegal"]);
    assert_eq!(codes(&outcome, "dedup-scatter"), ["dedup-scatter.duplicate"]);
    let notices: Vec<&str> = outcome.notices.iter().map(|n| n.code.as_str()).collect();
    assert_eq!(notices, ["anti-addiction.rest", "disclosure.algorithmic-recommendation"]);
    assert!(outcome.trace.iter().all(|t| t.status == Status::Applied));
}

#[test]
fn an_opted_out_shopper_gets_popularity_order_and_fair_prices() {
    let outcome = suite().evaluate(request(&fixture("opted-out-shopping.json"))).unwrap();
    assert_eq!(outcome.served_ids(), ["p-hotel-b", "p-hotel-c", "p-hotel-a"]);
    assert_eq!(outcome.candidates[2].price_fen, Some(59_900));
    assert_eq!(outcome.tags_set_aside, ["luxury"]);
}

#[test]
fn a_courier_is_not_offered_an_unsafe_order() {
    let outcome = suite().evaluate(request(&fixture("courier-dispatch.json"))).unwrap();
    assert_eq!(outcome.served_ids(), ["o-1001", "o-1003"]);
    assert_eq!(codes(&outcome, "worker-dispatch"), ["worker.compressed-time"]);
}

#[test]
fn a_curfew_block_ends_the_suite_early() {
    let outcome = suite().evaluate(request(&fixture("minor-at-23h.json"))).unwrap();
    assert!(outcome.is_blocked());
    assert!(outcome.trace[1..].iter().all(|t| matches!(t.status, Status::Skipped { .. })));
}
