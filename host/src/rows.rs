//! Building the request's columns (`record request` in `wit/policy.wit`) from
//! the rows a provider sends, once per evaluation: only the candidate columns
//! some policy of the chain or the host reads are built.

use crate::reads::{index, Reads};
use crate::request::{Attribute, Engagement, OperatorAction, PriceQuote, Request, User};
use crate::wire::{self, CandidateFlags, ItemKind, Strings};

impl wire::Request {
    /// The request's columns, built once from the provider's rows.
    pub fn from_rows(request: &Request) -> Self {
        Self::from_rows_reading(request, Reads::all())
    }

    /// The request's columns, with only the candidate columns in `reads`
    /// built (and flags, always); the others are absent, as for a policy
    /// that does not read them. A chain builds what its policies and the
    /// host read, no more.
    pub fn from_rows_reading(request: &Request, reads: Reads) -> Self {
        let mut columns = Columns::new(request.candidates.len(), reads);
        for item in &request.candidates {
            columns.push_row(item);
        }
        wire::Request {
            id: request.id.clone(),
            now_ms: request.now_ms,
            utc_offset_minutes: request.utc_offset_minutes,
            surface: request.surface,
            user: user_columns(&request.user),
            candidates: columns.finish(),
        }
    }
}

/// The user's columns.
pub(crate) fn user_columns(user: &User) -> wire::User {
    let mut tags = wire::UserTags::default();
    for tag in &user.tags {
        tags.name.push(&tag.name);
        tags.source.push(tag.source);
        tags.deleted_by_user.push(tag.deleted_by_user);
    }
    let mut session_topics = wire::SessionTopics::default();
    for topic in &user.usage.session_topics {
        session_topics.topic.push(&topic.topic);
        session_topics.items.push(topic.items);
    }
    let mut not_interested = wire::NotInterested::default();
    for signal in &user.not_interested {
        not_interested.target.push(signal.target);
        not_interested.value.push(&signal.value);
    }
    wire::User {
        id: user.id.clone(),
        age_band: user.age_band,
        identity_verified: user.identity_verified,
        minors_mode: user.minors_mode,
        personalisation_off: user.personalisation_off,
        tags: Some(tags),
        usage: wire::Usage {
            minutes_today: user.usage.minutes_today,
            continuous_minutes: user.usage.continuous_minutes,
            items_this_session: user.usage.items_this_session,
            session_topics: Some(session_topics),
            spent_this_month_fen: user.usage.spent_this_month_fen,
        },
        guardian_exemptions: Some(
            user.guardian_exemptions
                .iter()
                .map(|e| wire::GuardianExemption { scope: e.scope, expires_at_ms: e.expires_at_ms })
                .collect(),
        ),
        not_interested: Some(not_interested),
    }
}

/// The candidates' columns while they are built, one candidate at a time.
/// Only the columns in `reads` are filled (flags always); `finish` leaves
/// the others absent.
pub(crate) struct Columns {
    id: Strings,
    author: Strings,
    kind: Vec<ItemKind>,
    flags: Vec<CandidateFlags>,
    topics: wire::StringLists,
    risk_tags: wire::StringLists,
    labels: wire::StringLists,
    score: Vec<f64>,
    non_personal_score: Vec<f64>,
    detector_score: Vec<f32>,
    engagement: wire::EngagementColumns,
    actions: wire::OperatorActions,
    content_hash: Strings,
    similarity_key: Vec<u64>,
    price: wire::PriceColumns,
    delivery: wire::DeliveryColumns,
    attributes: wire::Attributes,
    reads: Reads,
}

/// Whether `reads` has the read path `$path` (checked at compile time).
macro_rules! reads {
    ($reads:expr, $path:literal) => {
        $reads.has_index(const { index($path) })
    };
}

