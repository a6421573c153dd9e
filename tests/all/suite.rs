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
fn an_elderly_users_feed_passes_through_every_policy_in_scope() {
    let outcome = suite().evaluate(&request(&fixture("elderly-feed.json"))).unwrap();
    assert_eq!(outcome.verdict, Verdict::Serve);
    assert_eq!(outcome.served_ids(), ["v-opera", "v-opera-orig", "v-anchor"]);
    assert_eq!(outcome.candidates[2].labels, ["AI-generated"]);
    assert_eq!(outcome.tags_set_aside, ["health:hypertension", "square-dance"]);
    assert_eq!(codes(&outcome, "elderly-anti-fraud"), ["elderly.health-scam"]);
    assert_eq!(codes(&outcome, "feature-library"), ["feature-library.illegal"]);
    assert_eq!(codes(&outcome, "dedup-scatter"), ["dedup-scatter.duplicate"]);
    let notices: Vec<&str> = outcome.notices.iter().map(|n| n.code.as_str()).collect();
    assert_eq!(notices, ["anti-addiction.rest", "disclosure.algorithmic-recommendation"]);
    // Those that cannot apply to an elderly user's feed are skipped, each saying why.
    let skipped: Vec<&str> = outcome
        .trace
        .iter()
        .filter(|t| match &t.status {
            Status::Applied => false,
            Status::Skipped { reason } if reason.starts_with("not in scope: ") => true,
            other => panic!("{}: {other:?}", t.policy),
        })
        .map(|t| t.policy.as_str())
        .collect();
    assert_eq!(skipped, ["minors", "worker-dispatch", "opt-out", "hot-list-integrity", "price-fairness"]);
}

#[test]
fn an_opted_out_shopper_gets_popularity_order_and_fair_prices() {
    let outcome = suite().evaluate(&request(&fixture("opted-out-shopping.json"))).unwrap();
    assert_eq!(outcome.served_ids(), ["p-hotel-b", "p-hotel-c", "p-hotel-a"]);
    assert_eq!(outcome.candidates[2].price_fen, Some(59_900));
    assert_eq!(outcome.tags_set_aside, ["luxury"]);
    // The served order used no personal data, and the outcome says so.
    assert!(!outcome.personalised);
}

#[test]
fn a_personalised_feed_says_so() {
    let outcome = suite().evaluate(&request(&fixture("elderly-feed.json"))).unwrap();
    assert!(outcome.personalised);
}

/// Opt-out and hot-list-integrity compose (opt-out first, as in the suite):
/// an opted-out user's hot list is the non-personal ranking, with recorded
/// editorial interventions kept and the hot-list rules applied on top.
#[test]
fn an_opted_out_users_hot_list_is_the_non_personal_ranking_with_recorded_interventions() {
    let item = |id: &str, heat: f64, personal: f64| {
        serde_json::json!({
            "id": id, "kind": "article", "topics": ["news"], "score": personal, "non-personal-score": heat,
            "engagement": { "views": 1000, "likes": 100, "comments": 10, "shares": 5, "low-reputation-share": 0.1,
                            "velocity-per-hour": 100.0, "baseline-per-hour": 80.0 }
        })
    };
    let mut notice = item("notice", 10.0, 0.0);
    notice["operator-actions"] = serde_json::json!([{ "kind": "pin", "operator": "op-1", "reason": "flood warning" }]);
    let mut silent = item("silent-pin", 20.0, 0.0);
    silent["operator-actions"] = serde_json::json!([{ "kind": "pin", "operator": "op-2" }]);
    let mut spike = item("spike", 95.0, 0.0);
    spike["engagement"]["velocity-per-hour"] = 90_000.0.into();
    let candidates = vec![
        notice,
        item("liked-by-you", 30.0, 0.99),
        silent,
        spike,
        item("hot", 90.0, 0.1),
        item("warm", 60.0, 0.5),
    ];
    let request = serde_json::json!({
        "id": "opted-out-hot-list", "now-ms": 1_795_579_200_000u64, "utc-offset-minutes": 480, "surface": "hot-list",
        "user": { "id": "u", "age-band": "adult", "personalisation-off": true },
        "candidates": candidates,
    });
    let outcome = suite().evaluate(&recguard_tests::request(&request.to_string())).unwrap();
    // The recorded pin keeps the top slot; the rest follow heat, the user's
    // personal scores play no part; the spike is held back at the bottom.
    assert_eq!(outcome.served_ids(), ["notice", "hot", "warm", "liked-by-you", "silent-pin", "spike"]);
    assert!(!outcome.personalised);
    assert_eq!(codes(&outcome, "opt-out"), ["opt-out.non-personalised"]);
    assert_eq!(codes(&outcome, "hot-list-integrity"), ["hot-list.velocity-spike"]);
}

#[test]
fn a_courier_is_not_offered_an_unsafe_order() {
    let outcome = suite().evaluate(&request(&fixture("courier-dispatch.json"))).unwrap();
    assert_eq!(outcome.served_ids(), ["o-1001", "o-1003"]);
    assert_eq!(codes(&outcome, "worker-dispatch"), ["worker.compressed-time"]);
}

#[test]
fn a_curfew_block_ends_the_suite_early() {
    let outcome = suite().evaluate(&request(&fixture("minor-at-23h.json"))).unwrap();
    assert!(outcome.is_blocked());
    assert!(outcome.trace[1..].iter().all(|t| matches!(t.status, Status::Skipped { .. })));
}
