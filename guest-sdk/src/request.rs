//! The request as a policy reads it: borrowed views over the columns the host
//! sends (`record request` in `wit/policy.wit`), so that policy code reads
//! rows (`for c in request.candidates() { c.topics() … }`) without
//! allocating per candidate.
//!
//! A field the policy does not declare in `READS` arrives empty (a column
//! as `none`): its accessors give empty lists, zero, false, `None` and the
//! first case of an enum. No accessor panics, whatever the host sends.

use crate::bindings::recguard::policy::types as wit;
use crate::{AgeBand, ExemptionScope, FeedbackTarget, ItemKind, OperatorActionKind, Surface, TagSource};

pub use wit::CandidateFlags;

/// One request, as the host sent it.
#[derive(Clone, Debug)]
pub struct Request {
    raw: wit::Request,
}

impl Request {
    /// The request as the contract carries it.
    pub fn from_wit(raw: wit::Request) -> Self {
        Request { raw }
    }

    /// The columns as the contract carries them.
    pub fn as_wit(&self) -> &wit::Request {
        &self.raw
    }

    /// The provider's request id.
    pub fn id(&self) -> &str {
        &self.raw.id
    }

    /// The time of the request, Unix milliseconds: the only clock a policy has.
    pub fn now_ms(&self) -> u64 {
        self.raw.now_ms
    }

    /// The user's offset from UTC in minutes (Beijing: 480).
    pub fn utc_offset_minutes(&self) -> i32 {
        self.raw.utc_offset_minutes
    }

    /// Where the response will be shown.
    pub fn surface(&self) -> Surface {
        self.raw.surface
    }

    /// The user.
    pub fn user(&self) -> User<'_> {
        let user = &self.raw.user;
        let usage = &user.usage;
        User {
            id: &user.id,
            age_band: user.age_band,
            identity_verified: user.identity_verified,
            minors_mode: user.minors_mode,
            personalisation_off: user.personalisation_off,
            usage: Usage {
                minutes_today: usage.minutes_today,
                continuous_minutes: usage.continuous_minutes,
                items_this_session: usage.items_this_session,
                spent_this_month_fen: usage.spent_this_month_fen,
                session_topics: usage.session_topics.as_ref(),
            },
            raw: user,
        }
    }

    /// The candidates, best first, as the chain has left them.
    pub fn candidates(&self) -> Candidates<'_> {
        Candidates { columns: &self.raw.candidates }
    }
}

/// No strings: what an undeclared column reads as.
static NO_STRINGS: wit::Strings = wit::Strings { text: String::new(), ends: Vec::new() };

/// An optional column, or an empty one.
fn column<T>(column: &Option<Vec<T>>) -> &[T] {
    column.as_deref().unwrap_or(&[])
}

/// An optional string column, or an empty one.
fn strings(column: &Option<wit::Strings>) -> &wit::Strings {
    column.as_ref().unwrap_or(&NO_STRINGS)
}

/// String `i` of a string table, or `""` past its end.
fn string(strings: &wit::Strings, i: usize) -> &str {
    let Some(&end) = strings.ends.get(i) else { return "" };
    let start = if i == 0 { 0 } else { strings.ends.get(i - 1).copied().unwrap_or(0) };
    strings.text.get(start as usize..end as usize).unwrap_or("")
}

/// Entries `ends[i-1]..ends[i]` of a per-candidate list (empty past its end).
fn span(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    let Some(&end) = ends.get(i) else { return 0..0 };
    let start = if i == 0 { 0 } else { ends.get(i - 1).copied().unwrap_or(0) };
    start as usize..(end as usize).max(start as usize)
}

/// Strings `range` of a table, in order.
#[derive(Clone, Debug)]
pub struct Strs<'a> {
    strings: &'a wit::Strings,
    range: std::ops::Range<usize>,
}

impl<'a> Iterator for Strs<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.range.next().map(|i| string(self.strings, i))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl ExactSizeIterator for Strs<'_> {}

impl<'a> Strs<'a> {
    fn all(strings: &'a wit::Strings) -> Self {
        Strs { strings, range: 0..strings.ends.len() }
    }

    /// True if `s` is one of the strings.
    pub fn contains(self, s: &str) -> bool {
        self.into_iter().any(|x| x == s)
    }
}

