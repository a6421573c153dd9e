//! The merge rules and the decision checks, natively: decisions are built as
//! values, no component is compiled.

use super::*;
use crate::check::{MAX_ADDED_LABELS_PER_ISSUER, MAX_LABEL_BYTES};
use crate::decision::{Block, Citation, Finding, ItemAction, Notice, Rerank, TagSetAside};
use crate::options::Limits;
use crate::outcome::{Failure, FailureKind};
use crate::request::{AgeBand, Candidate, ItemKind, PriceQuote, Request, Surface, User};
use crate::wire::TagSource;

fn request(count: usize) -> Request {
    Request {
        id: "r".into(),
        now_ms: 1_795_579_200_000,
        utc_offset_minutes: 480,
        surface: Surface::Feed,
        user: User {
            id: "u".into(),
            age_band: AgeBand::Adult,
            identity_verified: true,
            minors_mode: false,
            personalisation_off: false,
            tags: vec![],
            usage: Default::default(),
            guardian_exemptions: vec![],
            not_interested: vec![],
        },
        candidates: (0..count)
            .map(|i| Candidate {
                id: compact_str::format_compact!("c{i}"),
                author: Default::default(),
                kind: ItemKind::Video,
                topics: vec![],
                risk_tags: vec![],
                labels: vec![],
                synthetic: None,
                score: 0.0,
                non_personal_score: (count - i) as f64,
                engagement: None,
                operator_actions: vec![],
                first_party: false,
                content_hash: None,
                similarity_key: None,
                price: Some(PriceQuote { amount_fen: 1000, reference_fen: 1000, cohort: String::new(), personalised: false }),
                delivery: None,
                attributes: vec![],
            })
            .collect(),
    }
}

fn working(count: usize) -> Working {
    Working::new(wire::Request::from_rows(&request(count)))
}

/// The position of the candidate with this id now, or one past the end if there is none.
fn at(working: &Working, id: &str) -> u32 {
    let ids = ids(working);
    ids.iter().position(|i| *i == id).unwrap_or(ids.len()) as u32
}

fn finding(code: &str) -> Finding {
    Finding {
        code: code.into(),
        citation: Citation { draft_article: Some(12), final_article: Some(12), instrument: None },
        message: format!("{code} message"),
    }
}

/// A decision with these actions, candidates named by id as `working` holds them now.
fn decision(working: &Working, actions: Vec<(&str, Action)>) -> Decision {
    Decision {
        findings: vec![finding("t.f")],
        actions: actions
            .into_iter()
            .map(|(id, action)| ItemAction { candidate: at(working, id), action, finding: 0 })
            .collect(),
        ..Decision::default()
    }
}

fn order(working: &Working, ids: &[&str]) -> Vec<u32> {
    ids.iter().map(|id| at(working, id)).collect()
}

/// Checks and applies one decision; panics if the check refuses it.
fn apply(working: &mut Working, issuer: Issuer, decision: Decision) -> Vec<Effect> {
    let checked = working.check(decision, issuer, &Limits::default()).expect("a valid decision");
    working.apply("p", issuer, checked, Reads::all())
}

fn refusal(working: &Working, issuer: Issuer, decision: Decision) -> Failure {
    working.check(decision, issuer, &Limits::default()).expect_err("refused")
}

fn ids(working: &Working) -> Vec<&str> {
    working.request.candidates.ids().iter().collect()
}

#[test]
fn drops_then_moves_in_order_then_the_rerank() {
    let mut working = working(5);
    let mut d = decision(&working, vec![("c4", Action::MoveBy(10)), ("c0", Action::Drop), ("c2", Action::MoveBy(-1))]);
    d.rerank = Some(Rerank { finding: 0, order: order(&working, &["c3"]), non_personal: false });
    apply(&mut working, Issuer::Provider, d);
    // After the drop: c1 c2 c3 c4; c4 to the top: c4 c1 c2 c3; c2 down one: c4 c1 c3 c2;
    // the rerank puts c3 first and keeps the rest in order.
    assert_eq!(ids(&working), ["c3", "c4", "c1", "c2"]);
}

