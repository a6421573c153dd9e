//! A policy's scope (`applies-to`, declared by its `validate-settings`): a
//! chain skips the policy on a request outside it and says why; a scope the
//! host cannot use is refused when the policy joins a chain; and every
//! reference policy decides nothing outside its scope, so that skipping it
//! changes no outcome.

use recguard_host::{Decision, Limits, PolicyOptions, Request, SettingsError, Status};
use recguard_tests::components::*;
use serde_json::{json, Value};

use crate::helpers::{chain, load, vectors};

const REFERENCE: [(&str, &str); 12] = [
    ("anti-addiction", ANTI_ADDICTION),
    ("dedup-scatter", DEDUP_SCATTER),
    ("disclosure", DISCLOSURE),
    ("elderly-anti-fraud", ELDERLY_ANTI_FRAUD),
    ("feature-library", FEATURE_LIBRARY),
    ("hot-list-integrity", HOT_LIST_INTEGRITY),
    ("minors", MINORS),
    ("opt-out", OPT_OUT),
    ("price-fairness", PRICE_FAIRNESS),
    ("synthetic-label", SYNTHETIC_LABEL),
    ("user-tag-guard", USER_TAG_GUARD),
    ("worker-dispatch", WORKER_DISPATCH),
];

const SURFACES: [&str; 10] =
    ["feed", "hot-list", "hot-search", "search", "push", "pop-up", "home-first-screen", "curated-picks", "dispatch", "other"];
const AGE_BANDS: [&str; 7] = ["unknown", "under8", "from8to12", "from12to16", "from16to18", "adult", "elderly"];

/// A small deterministic generator (the same on every run).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Variants of `request` that move it across every part a scope narrows by:
/// the surface, the age band, minors mode, personalisation, and whether the
/// user's tags and the candidates' optional fields are there.
fn variants(request: &Value, rng: &mut Lcg, count: usize) -> Vec<Request> {
    (0..count)
        .map(|_| {
            let mut v = request.clone();
            v["surface"] = json!(SURFACES[rng.below(SURFACES.len())]);
            let user = v["user"].as_object_mut().expect("a user");
            user.insert("age-band".into(), json!(AGE_BANDS[rng.below(AGE_BANDS.len())]));
            user.insert("minors-mode".into(), json!(rng.below(2) == 0));
            user.remove("personalization-off");
            user.insert("personalisation-off".into(), json!(rng.below(2) == 0));
            if rng.below(3) == 0 {
                user.remove("tags");
            }
            if let Some(candidates) = v["candidates"].as_array_mut() {
                for field in ["price", "synthetic", "delivery"] {
                    if rng.below(3) == 0 {
                        candidates.iter_mut().for_each(|c| _ = c.as_object_mut().map(|c| c.remove(field)));
                    }
                }
            }
            serde_json::from_value(v).expect("a valid request")
        })
        .collect()
}

fn is_empty(decision: &Decision) -> bool {
    decision.findings.is_empty()
        && decision.actions.is_empty()
        && decision.notices.is_empty()
        && decision.block.is_none()
        && decision.rerank.is_none()
        && decision.tags_set_aside.is_empty()
}

#[test]
fn every_reference_policy_decides_nothing_outside_its_scope() {
    let limits = Limits { deadline_ms: 5_000, ..Limits::default() };
    // Every policy meets the requests of every policy's vectors, so that
    // each sees users, surfaces and items it was not written for.
    let requests: Vec<Value> = REFERENCE.iter().flat_map(|(policy, _)| vectors(policy)).map(|(_, r)| r).collect();
    let mut rng = Lcg(11);
    let varied: Vec<Request> = requests.iter().flat_map(|r| variants(r, &mut rng, 4)).collect();
    for (policy, path) in REFERENCE {
        let component = load(path);
        let mut settings: Vec<Value> = vectors(policy).into_iter().map(|(s, _)| s).collect();
        settings.sort_by_key(|s| s.to_string());
        settings.dedup();
        let (mut outside, mut inside) = (0, 0);
        for settings in &settings {
            let checked = component.validate_settings(&settings.to_string(), &limits).expect("valid settings");
            for request in &varied {
                let Some(reason) = checked.applies_to.excludes(request) else {
                    inside += 1;
                    continue;
                };
                outside += 1;
                let decision = component.evaluate(request, &checked.encoded, &limits).unwrap().result.unwrap();
                assert!(
                    is_empty(&decision),
                    "{policy} decided on request {} outside its scope ({reason}), with settings {settings}: {decision:?}",
                    request.id
                );
            }
        }
        let narrowed = component.validate_settings("{}", &limits).map_or(true, |c| !c.applies_to.is_every_request());
        if narrowed {
            assert!(outside > 0 && inside > 0, "{policy}: {outside} requests outside its scope, {inside} inside");
        }
    }
}

