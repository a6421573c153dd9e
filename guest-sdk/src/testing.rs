//! Native unit tests of a policy's logic: requests written as rows (one
//! record per candidate, as providers send them), turned into the columns a
//! policy receives, and decisions read back by candidate id.
//!
//! ```
//! use recguard_sdk::testing::{candidate, request};
//! use recguard_sdk::{AgeBand, Surface};
//! let mut req = request(Surface::Feed, AgeBand::Adult, "2026-11-27T23:00", 480);
//! req.candidates.push(candidate("v1"));
//! let columns = req.build();
//! assert_eq!(columns.candidates().len(), 1);
//! assert_eq!(columns.candidates().iter().next().unwrap().id(), "v1");
//! ```

use crate::bindings::recguard::policy::types as wit;
use crate::{AgeBand, FeedbackTarget, ItemKind, OperatorActionKind, Policy, Surface, TagSource};

pub use crate::bindings::recguard::policy::types::GuardianExemption;
/// A row's synthetic-content signals and engagement: the same types a policy reads.
pub use crate::candidate::{Engagement, Provenance};

/// Rows turned into the columns a policy receives.
mod columns;

/// An interest tag held in the user's profile.
#[derive(Clone, Debug, PartialEq)]
pub struct UserTag {
    /// The tag itself.
    pub name: String,
    /// Where it came from.
    pub source: TagSource,
    /// The user deleted it.
    pub deleted_by_user: bool,
}

/// Items of a topic served this session.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicCount {
    /// The topic.
    pub topic: String,
    /// Items served.
    pub items: u32,
}

/// Usage so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Minutes of use today.
    pub minutes_today: u32,
    /// Minutes of continuous use.
    pub continuous_minutes: u32,
    /// Items served this session.
    pub items_this_session: u32,
    /// Items served this session, by topic.
    pub session_topics: Vec<TopicCount>,
    /// Money spent this month, in fen.
    pub spent_this_month_fen: u64,
}

/// A "not interested" signal.
#[derive(Clone, Debug, PartialEq)]
pub struct NotInterested {
    /// What the value names.
    pub target: FeedbackTarget,
    /// The item id, author id or topic.
    pub value: String,
}

/// The user, as a row.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// Pseudonymous id.
    pub id: String,
    /// Age band.
    pub age_band: AgeBand,
    /// Identity verified.
    pub identity_verified: bool,
    /// Minors mode on.
    pub minors_mode: bool,
    /// Personalisation switched off.
    pub personalisation_off: bool,
    /// Interest tags.
    pub tags: Vec<UserTag>,
    /// Usage so far.
    pub usage: Usage,
    /// Guardian exemptions.
    pub guardian_exemptions: Vec<GuardianExemption>,
    /// "Not interested" signals.
    pub not_interested: Vec<NotInterested>,
}

/// A manual intervention.
#[derive(Clone, Debug, PartialEq)]
pub struct OperatorAction {
    /// What was done.
    pub kind: OperatorActionKind,
    /// Who did it.
    pub operator: String,
    /// The recorded reason.
    pub reason: Option<String>,
}

/// A price quote.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceQuote {
    /// Price quoted, fen.
    pub amount_fen: u64,
    /// Reference price, fen.
    pub reference_fen: u64,
    /// Cohort of the reference price.
    pub cohort: String,
    /// Derived from the user's habits.
    pub personalised: bool,
}

/// Work-order terms.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryTerms {
    /// Promised minutes.
    pub promised_minutes: u32,
    /// Safe-journey minutes.
    pub safe_baseline_minutes: u32,
}

