//! The foundation's reference policies, compiled, through the host.

use recguard_host::{Change, PolicyOptions, Status, Verdict};
use recguard_tests::{components, fixture, request};
use serde_json::json;

use crate::helpers::chain;

fn foundation_chain() -> recguard_host::Chain {
    chain(vec![
        (components::MINORS, PolicyOptions::regulator()),
        (components::HOT_LIST_INTEGRITY, PolicyOptions::regulator()),
    ])
}

#[test]
fn curfew_at_23_00_blocks_a_12_to_16_user_and_cites_d16_f18() {
    let outcome = foundation_chain().evaluate(&request(&fixture("minor-at-23h.json"))).unwrap();
    let Verdict::Block { code, article, policy, retry_at_ms, .. } = &outcome.verdict else {
        panic!("expected a block, got {:?}", outcome.verdict)
    };
    assert_eq!((code.as_str(), article.as_deref().unwrap_or_default(), policy.as_str()), ("minors.curfew", "D16 / F18; CAC minors-mode guideline (2024)", "minors"));
    // 23:00 → 06:00 is seven hours.
    assert_eq!(*retry_at_ms, Some(1_795_618_800_000 + 7 * 3_600_000));
    assert!(outcome.candidates.is_empty());
    // The hot-list policy did not run: the request was already blocked.
    assert!(matches!(outcome.trace[1].status, Status::Skipped { .. }));
}

#[test]
fn at_20_00_the_same_minor_is_served_a_filtered_list_with_a_rest_reminder() {
    let outcome = foundation_chain().evaluate(&request(&fixture("minor-at-20h.json"))).unwrap();
    assert_eq!(outcome.verdict, Verdict::Serve);
    // Wednesday: no games; the prank video and the tipping live stream are dropped.
    assert_eq!(outcome.served_ids(), ["v-science-1", "a-history"]);
    assert_eq!(outcome.notices.len(), 1);
    assert_eq!(outcome.notices[0].code, "minors.rest-reminder");
    let codes: Vec<&str> = outcome.trace[0].findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"minors.game-hours") && codes.contains(&"minors.live-tipping"), "{codes:?}");
}

#[test]
fn an_adult_is_untouched() {
    let req = request(&fixture("adult-at-23h.json"));
    let ids: Vec<String> = req.candidates.iter().map(|c| c.id.to_string()).collect();
    let outcome = foundation_chain().evaluate(&req).unwrap();
    assert_eq!(outcome.verdict, Verdict::Serve);
    assert_eq!(outcome.served_ids(), ids);
    assert!(outcome.trace.iter().all(|t| t.effects.is_empty() && t.findings.is_empty()));
}

#[test]
fn a_manipulated_hot_list_item_is_dropped_citing_d13_f14() {
    let outcome = foundation_chain().evaluate(&request(&fixture("hot-list.json"))).unwrap();
    assert!(!outcome.served_ids().contains(&"t-bought"));
    let trace = outcome.trace_of("hot-list-integrity").unwrap();
    let finding = trace.findings.iter().find(|f| f.code == "hot-list.fake-engagement").unwrap();
    assert_eq!(finding.article, "D13 / F14");
    let effect = trace.effects.iter().find(|e| e.candidate.as_deref() == Some("t-bought")).unwrap();
    assert_eq!(effect.change, Change::Drop);
    // The ad and the celebrity ranking hold no slot; the unrecorded pin falls to its organic place.
    assert_eq!(outcome.served_ids(), ["t-flood", "t-match", "t-pinned"]);
}

#[test]
fn settings_change_the_rules_without_new_code() {
    let options = PolicyOptions::regulator().settings(json!({ "curfew-start": "23:30", "curfew-end": "06:00" }));
    let chain = chain(vec![(components::MINORS, options)]);
    let outcome = chain.evaluate(&request(&fixture("minor-at-23h.json"))).unwrap();
    assert_eq!(outcome.verdict, Verdict::Serve);
}

/// Actions as (candidate, action, finding code), comparable across host and SDK types.
fn host_actions(decision: &recguard_host::Decision) -> Vec<(String, String, String)> {
    decision
        .actions
        .iter()
        .map(|a| {
            let action = match &a.action {
                recguard_host::Action::Drop => "drop".to_string(),
                recguard_host::Action::Label(l) => format!("label {l}"),
                recguard_host::Action::MoveBy(n) => format!("move {n}"),
                recguard_host::Action::Reprice(p) => format!("reprice {p}"),
            };
            (a.candidate.to_string(), action, decision.findings[a.finding as usize].code.clone())
        })
        .collect()
}

fn native_actions(decision: recguard_sdk::Decision) -> Vec<(String, String, String)> {
    let wit = decision.into_wit();
    wit.actions
        .iter()
        .map(|a| {
            let action = match &a.action {
                recguard_sdk::wit::Action::Drop => "drop".to_string(),
                recguard_sdk::wit::Action::Label(l) => format!("label {l}"),
                recguard_sdk::wit::Action::MoveBy(n) => format!("move {n}"),
                recguard_sdk::wit::Action::Reprice(p) => format!("reprice {p}"),
            };
            (a.candidate.to_string(), action, wit.findings[a.finding as usize].code.clone())
        })
        .collect()
}

#[test]
fn the_compiled_components_decide_exactly_as_the_native_logic() {
    use recguard_sdk::Policy;
    use recguard_tests::sdk_bridge::ToSdk;
    let limits = recguard_host::Limits::default();
    for surface in ["feed", "hot-list"] {
        let request = recguard_tests::mixed_request(300, surface);
        let native_request = request.to_sdk();

        let minors = crate::helpers::load(components::MINORS);
        let settings = minors.validate_settings("{}", &limits).unwrap().encoded;
        let wasm = minors.evaluate(&request, &settings, &limits).unwrap().result.unwrap();
        let native = minors::Minors::evaluate(&native_request, &minors::Settings::default());
        let native = native_actions(native);
        assert!(!native.is_empty());
        assert_eq!(host_actions(&wasm), native, "minors on {surface}");

        let hot = crate::helpers::load(components::HOT_LIST_INTEGRITY);
        let settings = hot.validate_settings("{}", &limits).unwrap().encoded;
        let wasm = hot.evaluate(&request, &settings, &limits).unwrap().result.unwrap();
        let native = hot_list_integrity::HotListIntegrity::evaluate(&native_request, &Default::default());
        assert_eq!(host_actions(&wasm), native_actions(native), "hot-list-integrity on {surface}");
    }
}