/// The user the response is for. Scalars are fields; lists are methods.
#[derive(Clone, Copy, Debug)]
pub struct User<'a> {
    /// A pseudonymous, stable id.
    pub id: &'a str,
    /// The user's age band.
    pub age_band: AgeBand,
    /// Whether the user's identity (real name) is verified.
    pub identity_verified: bool,
    /// Whether minors mode is switched on for this account or device.
    pub minors_mode: bool,
    /// The user switched personalised recommendation off (D15 / F17).
    pub personalisation_off: bool,
    /// Usage so far.
    pub usage: Usage<'a>,
    raw: &'a wit::User,
}

/// An interest tag in the user's profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserTag<'a> {
    /// The tag, e.g. "basketball".
    pub name: &'a str,
    /// Where it came from.
    pub source: TagSource,
    /// The user deleted it; it must not be used (D15 / F17).
    pub deleted_by_user: bool,
}

/// A "not interested" signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotInterested<'a> {
    /// What kind of thing the value names.
    pub target: FeedbackTarget,
    /// The item id, author id or topic.
    pub value: &'a str,
}

/// Usage so far, as counted by the provider (for a worker: minutes online).
#[derive(Clone, Copy, Debug)]
pub struct Usage<'a> {
    /// Minutes of use today, in the user's local day.
    pub minutes_today: u32,
    /// Minutes of continuous use without a break.
    pub continuous_minutes: u32,
    /// Items served in this session.
    pub items_this_session: u32,
    /// Money spent in the current calendar month, in fen.
    pub spent_this_month_fen: u64,
    session_topics: Option<&'a wit::SessionTopics>,
}

impl<'a> Usage<'a> {
    /// Items served this session, by topic: `(topic, items)`.
    pub fn session_topics(&self) -> impl Iterator<Item = (&'a str, u32)> + 'a {
        self.session_topics.into_iter().flat_map(|topics| Strs::all(&topics.topic).zip(topics.items.iter().copied()))
    }
}

impl<'a> User<'a> {
    /// The interest tags in the user's profile (those no earlier policy set aside).
    pub fn tags(&self) -> impl Iterator<Item = UserTag<'a>> + 'a {
        self.raw.tags.iter().flat_map(|tags| {
            Strs::all(&tags.name).enumerate().map(move |(i, name)| UserTag {
                name,
                source: tags.source.get(i).copied().unwrap_or(TagSource::Inferred),
                deleted_by_user: tags.deleted_by_user.get(i).copied().unwrap_or(false),
            })
        })
    }

    /// Exemptions granted by a guardian.
    pub fn guardian_exemptions(&self) -> &'a [wit::GuardianExemption] {
        column(&self.raw.guardian_exemptions)
    }

    /// Whether a guardian's exemption for `scope` holds at `now_ms`: while
    /// `now_ms` is before its `expires-at-ms` (at that instant it has
    /// lapsed), or for ever if it has none.
    pub fn exempted(&self, scope: ExemptionScope, now_ms: u64) -> bool {
        self.guardian_exemptions()
            .iter()
            .any(|e| e.scope == scope && e.expires_at_ms.is_none_or(|expires| now_ms < expires))
    }

    /// The "not interested" signals the user gave.
    pub fn not_interested(&self) -> impl Iterator<Item = NotInterested<'a>> + 'a {
        self.raw.not_interested.iter().flat_map(|signals| {
            Strs::all(&signals.value).enumerate().map(move |(i, value)| NotInterested {
                target: signals.target.get(i).copied().unwrap_or(FeedbackTarget::Item),
                value,
            })
        })
    }
}

/// The candidates, best first.
#[derive(Clone, Copy, Debug)]
pub struct Candidates<'a> {
    columns: &'a wit::Candidates,
}

impl<'a> Candidates<'a> {
    /// How many there are.
    pub fn len(&self) -> usize {
        self.columns.count as usize
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.columns.count == 0
    }

    /// The candidate at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<Candidate<'a>> {
        (index < self.len()).then_some(Candidate { columns: self.columns, index })
    }

    /// Every candidate, best first.
    pub fn iter(&self) -> CandidateIter<'a> {
        CandidateIter { columns: self.columns, range: 0..self.len() }
    }
}

impl<'a> IntoIterator for Candidates<'a> {
    type Item = Candidate<'a>;
    type IntoIter = CandidateIter<'a>;
    fn into_iter(self) -> CandidateIter<'a> {
        self.iter()
    }
}