impl Columns {
    /// Columns with room for about `n` candidates, filling those in `reads`.
    fn new(n: usize, reads: Reads) -> Self {
        // Room only in the columns that will be filled.
        let room = |read: bool| if read { n } else { 0 };
        let strings = |read: bool, bytes_each: usize| Strings::with_capacity(room(read), room(read) * bytes_each);
        let lists = |read: bool| wire::StringLists { ends: Vec::with_capacity(room(read)), items: strings(read, 8) };
        let engagement = room(reads!(reads, "candidates.engagement"));
        let price = reads!(reads, "candidates.price");
        let delivery = room(reads!(reads, "candidates.delivery"));
        Columns {
            id: strings(reads!(reads, "candidates.id"), 12),
            author: strings(reads!(reads, "candidates.author"), 10),
            kind: Vec::with_capacity(room(reads!(reads, "candidates.kind"))),
            flags: Vec::with_capacity(n),
            topics: lists(reads!(reads, "candidates.topics")),
            risk_tags: lists(reads!(reads, "candidates.risk-tags")),
            labels: lists(reads!(reads, "candidates.labels")),
            score: Vec::with_capacity(room(reads!(reads, "candidates.score"))),
            non_personal_score: Vec::with_capacity(room(reads!(reads, "candidates.non-personal-score"))),
            detector_score: Vec::with_capacity(room(reads!(reads, "candidates.synthetic"))),
            engagement: wire::EngagementColumns {
                views: Vec::with_capacity(engagement),
                likes: Vec::with_capacity(engagement),
                comments: Vec::with_capacity(engagement),
                shares: Vec::with_capacity(engagement),
                low_reputation_share: Vec::with_capacity(engagement),
                velocity_per_hour: Vec::with_capacity(engagement),
                baseline_per_hour: Vec::with_capacity(engagement),
            },
            actions: wire::OperatorActions {
                ends: Vec::with_capacity(room(reads!(reads, "candidates.operator-actions"))),
                ..Default::default()
            },
            content_hash: strings(reads!(reads, "candidates.content-hash"), 0),
            similarity_key: Vec::with_capacity(room(reads!(reads, "candidates.similarity-key"))),
            price: wire::PriceColumns {
                amount_fen: Vec::with_capacity(room(price)),
                reference_fen: Vec::with_capacity(room(price)),
                cohort: strings(price, 0),
            },
            delivery: wire::DeliveryColumns {
                promised_minutes: Vec::with_capacity(delivery),
                safe_baseline_minutes: Vec::with_capacity(delivery),
            },
            attributes: wire::Attributes {
                ends: Vec::with_capacity(room(reads!(reads, "candidates.attributes"))),
                ..Default::default()
            },
            reads,
        }
    }

    /// Appends one candidate given as a row.
    fn push_row(&mut self, item: &crate::request::Candidate) {
        let reads = self.reads;
        self.flags.push(row_flags(item));
        if reads!(reads, "candidates.id") {
            self.id.push(&item.id);
        }
        if reads!(reads, "candidates.author") {
            self.author.push(&item.author);
        }
        if reads!(reads, "candidates.kind") {
            self.kind.push(item.kind);
        }
        if reads!(reads, "candidates.topics") {
            self.topics.push(&item.topics);
        }
        if reads!(reads, "candidates.risk-tags") {
            self.risk_tags.push(&item.risk_tags);
        }
        if reads!(reads, "candidates.labels") {
            self.labels.push(&item.labels);
        }
        if reads!(reads, "candidates.score") {
            self.score.push(item.score);
        }
        if reads!(reads, "candidates.non-personal-score") {
            self.non_personal_score.push(item.non_personal_score);
        }
        if reads!(reads, "candidates.synthetic") {
            self.detector_score.push(item.synthetic.as_ref().and_then(|s| s.detector_score).unwrap_or(0.0));
        }
        if reads!(reads, "candidates.engagement") {
            self.push_engagement(item.engagement.as_ref());
        }
        if reads!(reads, "candidates.operator-actions") {
            self.push_operator_actions(&item.operator_actions);
        }
        if reads!(reads, "candidates.content-hash") {
            self.content_hash.push(item.content_hash.as_deref().unwrap_or(""));
        }
        if reads!(reads, "candidates.similarity-key") {
            self.similarity_key.push(item.similarity_key.unwrap_or(0));
        }
        if reads!(reads, "candidates.price") {
            self.push_price(item.price.as_ref());
        }
        if reads!(reads, "candidates.delivery") {
            let delivery = item.delivery.as_ref();
            self.delivery.promised_minutes.push(delivery.map_or(0, |d| d.promised_minutes));
            self.delivery.safe_baseline_minutes.push(delivery.map_or(0, |d| d.safe_baseline_minutes));
        }
        if reads!(reads, "candidates.attributes") {
            self.push_attributes(&item.attributes);
        }
    }

    /// Appends a candidate's engagement counts.
    fn push_engagement(&mut self, engagement: Option<&Engagement>) {
        let none = Engagement::default();
        let counts = engagement.unwrap_or(&none);
        let e = &mut self.engagement;
        e.views.push(counts.views);
        e.likes.push(counts.likes);
        e.comments.push(counts.comments);
        e.shares.push(counts.shares);
        e.low_reputation_share.push(counts.low_reputation_share);
        e.velocity_per_hour.push(counts.velocity_per_hour);
        e.baseline_per_hour.push(counts.baseline_per_hour);
    }

