//! Bad requests get clear errors, never a panic.

use recguard_host::{EvaluateError, PolicyOptions, Request, RequestError};
use recguard_tests::{components, simple_request};

use crate::helpers::chain;

const NOON: u64 = 1_795_579_200_000;

#[test]
fn request_times_outside_2000_to_2199_are_refused() {
    // Before: a time near the top of u64 wrapped around inside policies (a retry time in 1970).
    let chain = chain(vec![(components::MINORS, PolicyOptions::regulator())]);
    for now_ms in [0, 946_684_799_999, 7_258_118_400_000, u64::MAX - 5] {
        let error = chain.evaluate(&simple_request(now_ms, "from12to16", "feed", 1)).unwrap_err();
        assert!(matches!(error, EvaluateError::Request(RequestError::Time(t)) if t == now_ms), "{error}");
        assert!(error.to_string().contains("outside 2000-01-01 to 2199-12-31"), "{error}");
    }
    assert!(chain.evaluate(&simple_request(946_684_800_000, "from12to16", "feed", 1)).is_ok());
}

#[test]
fn minus_zero_is_zero_in_integer_fields() {
    // Before: `-0`, valid JSON, was refused as a float.
    let text = serde_json::to_string(&simple_request(NOON, "adult", "feed", 1)).unwrap();
    let text = text.replace("\"utc-offset-minutes\":480", "\"utc-offset-minutes\":-0");
    assert!(text.contains("\"utc-offset-minutes\":-0"), "{text}");
    let parsed = Request::from_json(&text).expect("-0 parses");
    assert_eq!(parsed.utc_offset_minutes, 0);
    let error = Request::from_json(&text.replace(":-0", ":-0.5")).unwrap_err();
    assert!(error.to_string().contains("utc-offset-minutes"), "{error}");
}

#[test]
fn the_old_spellings_of_renamed_fields_are_still_accepted() {
    let mut request = serde_json::to_value(simple_request(NOON, "adult", "feed", 0)).unwrap();
    let user = request["user"].as_object_mut().unwrap();
    user.remove("personalisation-off");
    user.insert("personalization-off".into(), true.into());
    let parsed = Request::from_json(&request.to_string()).expect("the old spelling parses");
    assert!(parsed.user.personalisation_off);
}

#[test]
fn malformed_json_names_the_problem_and_position() {
    let error = Request::from_json("{\"id\": \"r1\", \"now-ms\": }").unwrap_err();
    assert!(matches!(error, RequestError::Json { .. }));
    assert!(error.to_string().contains("line 1"), "{error}");
}

#[test]
fn a_wrong_value_deep_in_the_request_names_its_path() {
    let mut request = serde_json::to_value(simple_request(0, "adult", "feed", 3)).unwrap();
    request["candidates"][2]["kind"] = "podcast".into();
    let error = Request::from_json(&request.to_string()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("at `candidates[2].kind`: unknown variant `podcast`"), "{message}");
}

#[test]
fn a_missing_field_is_named() {
    let error = Request::from_json(r#"{"id": "r1", "utc-offset-minutes": 0, "surface": "feed", "user": {"id": "u", "age-band": "adult"}}"#)
        .unwrap_err();
    assert!(error.to_string().contains("missing field `now-ms`"), "{error}");
}

#[test]
fn an_unknown_enum_value_or_field_is_named() {
    let base = r#"{"id": "r1", "now-ms": 0, "utc-offset-minutes": 0, "surface": "SURFACE", "user": {"id": "u", "age-band": "adult"}}"#;
    let error = Request::from_json(&base.replace("SURFACE", "timeline")).unwrap_err();
    assert!(error.to_string().contains("unknown variant `timeline`"), "{error}");
    let error = Request::from_json(&base.replace("SURFACE", "feed").replace("\"id\": \"u\"", "\"id\": \"u\", \"agebnd\": 1")).unwrap_err();
    assert!(error.to_string().contains("agebnd"), "{error}");
}

#[test]
fn duplicate_candidate_ids_and_impossible_offsets_are_refused() {
    let chain = chain(vec![(components::NOOP, PolicyOptions::regulator())]);
    let mut request = simple_request(NOON, "adult", "feed", 2);
    request.candidates[1].id = "c0".into();
    assert!(matches!(chain.evaluate(&request), Err(EvaluateError::Request(RequestError::DuplicateCandidate(id))) if id == "c0"));
    let mut request = simple_request(NOON, "adult", "feed", 1);
    request.utc_offset_minutes = 5000;
    assert!(matches!(chain.evaluate(&request), Err(EvaluateError::Request(RequestError::UtcOffset(5000)))));
}

#[test]
fn an_empty_candidate_list_is_fine() {
    let chain = chain(vec![
        (components::MINORS, PolicyOptions::regulator()),
        (components::HOT_LIST_INTEGRITY, PolicyOptions::regulator()),
    ]);
    let outcome = chain.evaluate(&simple_request(1_795_579_200_000, "from8to12", "hot-list", 0)).unwrap();
    assert!(outcome.candidates.is_empty());
    assert!(!outcome.is_blocked());
}