/// The candidates in order (see [`Candidates::iter`]).
#[derive(Clone, Debug)]
pub struct CandidateIter<'a> {
    columns: &'a wit::Candidates,
    range: std::ops::Range<usize>,
}

impl<'a> Iterator for CandidateIter<'a> {
    type Item = Candidate<'a>;
    fn next(&mut self) -> Option<Candidate<'a>> {
        self.range.next().map(|index| Candidate { columns: self.columns, index })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for CandidateIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.range.next_back().map(|index| Candidate { columns: self.columns, index })
    }
}

impl ExactSizeIterator for CandidateIter<'_> {}

/// Synthetic-content signals about an item.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Provenance {
    /// The item's implicit (metadata) label says it is generated.
    pub metadata_label: bool,
    /// The uploader declared the item as generated.
    pub uploader_declared: bool,
    /// A detector's score in [0, 1] that the item is generated, if one ran.
    pub detector_score: Option<f32>,
    /// A visible label was recorded upstream but is missing now.
    pub label_stripped: bool,
}

/// Engagement counts behind an item's rank.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Engagement {
    /// Views.
    pub views: u64,
    /// Likes.
    pub likes: u64,
    /// Comments.
    pub comments: u64,
    /// Reposts.
    pub shares: u64,
    /// Share in [0, 1] of the engagement from new or low-reputation accounts.
    pub low_reputation_share: f32,
    /// Engagement per hour now.
    pub velocity_per_hour: f64,
    /// Engagement per hour usually seen for comparable items.
    pub baseline_per_hour: f64,
}

/// A manual intervention by the provider's staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorAction<'a> {
    /// What was done.
    pub kind: OperatorActionKind,
    /// Who did it (staff id).
    pub operator: &'a str,
    /// The recorded reason; `None` if none was recorded (or it was empty).
    pub reason: Option<&'a str>,
}

/// A price offered to this user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceQuote<'a> {
    /// The price quoted, in fen.
    pub amount_fen: u64,
    /// The reference price for the same item and cohort, in fen.
    pub reference_fen: u64,
    /// The cohort the reference price is for.
    pub cohort: &'a str,
    /// The quote was derived from this user's preferences or trading habits.
    pub personalised: bool,
}

/// Terms of a work order (dispatch surface).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryTerms {
    /// Minutes the platform promises the customer.
    pub promised_minutes: u32,
    /// Minutes a safe journey takes by the platform's own estimate.
    pub safe_baseline_minutes: u32,
}

/// One candidate: a view of row `index` of the columns. Decisions name it by
/// this view (`decision.drop(&item, &finding)`); the host maps it back to its id.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    columns: &'a wit::Candidates,
    index: usize,
}

fn at<T: Copy + Default>(column: &[T], i: usize) -> T {
    column.get(i).copied().unwrap_or_default()
}

impl<'a> Candidate<'a> {
    /// The candidate's position in the list as the policy received it.
    pub fn index(&self) -> u32 {
        self.index as u32
    }

    fn has(&self, flag: CandidateFlags) -> bool {
        column(&self.columns.flags).get(self.index).is_some_and(|f| f.contains(flag))
    }

