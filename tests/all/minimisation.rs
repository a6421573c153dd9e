//! Data minimisation, enforced: a policy receives only the request fields its
//! descriptor declares in `reads`; every other field reaches it empty.

use recguard_host::{PolicyOptions, Reads, Request};
use recguard_tests::components;
use serde_json::json;

use crate::helpers::chain;

/// A request in which every field of the contract holds something.
fn everything() -> Request {
    let candidate = |id: &str| {
        json!({
            "id": id, "author": "author-1", "kind": "video", "topics": ["science"], "risk-tags": ["rumour"],
            "labels": ["ad"], "score": 2.5, "non-personal-score": 1.5,
            "synthetic": { "metadata-label": true, "uploader-declared": true, "detector-score": 0.9, "label-stripped": true },
            "engagement": { "views": 10, "likes": 2, "comments": 1, "shares": 1, "low-reputation-share": 0.1,
                            "velocity-per-hour": 5.0, "baseline-per-hour": 4.0 },
            "operator-actions": [{ "kind": "pin", "operator": "op-1", "reason": "editorial" }],
            "first-party": true, "content-hash": "h1", "similarity-key": 7,
            "price": { "amount-fen": 100, "reference-fen": 90, "cohort": "all", "personalised": true },
            "delivery": { "promised-minutes": 20, "safe-baseline-minutes": 25 },
            "attributes": [{ "key": "title", "value": "secret title" }],
        })
    };
    let request = json!({
        "id": "req-1", "now-ms": 1_795_608_000_000u64, "utc-offset-minutes": 480, "surface": "hot-list",
        "user": {
            "id": "user-1", "age-band": "adult", "identity-verified": true, "minors-mode": true, "personalisation-off": true,
            "tags": [{ "name": "cars", "source": "user-selected", "deleted-by-user": true }],
            "usage": { "minutes-today": 40, "continuous-minutes": 20, "items-this-session": 9,
                       "session-topics": [{ "topic": "science", "items": 3 }], "spent-this-month-fen": 500 },
            "guardian-exemptions": [{ "scope": "curfew" }],
            "not-interested": [{ "target": "author", "value": "author-9" }],
        },
        "candidates": [candidate("a"), candidate("b")],
    });
    serde_json::from_value(request).expect("a valid request")
}

#[test]
fn a_policy_receives_exactly_the_fields_it_declares() {
    let outcome = chain(vec![(components::PROBE, PolicyOptions::regulator())]).evaluate(&everything()).unwrap();
    let seen: Vec<&str> = outcome.notices[0].text.split(',').collect();
    assert_eq!(seen, ["now-ms", "user.usage.minutes-today", "candidates.topics", "candidates.price"]);
    // The trace records what the policy received.
    assert_eq!(outcome.trace[0].reads.paths(), seen);
}

#[test]
fn a_policy_that_declares_everything_receives_everything() {
    // The probe's check of each field is sound: with every field visible (the
    // native columns the SDK builds), it sees all 34.
    let all = Reads::all().paths();
    let request = recguard_tests::sdk_bridge::ToSdk::to_sdk(&everything());
    assert_eq!(probe::visible(request.as_wit()), all);
}

#[test]
fn the_undeclared_text_is_nowhere_in_what_crosses() {
    // Strings are stored per field, never in one shared table, so hiding a
    // field hides its text too: the probe sees no id, title or tag anywhere.
    let reads = Reads::from_paths(&["candidates.topics"]).unwrap();
    let mut columns = recguard_host::wire::Request::from_rows(&everything());
    let mut stash = recguard_host::wire::Request::default();
    reads.hide_for_test(&mut columns, &mut stash);
    let text = format!("{columns:?}");
    for secret in ["req-1", "user-1", "secret title", "cars", "author-1", "op-1", "h1", "\"a\""] {
        assert!(!text.contains(secret), "{secret} crossed: {text}");
    }
    assert!(text.contains("science"));
}

#[test]
fn every_read_set_hides_exactly_the_undeclared_fields() {
    // For the empty set, each single field, and 400 pseudo-random sets: what
    // a policy would receive holds exactly the declared fields.
    let columns = recguard_host::wire::Request::from_rows(&everything());
    let paths = recguard_host::READ_PATHS;
    let mut sets: Vec<Vec<&str>> = vec![vec![]];
    sets.extend(paths.iter().map(|p| vec![*p]));
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..400 {
        // xorshift64*: deterministic, so a failure reproduces.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let bits = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        sets.push(paths.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, p)| *p).collect());
    }
    for set in sets {
        let reads = Reads::from_paths(&set).unwrap();
        let mut sent = columns.clone();
        let mut stash = recguard_host::wire::Request::default();
        reads.hide_for_test(&mut sent, &mut stash);
        let seen = probe::visible(&recguard_tests::sdk_bridge::ToSdk::to_sdk(&sent));
        assert_eq!(seen, reads.paths(), "declared {set:?}");
        // A chain builds only the columns some policy reads: what a policy
        // receives from those is what it receives from every column.
        let mut built = recguard_host::wire::Request::from_rows_reading(&everything(), reads);
        reads.hide_for_test(&mut built, &mut recguard_host::wire::Request::default());
        assert_eq!(built, sent, "declared {set:?}");
    }
}

#[test]
fn columns_no_policy_reads_are_never_built() {
    let reads = Reads::from_paths(&["candidates.id", "candidates.topics"]).unwrap();
    let built = recguard_host::wire::Request::from_rows_reading(&everything(), reads);
    let text = format!("{:?}", built.candidates);
    for unread in ["author-1", "secret title", "op-1", "h1", "rumour", "editorial"] {
        assert!(!text.contains(unread), "{unread} was built: {text}");
    }
    assert!(text.contains("science"));
    assert_eq!(built.candidates.ids().iter().collect::<Vec<_>>(), ["a", "b"]);
    assert!(built.candidates.labels.is_none() && built.candidates.price.is_none());
    // Flags are always built: the host reads which items have a price.
    assert_eq!(built.candidates.flags.map(|f| f.len()), Some(2));
}
