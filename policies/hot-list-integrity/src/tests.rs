//! Native unit tests of the hot-list-integrity logic.

use super::*;
use recguard_sdk::testing::{candidate, request};
use recguard_sdk::{AgeBand, Engagement, OperatorAction, Surface};

fn hot(id: &str, heat: f64) -> Candidate {
    let mut c = candidate(id);
    c.non_personal_score = heat;
    c.engagement = Some(Engagement {
        views: 1000,
        likes: 100,
        comments: 10,
        shares: 5,
        low_reputation_share: 0.1,
        velocity_per_hour: 100.0,
        baseline_per_hour: 80.0,
    });
    c
}

fn hot_list(items: Vec<Candidate>) -> Request {
    let mut req = request(Surface::HotList, AgeBand::Adult, "2026-11-25T12:00", 480);
    req.candidates = items;
    req
}

fn evaluate(req: &Request) -> Decision {
    HotListIntegrity::evaluate(req, &Settings::default())
}

/// The order after applying the decision's drops and moves, as the host would.
fn order_after(req: &Request, decision: &Decision) -> Vec<String> {
    let dropped = decision.dropped();
    let mut list: Vec<String> =
        req.candidates.iter().map(|c| c.id.clone()).filter(|id| !dropped.contains(&id.as_str())).collect();
    for action in decision.actions() {
        if let recguard_sdk::wit::Action::MoveBy(places) = action.action {
            let from = list.iter().position(|id| *id == action.candidate_id).unwrap();
            let to = (from as i64 - places as i64).clamp(0, list.len() as i64 - 1) as usize;
            let id = list.remove(from);
            list.insert(to, id);
        }
    }
    list
}

#[test]
fn fake_engagement_is_dropped_and_cites_d13_f14() {
    let mut bought = hot("bought", 90.0);
    bought.engagement.as_mut().unwrap().low_reputation_share = 0.8;
    let req = hot_list(vec![bought, hot("real", 50.0)]);
    let decision = evaluate(&req);
    assert_eq!(decision.dropped(), ["bought"]);
    assert_eq!(decision.findings()[0].article, Article::D13F14);
    assert_eq!(decision.findings()[0].code, "hot-list.fake-engagement");
}

#[test]
fn the_share_threshold_is_exclusive() {
    let mut edge = hot("edge", 90.0);
    edge.engagement.as_mut().unwrap().low_reputation_share = 0.5;
    assert!(evaluate(&hot_list(vec![edge])).is_empty());
}

#[test]
fn a_velocity_spike_is_demoted_to_the_bottom() {
    let mut spike = hot("spike", 90.0);
    spike.engagement.as_mut().unwrap().velocity_per_hour = 5000.0;
    let req = hot_list(vec![spike, hot("a", 50.0), hot("b", 40.0)]);
    let decision = evaluate(&req);
    assert_eq!(order_after(&req, &decision), ["a", "b", "spike"]);
    assert_eq!(decision.codes(), ["hot-list.velocity-spike"]);
}

#[test]
fn an_unrecorded_pin_is_undone_and_a_recorded_one_kept() {
    let mut pinned = hot("pinned", 10.0);
    pinned.operator_actions.push(OperatorAction { kind: OperatorActionKind::Pin, operator: "op7".into(), reason: None });
    let req = hot_list(vec![pinned, hot("a", 50.0), hot("b", 40.0), hot("c", 5.0)]);
    assert_eq!(order_after(&req, &evaluate(&req)), ["a", "b", "pinned", "c"]);

    let mut recorded = req.clone();
    recorded.candidates[0].operator_actions[0].reason = Some("disaster relief notice".into());
    assert!(evaluate(&recorded).is_empty());
}

#[test]
fn ads_and_celebrity_rankings_hold_no_ranked_slot() {
    let mut ad = hot("ad", 70.0);
    ad.kind = ItemKind::Ad;
    let mut star = hot("star", 60.0);
    star.topics.push("celebrity-ranking".into());
    let req = hot_list(vec![ad, star, hot("news", 50.0)]);
    assert_eq!(evaluate(&req).dropped(), ["ad", "star"]);
}

#[test]
fn first_party_items_do_not_sit_above_hotter_third_party_items() {
    let mut own = hot("own", 20.0);
    own.first_party = true;
    let req = hot_list(vec![own, hot("a", 50.0), hot("b", 10.0), hot("c", 30.0)]);
    let decision = evaluate(&req);
    assert_eq!(order_after(&req, &decision), ["a", "b", "c", "own"]);
    assert_eq!(decision.findings()[0].article, Article::D13F15);
}

#[test]
fn other_surfaces_and_empty_lists_are_untouched() {
    let mut bought = hot("bought", 90.0);
    bought.engagement.as_mut().unwrap().low_reputation_share = 0.9;
    let mut feed = hot_list(vec![bought]);
    feed.surface = Surface::Feed;
    assert!(evaluate(&feed).is_empty());
    assert!(evaluate(&hot_list(vec![])).is_empty());
}

#[test]
fn settings_are_checked() {
    let settings = Settings { max_low_reputation_share: 1.5, ..Settings::default() };
    assert!(HotListIntegrity::validate(&settings).is_err());
    assert!(HotListIntegrity::validate(&Settings::default()).is_ok());
}