    /// The item's id, unique within the request.
    pub fn id(&self) -> &'a str {
        string(strings(&self.columns.id), self.index)
    }

    /// The author's or seller's id.
    pub fn author(&self) -> &'a str {
        string(strings(&self.columns.author), self.index)
    }

    /// What the item is.
    pub fn kind(&self) -> ItemKind {
        column(&self.columns.kind).get(self.index).copied().unwrap_or(ItemKind::Article)
    }

    fn list(&self, lists: &'a Option<wit::StringLists>) -> Strs<'a> {
        match lists {
            Some(lists) => Strs { strings: &lists.items, range: span(&lists.ends, self.index) },
            None => Strs { strings: &NO_STRINGS, range: 0..0 },
        }
    }

    /// Topic codes, e.g. "science".
    pub fn topics(&self) -> Strs<'a> {
        self.list(&self.columns.topics)
    }

    /// Risk tags from moderation, e.g. "unsafe-imitation".
    pub fn risk_tags(&self) -> Strs<'a> {
        self.list(&self.columns.risk_tags)
    }

    /// Labels already attached to the item.
    pub fn labels(&self) -> Strs<'a> {
        self.list(&self.columns.labels)
    }

    /// Synthetic-content signals, if any were gathered.
    pub fn synthetic(&self) -> Option<Provenance> {
        self.has(CandidateFlags::SYNTHETIC).then(|| Provenance {
            metadata_label: self.has(CandidateFlags::SYNTHETIC_METADATA_LABEL),
            uploader_declared: self.has(CandidateFlags::SYNTHETIC_UPLOADER_DECLARED),
            detector_score: self
                .has(CandidateFlags::DETECTOR_SCORE)
                .then(|| at(column(&self.columns.detector_score), self.index)),
            label_stripped: self.has(CandidateFlags::SYNTHETIC_LABEL_STRIPPED),
        })
    }

    /// The provider's (possibly personalised) ranking score.
    pub fn score(&self) -> f64 {
        at(column(&self.columns.score), self.index)
    }

    /// A score that uses no personal characteristics.
    pub fn non_personal_score(&self) -> f64 {
        at(column(&self.columns.non_personal_score), self.index)
    }

    /// Engagement behind the item's rank, if it has one.
    pub fn engagement(&self) -> Option<Engagement> {
        let (c, i) = (self.columns.engagement.as_ref()?, self.index);
        self.has(CandidateFlags::ENGAGEMENT).then(|| Engagement {
            views: at(&c.views, i),
            likes: at(&c.likes, i),
            comments: at(&c.comments, i),
            shares: at(&c.shares, i),
            low_reputation_share: at(&c.low_reputation_share, i),
            velocity_per_hour: at(&c.velocity_per_hour, i),
            baseline_per_hour: at(&c.baseline_per_hour, i),
        })
    }

    /// Manual interventions on the item.
    pub fn operator_actions(&self) -> impl Iterator<Item = OperatorAction<'a>> + 'a {
        let index = self.index;
        self.columns.operator_actions.iter().flat_map(move |actions| {
            span(&actions.ends, index).map(move |j| {
                let reason = string(&actions.reason, j);
                OperatorAction {
                    kind: actions.kind.get(j).copied().unwrap_or(OperatorActionKind::Pin),
                    operator: string(&actions.operator, j),
                    reason: (!reason.is_empty()).then_some(reason),
                }
            })
        })
    }

    /// The item belongs to the provider itself or an affiliate.
    pub fn first_party(&self) -> bool {
        self.has(CandidateFlags::FIRST_PARTY)
    }

    /// Hash of the exact content, if known.
    pub fn content_hash(&self) -> Option<&'a str> {
        self.has(CandidateFlags::CONTENT_HASH).then(|| string(strings(&self.columns.content_hash), self.index))
    }

    /// Locality-sensitive fingerprint (e.g. SimHash), if known.
    pub fn similarity_key(&self) -> Option<u64> {
        self.has(CandidateFlags::SIMILARITY_KEY).then(|| at(column(&self.columns.similarity_key), self.index))
    }

    /// The price quote, for goods and services.
    pub fn price(&self) -> Option<PriceQuote<'a>> {
        let (c, i) = (self.columns.price.as_ref()?, self.index);
        self.has(CandidateFlags::PRICE).then(|| PriceQuote {
            amount_fen: at(&c.amount_fen, i),
            reference_fen: at(&c.reference_fen, i),
            cohort: string(&c.cohort, i),
            personalised: self.has(CandidateFlags::PRICE_PERSONALISED),
        })
    }

    /// Work-order terms, on the dispatch surface.
    pub fn delivery(&self) -> Option<DeliveryTerms> {
        let (c, i) = (self.columns.delivery.as_ref()?, self.index);
        self.has(CandidateFlags::DELIVERY).then(|| DeliveryTerms {
            promised_minutes: at(&c.promised_minutes, i),
            safe_baseline_minutes: at(&c.safe_baseline_minutes, i),
        })
    }

    /// Free-form attributes: `(key, value)`.
    pub fn attributes(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let index = self.index;
        self.columns.attributes.iter().flat_map(move |attributes| {
            span(&attributes.ends, index).map(move |j| (string(&attributes.key, j), string(&attributes.value, j)))
        })
    }

    /// The value of the first attribute named `key`.
    pub fn attribute(&self, key: &str) -> Option<&'a str> {
        self.attributes().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}