    /// Appends a candidate's operator actions.
    fn push_operator_actions(&mut self, actions: &[OperatorAction]) {
        for action in actions {
            self.actions.kind.push(action.kind);
            self.actions.operator.push(&action.operator);
            self.actions.reason.push(action.reason.as_deref().unwrap_or(""));
        }
        self.actions.ends.push(self.actions.kind.len() as u32);
    }

    /// Appends a candidate's price quote.
    fn push_price(&mut self, quote: Option<&PriceQuote>) {
        self.price.amount_fen.push(quote.map_or(0, |p| p.amount_fen));
        self.price.reference_fen.push(quote.map_or(0, |p| p.reference_fen));
        self.price.cohort.push(quote.map_or("", |p| p.cohort.as_str()));
    }

    /// Appends a candidate's attributes.
    fn push_attributes(&mut self, attributes: &[Attribute]) {
        for attribute in attributes {
            self.attributes.key.push(&attribute.key);
            self.attributes.value.push(&attribute.value);
        }
        self.attributes.ends.push(self.attributes.key.len() as u32);
    }

    /// The finished columns: those in `reads` filled, the others absent.
    fn finish(self) -> wire::Candidates {
        let reads = self.reads;
        macro_rules! built {
            ($path:literal, $column:expr) => {
                if reads!(reads, $path) { Some($column) } else { None }
            };
        }
        wire::Candidates {
            count: self.flags.len() as u32,
            id: built!("candidates.id", self.id),
            author: built!("candidates.author", self.author),
            kind: built!("candidates.kind", self.kind),
            flags: Some(self.flags),
            topics: built!("candidates.topics", self.topics),
            risk_tags: built!("candidates.risk-tags", self.risk_tags),
            labels: built!("candidates.labels", self.labels),
            score: built!("candidates.score", self.score),
            non_personal_score: built!("candidates.non-personal-score", self.non_personal_score),
            detector_score: built!("candidates.synthetic", self.detector_score),
            engagement: built!("candidates.engagement", self.engagement),
            operator_actions: built!("candidates.operator-actions", self.actions),
            content_hash: built!("candidates.content-hash", self.content_hash),
            similarity_key: built!("candidates.similarity-key", self.similarity_key),
            price: built!("candidates.price", self.price),
            delivery: built!("candidates.delivery", self.delivery),
            attributes: built!("candidates.attributes", self.attributes),
        }
    }
}

/// A candidate's presence and yes/no flags, from its row.
fn row_flags(item: &crate::request::Candidate) -> CandidateFlags {
    let mut flags = CandidateFlags::empty();
    let synthetic = item.synthetic.as_ref();
    let price = item.price.as_ref();
    set(&mut flags, CandidateFlags::FIRST_PARTY, item.first_party);
    set(&mut flags, CandidateFlags::SYNTHETIC, synthetic.is_some());
    set(&mut flags, CandidateFlags::SYNTHETIC_METADATA_LABEL, synthetic.is_some_and(|s| s.metadata_label));
    set(&mut flags, CandidateFlags::SYNTHETIC_UPLOADER_DECLARED, synthetic.is_some_and(|s| s.uploader_declared));
    set(&mut flags, CandidateFlags::SYNTHETIC_LABEL_STRIPPED, synthetic.is_some_and(|s| s.label_stripped));
    set(&mut flags, CandidateFlags::DETECTOR_SCORE, synthetic.is_some_and(|s| s.detector_score.is_some()));
    set(&mut flags, CandidateFlags::ENGAGEMENT, item.engagement.is_some());
    set(&mut flags, CandidateFlags::CONTENT_HASH, item.content_hash.is_some());
    set(&mut flags, CandidateFlags::SIMILARITY_KEY, item.similarity_key.is_some());
    set(&mut flags, CandidateFlags::PRICE, price.is_some());
    set(&mut flags, CandidateFlags::PRICE_PERSONALISED, price.is_some_and(|p| p.personalised));
    set(&mut flags, CandidateFlags::DELIVERY, item.delivery.is_some());
    flags
}

fn set(flags: &mut CandidateFlags, flag: CandidateFlags, on: bool) {
    if on {
        *flags |= flag;
    }
}
