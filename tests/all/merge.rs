//! The merge rules (see `recguard_host::merge`), with scripted policies.

use recguard_host::{EffectResult, FailureKind, Mode, PolicyOptions, Status, Verdict};
use recguard_tests::{components, simple_request};
use serde_json::{json, Value};

use crate::helpers::chain;

const NOON: u64 = 1_795_579_200_000;

fn scripted(issuer: PolicyOptions, script: Value, name: &str) -> (&'static str, PolicyOptions) {
    (components::SCRIPTED, issuer.settings(script).named(name))
}

#[test]
fn monitor_mode_changes_nothing_but_records_what_it_would_do() {
    let monitor = PolicyOptions::regulator().mode(Mode::Monitor);
    let chain = chain(vec![scripted(monitor, json!({"drop": ["c0"], "label": {"c1": "AI"}, "block": "no"}), "watch")]);
    let outcome = chain.evaluate(&simple_request(NOON, "adult", "feed", 3)).unwrap();
    assert_eq!(outcome.verdict, Verdict::Serve);
    assert_eq!(outcome.served_ids(), ["c0", "c1", "c2"]);
    assert!(outcome.candidates[1].labels.is_empty());
    let trace = &outcome.trace[0];
    assert_eq!(trace.status, Status::Monitored);
    assert_eq!(trace.effects.len(), 3);
    assert!(trace.effects.iter().all(|e| e.result == EffectResult::WouldApply));
}

#[test]
fn later_policies_see_the_list_as_earlier_ones_left_it() {
    let first = scripted(PolicyOptions::regulator(), json!({"drop": ["c0"], "label": {"c1": "AI-generated"}}), "first");
    // The second policy names c0, which is gone (it names a position past the
    // end of the list it received): its decision is invalid and it fails (open).
    let second = scripted(PolicyOptions::provider().on_error(recguard_host::OnError::FailOpen), json!({"drop": ["c0"]}), "second");
    let outcome = chain(vec![first, second]).evaluate(&simple_request(NOON, "adult", "feed", 3)).unwrap();
    assert_eq!(outcome.served_ids(), ["c1", "c2"]);
    assert_eq!(outcome.candidates[0].labels, ["AI-generated"]);
    let Status::Failed { failure, .. } = &outcome.trace[1].status else { panic!("second should fail") };
    assert_eq!(failure.kind, FailureKind::InvalidDecision);
    assert!(failure.message.contains("candidate 2, but the list has 2"), "{}", failure.message);
}

#[test]
fn a_provider_policy_cannot_undo_a_regulator_move_or_price() {
    let mut request = simple_request(NOON, "adult", "feed", 4);
    request.candidates[0].price = Some(recguard_host::PriceQuote {
        amount_fen: 1200,
        reference_fen: 1000,
        cohort: "all".into(),
        personalised: true,
    });
    let regulator = scripted(PolicyOptions::regulator(), json!({"move": {"c0": -3}, "reprice": {"c0": 1000}}), "regulator");
    let provider = scripted(
        PolicyOptions::provider(),
        json!({"move": {"c0": 3}, "reprice": {"c0": 1500}, "rerank": ["c0", "c3", "c2", "c1"], "label": {"c0": "hot"}}),
        "provider",
    );
    let outcome = chain(vec![regulator, provider]).evaluate(&request).unwrap();
    // c0 stays where the regulator put it (last); the others follow the provider's rerank.
    assert_eq!(outcome.served_ids(), ["c3", "c2", "c1", "c0"]);
    assert_eq!(outcome.candidates[3].price_fen, Some(1000));
    // Labels may still be added.
    assert_eq!(outcome.candidates[3].labels, ["hot"]);
    let refused = outcome.trace[1]
        .effects
        .iter()
        .filter(|e| matches!(e.result, EffectResult::Refused { .. }))
        .count();
    assert_eq!(refused, 2, "{:#?}", outcome.trace[1].effects);
}

#[test]
fn the_first_block_ends_the_chain_and_notices_accumulate_once() {
    let notice = |name| scripted(PolicyOptions::regulator(), json!({"notice": "Recommended by an algorithm."}), name);
    let block = scripted(PolicyOptions::regulator(), json!({"block": "Closed for the night."}), "blocker");
    let outcome = chain(vec![notice("n1"), notice("n2"), block, notice("n3")])
        .evaluate(&simple_request(NOON, "adult", "feed", 2))
        .unwrap();
    assert!(matches!(&outcome.verdict, Verdict::Block { policy, .. } if policy == "blocker"));
    assert_eq!(outcome.notices.len(), 1);
    assert!(matches!(outcome.trace[3].status, Status::Skipped { .. }));
}

#[test]
fn tags_set_aside_are_gone_for_later_policies_and_reported() {
    let mut request = simple_request(NOON, "adult", "feed", 1);
    request.user.tags.push(recguard_host::UserTag {
        name: "gambling".into(),
        source: recguard_host::TagSource::Inferred,
        deleted_by_user: false,
    });
    let aside = scripted(PolicyOptions::regulator(), json!({"set-aside": ["gambling"]}), "aside");
    let outcome = chain(vec![aside]).evaluate(&request).unwrap();
    assert_eq!(outcome.tags_set_aside, ["gambling"]);
}

#[test]
fn policy_logs_reach_the_trace() {
    let logs = scripted(PolicyOptions::regulator(), json!({"log": "checked 1 item"}), "logger");
    let outcome = chain(vec![logs]).evaluate(&simple_request(NOON, "adult", "feed", 1)).unwrap();
    assert_eq!(outcome.trace[0].logs[0].message, "checked 1 item");
}