#[test]
fn a_provider_cannot_move_or_reprice_what_a_regulator_set() {
    let mut working = working(3);
    let d = decision(&working, vec![("c0", Action::MoveBy(-2)), ("c1", Action::Reprice(900))]);
    apply(&mut working, Issuer::Regulator, d);
    assert_eq!(ids(&working), ["c1", "c2", "c0"]);
    let d = decision(&working, vec![("c0", Action::MoveBy(2)), ("c1", Action::Reprice(2000))]);
    let effects = apply(&mut working, Issuer::Provider, d);
    assert!(effects.iter().all(|e| matches!(e.result, EffectResult::Refused { .. })), "{effects:?}");
    assert_eq!(ids(&working), ["c1", "c2", "c0"]);
    assert_eq!(working.request.candidates.price(0), Some(900));
    // A provider rerank leaves c0 (moved by a regulator) where it is.
    let mut rerank = decision(&working, vec![]);
    rerank.rerank = Some(Rerank { finding: 0, order: order(&working, &["c0", "c2", "c1"]), non_personal: false });
    apply(&mut working, Issuer::Provider, rerank);
    assert_eq!(ids(&working), ["c2", "c1", "c0"]);
}

#[test]
fn labels_are_not_repeated_and_notices_and_tags_are_reported_once() {
    let mut working = working(2);
    let tags = working.request.user.tags.as_mut().expect("the host holds every column");
    tags.name.push("gambling");
    tags.source.push(TagSource::Inferred);
    tags.deleted_by_user.push(false);
    let mut d = decision(&working, vec![("c0", Action::Label("AI".into())), ("c0", Action::Label("AI".into()))]);
    d.notices = vec![Notice { finding: 0, text: "n".into(), link: None }, Notice { finding: 0, text: "n".into(), link: None }];
    d.tags_set_aside = vec![TagSetAside { tag: "gambling".into(), finding: 0 }; 2];
    apply(&mut working, Issuer::Regulator, d.clone());
    apply(&mut working, Issuer::Regulator, d);
    assert_eq!(working.request.candidates.labels_of(0).collect::<Vec<_>>(), ["AI"]);
    assert_eq!(working.notices.len(), 1);
    assert_eq!(working.tags_set_aside, ["gambling"]);
    assert!(working.request.user.tags.as_ref().unwrap().name.is_empty());
}

#[test]
fn a_block_cites_its_finding_and_article() {
    let mut working = working(1);
    let mut d = decision(&working, vec![]);
    d.block = Some(Block { finding: 0, reason: "closed".into(), retry_at_ms: Some(5) });
    apply(&mut working, Issuer::Regulator, d);
    let Verdict::Block { code, article, retry_at_ms, .. } = &working.verdict else { panic!("blocked") };
    assert_eq!((code.as_str(), article.as_deref(), *retry_at_ms), ("t.f", Some("D12 / F12"), Some(5)));
}

#[test]
fn decisions_naming_unknown_candidates_or_findings_are_invalid() {
    let working = working(2);
    let unknown = refusal(&working, Issuer::Provider, decision(&working, vec![("zz", Action::Drop)]));
    assert_eq!(unknown.kind, FailureKind::InvalidDecision);
    assert!(unknown.message.contains("candidate 2, but the list has 2"), "{}", unknown.message);

    let mut bad_index = decision(&working, vec![]);
    bad_index.notices = vec![Notice { finding: 3, text: "n".into(), link: None }];
    assert!(refusal(&working, Issuer::Provider, bad_index).message.contains("finding 3"));

    let mut twice = decision(&working, vec![]);
    twice.rerank = Some(Rerank { finding: 0, order: vec![0, 0], non_personal: false });
    assert!(refusal(&working, Issuer::Provider, twice).message.contains("twice"));
}

#[test]
fn a_finding_must_cite_an_article_or_an_instrument() {
    let working = working(1);
    let mut uncited = decision(&working, vec![("c0", Action::Drop)]);
    uncited.findings[0].citation = Citation { draft_article: None, final_article: None, instrument: None };
    let failure = refusal(&working, Issuer::Regulator, uncited.clone());
    assert_eq!(failure.kind, FailureKind::InvalidDecision);
    assert!(failure.message.contains("cites no article"), "{}", failure.message);
    // Another instrument alone is a citation.
    uncited.findings[0].citation.instrument = Some("NPPA notice (2021-08)".into());
    let mut working = working;
    apply(&mut working, Issuer::Regulator, uncited);
    assert!(working.request.candidates.is_empty());
}

#[test]
fn decisions_over_their_caps_are_refused_as_too_large() {
    let working = working(10);
    // 64 + 8 per candidate = 144 effects by default.
    let mut many = decision(&working, vec![]);
    many.notices = (0..200).map(|i| Notice { finding: 0, text: format!("n{i}"), link: None }).collect();
    let failure = refusal(&working, Issuer::Provider, many);
    assert_eq!(failure.kind, FailureKind::DecisionLimit);
    assert!(failure.message.contains("max-effects of 144"), "{}", failure.message);

    let mut wordy = decision(&working, vec![]);
    wordy.notices = vec![Notice { finding: 0, text: "x".repeat(200_000), link: None }];
    let failure = refusal(&working, Issuer::Provider, wordy);
    assert!(failure.message.contains("max-decision-bytes"), "{}", failure.message);

    let long_label = decision(&working, vec![("c0", Action::Label("L".repeat(MAX_LABEL_BYTES + 1)))]);
    assert_eq!(refusal(&working, Issuer::Provider, long_label).kind, FailureKind::DecisionLimit);
}