#[test]
fn a_chain_skips_a_policy_outside_its_scope_and_says_why() {
    let suite = chain(vec![
        (WORKER_DISPATCH, PolicyOptions::regulator()),
        (OPT_OUT, PolicyOptions::regulator()),
        (PRICE_FAIRNESS, PolicyOptions::regulator()),
        (MINORS, PolicyOptions::regulator()),
    ]);
    let request = recguard_tests::mixed_request(20, "hot-list");
    let outcome = suite.evaluate(&request).expect("evaluates");
    let reason = |i: usize| match &outcome.trace[i].status {
        Status::Skipped { reason } => reason.clone(),
        other => panic!("{} was not skipped: {other:?}", outcome.trace[i].policy),
    };
    assert_eq!(reason(0), "not in scope: it applies on dispatch; the request is for hot-list");
    assert_eq!(reason(1), "not in scope: it applies only when the user has switched personalisation off");
    assert_eq!(reason(2), "not in scope: it needs `candidates.price`, and the request has none");
    assert_eq!(outcome.trace[3].status, Status::Applied, "minors applies to a minor");
    assert!(!outcome.trace[3].findings.is_empty());
    assert!(outcome.trace[..3].iter().all(|t| t.findings.is_empty() && t.effects.is_empty()));

    let summaries = suite.policy_summaries();
    let scope = serde_json::to_value(&summaries[0].applies_to).unwrap();
    assert_eq!(scope["surfaces"], json!(["dispatch"]));
    let scope = serde_json::to_value(&summaries[3].applies_to).unwrap();
    assert_eq!(scope["age-bands"], json!(["under8", "from8to12", "from12to16", "from16to18"]));
    assert_eq!(scope["or-minors-mode"], json!(true));
}

#[test]
fn the_scope_is_tested_on_the_request_as_earlier_policies_left_it() {
    // The only priced item is dropped first, so price-fairness has nothing left to check.
    let mut request = recguard_tests::mixed_request(5, "feed");
    request.user.age_band = recguard_host::AgeBand::Adult;
    request.user.minors_mode = false;
    request.candidates[2].price = Some(recguard_host::PriceQuote {
        amount_fen: 900,
        reference_fen: 500,
        cohort: "everyone".into(),
        personalised: true,
    });
    let dropping = PolicyOptions::regulator().settings(json!({ "drop": [request.candidates[2].id.clone()] }));
    let outcome = chain(vec![(SCRIPTED, dropping), (PRICE_FAIRNESS, PolicyOptions::regulator())]).evaluate(&request).unwrap();
    assert!(matches!(&outcome.trace[1].status, Status::Skipped { reason } if reason.contains("candidates.price")));

    let outcome = chain(vec![(PRICE_FAIRNESS, PolicyOptions::regulator())]).evaluate(&request).unwrap();
    assert_eq!(outcome.trace[0].status, Status::Applied);
    assert_eq!(outcome.candidates[2].price_fen, Some(500), "repriced to the reference");
}

#[test]
fn a_scope_the_host_cannot_use_is_refused_naming_the_policy() {
    let refused = |settings: Value| {
        recguard_host::Chain::builder(crate::helpers::runtime())
            .trust(recguard_host::Trust::development())
            .policy(load(SCRIPTED), PolicyOptions::provider().settings(settings))
            .expect_err("refused")
    };
    let error = refused(json!({ "applies-on": ["feed"] }));
    assert!(matches!(&error, SettingsError::Scope { policy, .. } if policy == "scripted"), "{error}");
    assert!(error.to_string().contains("narrows by surface, but it does not read `surface`"), "{error}");
    let error = refused(json!({ "requires": ["candidates.id"] }));
    assert!(error.to_string().contains("requires `candidates.id`, which is not a field that can be empty"), "{error}");
    let error = refused(json!({ "requires": ["user.tags"] }));
    assert!(error.to_string().contains("does not read `user.tags`"), "{error}");
}