/// A free-form attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// One candidate, as a row.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Id.
    pub id: String,
    /// Author.
    pub author: String,
    /// Kind.
    pub kind: ItemKind,
    /// Topics.
    pub topics: Vec<String>,
    /// Risk tags.
    pub risk_tags: Vec<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Synthetic-content signals.
    pub synthetic: Option<Provenance>,
    /// Personalised score.
    pub score: f64,
    /// Non-personal score.
    pub non_personal_score: f64,
    /// Engagement.
    pub engagement: Option<Engagement>,
    /// Manual interventions.
    pub operator_actions: Vec<OperatorAction>,
    /// First-party item.
    pub first_party: bool,
    /// Content hash.
    pub content_hash: Option<String>,
    /// Similarity key.
    pub similarity_key: Option<u64>,
    /// Price quote.
    pub price: Option<PriceQuote>,
    /// Work-order terms.
    pub delivery: Option<DeliveryTerms>,
    /// Attributes.
    pub attributes: Vec<Attribute>,
}

/// A request, as rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Request id.
    pub id: String,
    /// Unix milliseconds.
    pub now_ms: u64,
    /// The user's UTC offset, minutes.
    pub utc_offset_minutes: i32,
    /// Surface.
    pub surface: Surface,
    /// The user.
    pub user: User,
    /// The candidates, best first.
    pub candidates: Vec<Candidate>,
}

/// A request at a local time `"YYYY-MM-DDTHH:MM"` for a user at `utc_offset_minutes`,
/// with no candidates and a user of the given age band.
///
/// Panics on a malformed time: it is for tests.
pub fn request(surface: Surface, age_band: AgeBand, local_time: &str, utc_offset_minutes: i32) -> Request {
    Request {
        id: "test-request".to_string(),
        now_ms: unix_ms(local_time, utc_offset_minutes),
        utc_offset_minutes,
        surface,
        user: User {
            id: "u-test".to_string(),
            age_band,
            identity_verified: true,
            minors_mode: false,
            personalisation_off: false,
            tags: Vec::new(),
            usage: Usage::default(),
            guardian_exemptions: Vec::new(),
            not_interested: Vec::new(),
        },
        candidates: Vec::new(),
    }
}

/// An article candidate with the given id and nothing else of note.
pub fn candidate(id: &str) -> Candidate {
    Candidate {
        id: id.to_string(),
        author: format!("author-of-{id}"),
        kind: ItemKind::Article,
        topics: Vec::new(),
        risk_tags: Vec::new(),
        labels: Vec::new(),
        synthetic: None,
        score: 1.0,
        non_personal_score: 1.0,
        engagement: None,
        operator_actions: Vec::new(),
        first_party: false,
        content_hash: None,
        similarity_key: None,
        price: None,
        delivery: None,
        attributes: Vec::new(),
    }
}

/// An action on a candidate, named by id (for assertions).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedAction {
    /// The candidate's id.
    pub candidate_id: String,
    /// What to do.
    pub action: wit::Action,
    /// Index into the decision's findings.
    pub finding: u32,
}

/// A decision together with the request it was made on, so that tests read
/// it by candidate id. Dereferences to the [`Decision`](crate::Decision).
#[derive(Debug)]
pub struct Decided {
    decision: crate::Decision,
    ids: Vec<String>,
}

impl std::ops::Deref for Decided {
    type Target = crate::Decision;
    fn deref(&self) -> &crate::Decision {
        &self.decision
    }
}

impl Decided {
    fn id(&self, index: u32) -> &str {
        self.ids.get(index as usize).map_or("(no such candidate)", String::as_str)
    }

    /// Ids of the candidates the decision drops.
    pub fn dropped(&self) -> Vec<&str> {
        self.decision.dropped().into_iter().map(|i| self.id(i)).collect()
    }