#[test]
fn provider_labels_cannot_use_up_the_regulators_allowance() {
    let mut working = working(1);
    let labels = |working: &Working, prefix: &str, n: u32| {
        decision(working, (0..n).map(|i| ("c0", Action::Label(format!("{prefix}{i}")))).collect())
    };
    let d = labels(&working, "p", MAX_ADDED_LABELS_PER_ISSUER);
    apply(&mut working, Issuer::Provider, d);
    // The provider's allowance is spent …
    assert_eq!(refusal(&working, Issuer::Provider, labels(&working, "q", 1)).kind, FailureKind::DecisionLimit);
    // … and a label it already added costs nothing again …
    let d = labels(&working, "p", 1);
    apply(&mut working, Issuer::Provider, d);
    // … while a regulator's labels still go through, up to its own allowance.
    let d = labels(&working, "r", MAX_ADDED_LABELS_PER_ISSUER);
    apply(&mut working, Issuer::Regulator, d);
    assert_eq!(working.request.candidates.labels_of(0).count(), 2 * MAX_ADDED_LABELS_PER_ISSUER as usize);
}

#[test]
fn the_merge_is_linear_in_a_hostile_decision() {
    // Before: every notice was compared with every earlier one, and every move
    // shifted the whole list; 200,000 notices took minutes. Now the caps
    // (raised here) are what bound a decision, and the merge is linear in it.
    let mut working = working(10_000);
    let limits = Limits { max_effects: Some(400_000), max_decision_bytes: Some(64 << 20), ..Limits::default() };
    let mut d = decision(&working, vec![]);
    d.actions = (0..100_000)
        .map(|i| ItemAction {
            candidate: i * 7919 % 10_000,
            action: Action::MoveBy(if i % 2 == 0 { 10_000 } else { -10_000 }),
            finding: 0,
        })
        .collect();
    d.notices = (0..200_000).map(|i| Notice { finding: 0, text: format!("notice {i}"), link: None }).collect();
    let started = std::time::Instant::now();
    let checked = working.check(d, Issuer::Provider, &limits).expect("within the raised caps");
    let effects = working.apply("p", Issuer::Provider, checked, Reads::all());
    assert_eq!(effects.len(), 300_000);
    assert_eq!(working.notices.len(), 200_000);
    assert_eq!(working.request.candidates.len(), 10_000);
    // A generous bound: the quadratic merge took minutes; the linear one takes well under a second.
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn depersonalising_orders_by_the_non_personal_score_and_protects_it() {
    let mut working = working(3);
    let reversed: Vec<usize> = (0..3).rev().collect();
    working.request.candidates = working.request.candidates.gather(&reversed, &|_| &[], Reads::all());
    working.depersonalise();
    assert_eq!(ids(&working), ["c0", "c1", "c2"]);
    assert!(!working.personalised);
    let d = decision(&working, vec![("c2", Action::MoveBy(2))]);
    let effects = apply(&mut working, Issuer::Provider, d);
    assert!(matches!(effects[0].result, EffectResult::Refused { .. }));
}

#[test]
fn a_changed_list_keeps_only_the_columns_read_later() {
    let mut working = working(3);
    let d = decision(&working, vec![("c1", Action::Drop)]);
    let checked = working.check(d, Issuer::Regulator, &Limits::default()).expect("a valid decision");
    let keep = Reads::host_keeps().union(Reads::from_paths(&["candidates.topics"]).unwrap());
    let effects = working.apply("p", Issuer::Regulator, checked, keep);
    assert_eq!(effects[0].candidate.as_deref(), Some("c1"));
    assert_eq!(effects[0].code, "t.f");
    let candidates = &working.request.candidates;
    assert_eq!(ids(&working), ["c0", "c2"]);
    assert!(candidates.topics.is_some() && candidates.labels.is_some() && candidates.flags.is_some());
    assert_eq!(candidates.price(1), Some(1000));
    assert_eq!(candidates.non_personal_score_of(1), 1.0);
    // Nobody reads these after the step: they are not rebuilt.
    assert!(candidates.author.is_none() && candidates.kind.is_none() && candidates.attributes.is_none());
}
