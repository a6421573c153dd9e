//! The candidates as a policy reads them: [`Candidates`] and its iterator
//! over the columns, and [`Candidate`], a view of one row. Like the rest of
//! the request (`request.rs`), an undeclared column reads as empty, and no
//! accessor panics.

use crate::bindings::recguard::policy::types::{self as wit, CandidateFlags};
use crate::request::{column, span, string, strings, Strs, NO_STRINGS};
use crate::{ItemKind, OperatorActionKind};

/// The candidates, best first.
#[derive(Clone, Copy, Debug)]
pub struct Candidates<'a> {
    columns: &'a wit::Candidates,
}

impl<'a> Candidates<'a> {
    pub(crate) fn new(columns: &'a wit::Candidates) -> Self {
        Candidates { columns }
    }

    /// How many there are.
    #[inline]
    pub fn len(&self) -> usize {
        self.columns.count as usize
    }

    /// True if there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.columns.count == 0
    }

    /// The candidate at `index`, if there is one.
    #[inline]
    pub fn get(&self, index: usize) -> Option<Candidate<'a>> {
        (index < self.len()).then_some(Candidate { columns: self.columns, index })
    }

    /// Every candidate, best first.
    #[inline]
    pub fn iter(&self) -> CandidateIter<'a> {
        CandidateIter { columns: self.columns, range: 0..self.len() }
    }
}

impl<'a> IntoIterator for Candidates<'a> {
    type Item = Candidate<'a>;
    type IntoIter = CandidateIter<'a>;
    #[inline]
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
    #[inline]
    fn next(&mut self) -> Option<Candidate<'a>> {
        self.range.next().map(|index| Candidate { columns: self.columns, index })
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for CandidateIter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.range.next_back().map(|index| Candidate { columns: self.columns, index })
    }
}

impl ExactSizeIterator for CandidateIter<'_> {}

/// Synthetic-content signals about an item.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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

#[inline]
fn at<T: Copy + Default>(column: &[T], i: usize) -> T {
    column.get(i).copied().unwrap_or_default()
}

impl<'a> Candidate<'a> {
    /// The candidate's position in the list as the policy received it.
    #[inline]
    pub fn index(&self) -> u32 {
        self.index as u32
    }

    #[inline]
    fn has(&self, flag: CandidateFlags) -> bool {
        column(&self.columns.flags).get(self.index).is_some_and(|f| f.contains(flag))
    }

    /// The item's id, unique within the request.
    #[inline]
    pub fn id(&self) -> &'a str {
        string(strings(&self.columns.id), self.index)
    }

    /// The author's or seller's id.
    #[inline]
    pub fn author(&self) -> &'a str {
        string(strings(&self.columns.author), self.index)
    }

    /// What the item is.
    #[inline]
    pub fn kind(&self) -> ItemKind {
        column(&self.columns.kind).get(self.index).copied().unwrap_or(ItemKind::Article)
    }

    #[inline]
    fn list(&self, lists: &'a Option<wit::StringLists>) -> Strs<'a> {
        match lists {
            Some(lists) => Strs { strings: &lists.items, range: span(&lists.ends, self.index) },
            None => Strs { strings: &NO_STRINGS, range: 0..0 },
        }
    }

    /// Topic codes, e.g. "science".
    #[inline]
    pub fn topics(&self) -> Strs<'a> {
        self.list(&self.columns.topics)
    }

    /// Risk tags from moderation, e.g. "unsafe-imitation".
    #[inline]
    pub fn risk_tags(&self) -> Strs<'a> {
        self.list(&self.columns.risk_tags)
    }

    /// Labels already attached to the item.
    #[inline]
    pub fn labels(&self) -> Strs<'a> {
        self.list(&self.columns.labels)
    }

    /// Synthetic-content signals, if any were gathered.
    #[inline]
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
    #[inline]
    pub fn score(&self) -> f64 {
        at(column(&self.columns.score), self.index)
    }

    /// A score that uses no personal characteristics.
    #[inline]
    pub fn non_personal_score(&self) -> f64 {
        at(column(&self.columns.non_personal_score), self.index)
    }

    /// Engagement behind the item's rank, if it has one.
    #[inline]
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
    #[inline]
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
    #[inline]
    pub fn first_party(&self) -> bool {
        self.has(CandidateFlags::FIRST_PARTY)
    }

    /// Hash of the exact content, if known.
    #[inline]
    pub fn content_hash(&self) -> Option<&'a str> {
        self.has(CandidateFlags::CONTENT_HASH).then(|| string(strings(&self.columns.content_hash), self.index))
    }

    /// Locality-sensitive fingerprint (e.g. SimHash), if known.
    #[inline]
    pub fn similarity_key(&self) -> Option<u64> {
        self.has(CandidateFlags::SIMILARITY_KEY).then(|| at(column(&self.columns.similarity_key), self.index))
    }

    /// The price quote, for goods and services.
    #[inline]
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
    #[inline]
    pub fn delivery(&self) -> Option<DeliveryTerms> {
        let (c, i) = (self.columns.delivery.as_ref()?, self.index);
        self.has(CandidateFlags::DELIVERY).then(|| DeliveryTerms {
            promised_minutes: at(&c.promised_minutes, i),
            safe_baseline_minutes: at(&c.safe_baseline_minutes, i),
        })
    }

    /// Free-form attributes: `(key, value)`.
    #[inline]
    pub fn attributes(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let index = self.index;
        self.columns.attributes.iter().flat_map(move |attributes| {
            span(&attributes.ends, index).map(move |j| (string(&attributes.key, j), string(&attributes.value, j)))
        })
    }

    /// The value of the first attribute named `key`.
    #[inline]
    pub fn attribute(&self, key: &str) -> Option<&'a str> {
        self.attributes().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}