    /// Labels the decision attaches to the candidate with this id.
    pub fn labels_of(&self, candidate_id: &str) -> Vec<&str> {
        self.decision
            .actions()
            .iter()
            .filter(|a| self.id(a.candidate) == candidate_id)
            .filter_map(|a| match &a.action {
                wit::Action::Label(label) => Some(label.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The actions, candidates named by id.
    pub fn actions(&self) -> Vec<NamedAction> {
        self.decision
            .actions()
            .iter()
            .map(|a| NamedAction { candidate_id: self.id(a.candidate).to_string(), action: a.action.clone(), finding: a.finding })
            .collect()
    }

    /// The new order by id, if the decision reranks.
    pub fn reranked(&self) -> Option<Vec<&str>> {
        self.decision.reranked().map(|order| order.iter().map(|&i| self.id(i)).collect())
    }

    /// The decision itself.
    pub fn into_decision(self) -> crate::Decision {
        self.decision
    }
}

/// Runs policy `P` natively on a request written as rows.
pub fn evaluate<P: Policy>(request: &Request, settings: &P::Settings) -> Decided {
    let ids = request.candidates.iter().map(|c| c.id.clone()).collect();
    Decided { decision: P::evaluate(&request.build(), settings), ids }
}

/// What `validate-settings` does with settings JSON: parses, checks and
/// encodes them, or says what is wrong.
pub fn validate_json<P: Policy>(settings: &str) -> Result<P::Settings, String> {
    let checked = crate::policy::runtime::validate::<P>(settings)?;
    crate::policy::decode_settings::<P>(&checked.encoded)
}

/// Unix milliseconds of a local time `"YYYY-MM-DDTHH:MM"` at an offset.
pub fn unix_ms(local_time: &str, utc_offset_minutes: i32) -> u64 {
    let parse = |range: std::ops::Range<usize>| -> i64 {
        local_time
            .get(range)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("'{local_time}' is not YYYY-MM-DDTHH:MM"))
    };
    let (year, month, day) = (parse(0..4), parse(5..7), parse(8..10));
    let (hour, minute) = (parse(11..13), parse(14..16));
    let days = days_from_civil(year, month, day);
    let local_minutes = days * 1440 + hour * 60 + minute;
    ((local_minutes - utc_offset_minutes as i64) * 60_000) as u64
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::LocalTime;

    #[test]
    fn local_time_round_trips() {
        let req = request(Surface::Feed, AgeBand::Adult, "2026-11-27T23:00", 480);
        assert_eq!(req.now_ms, 1_795_791_600_000);
        let t = LocalTime::of(&req.build());
        assert_eq!(t.date(), "2026-11-27");
        assert_eq!(t.minute_of_day, 23 * 60);
    }

    #[test]
    fn rows_read_back_through_the_views() {
        let mut req = request(Surface::HotList, AgeBand::Adult, "2026-11-27T12:00", 480);
        let mut a = candidate("a");
        a.topics = vec!["x".into(), "y".into()];
        a.price = Some(PriceQuote { amount_fen: 5, reference_fen: 4, cohort: "c".into(), personalised: true });
        a.operator_actions.push(OperatorAction { kind: OperatorActionKind::Boost, operator: "op".into(), reason: None });
        let mut b = candidate("b");
        b.attributes.push(Attribute { key: "region".into(), value: "north".into() });
        req.candidates = vec![a, b];
        let built = req.build();
        let items: Vec<_> = built.candidates().iter().collect();
        assert_eq!(items[0].topics().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(items[1].topics().count(), 0);
        assert_eq!(items[0].price().map(|p| (p.amount_fen, p.cohort, p.personalised)), Some((5, "c", true)));
        assert!(items[1].price().is_none());
        assert_eq!(items[0].operator_actions().next().map(|a| (a.operator, a.reason)), Some(("op", None)));
        assert_eq!(items[1].attribute("region"), Some("north"));
        assert_eq!(items[1].id(), "b");
    }

    #[test]
    fn undeclared_columns_read_as_empty_without_panicking() {
        let mut raw = request(Surface::Feed, AgeBand::Adult, "2026-11-27T12:00", 480).with_candidates(&["a", "b"]).to_wit();
        raw.candidates.id = None;
        raw.candidates.topics = None;
        raw.candidates.flags = None;
        let request = crate::Request::from_wit(raw);
        let item = request.candidates().get(1).unwrap();
        assert_eq!((item.id(), item.topics().count(), item.price().is_none()), ("", 0, true));
    }
}
