//! The request's columnar layout (`record request` in `wit/policy.wit`, types
//! generated into [`wire`](crate::wire)): building it once from the rows a
//! provider sends, reading it back, and reordering it as the chain changes
//! the list.

use crate::request::Request;
use crate::wire::{self, CandidateFlags, Strings};

impl Strings {
    /// Strings with room for `count` of them and `bytes` of text.
    pub(crate) fn with_capacity(count: usize, bytes: usize) -> Self {
        Strings { text: String::with_capacity(bytes), ends: Vec::with_capacity(count) }
    }

    /// Appends a string.
    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
    }

    /// The number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True if it holds no string.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The byte range of string `i` in `text`.
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        start..self.ends[i] as usize
    }

    /// String `i` (the host built the table, so its ends are on character boundaries).
    pub fn get(&self, i: usize) -> &str {
        self.text.get(self.range(i)).unwrap_or("")
    }

    /// Every string, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The strings at `order`, in that order.
    fn gather(&self, order: &[usize]) -> Strings {
        let mut out = Strings::with_capacity(order.len(), self.text.len());
        for &i in order {
            out.push(self.get(i));
        }
        out
    }
}

/// The entries `ends[i-1]..ends[i]` of a per-candidate list.
fn span(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    start..ends[i] as usize
}

impl wire::StringLists {
    /// Candidate `i`'s strings.
    pub fn of(&self, i: usize) -> impl Iterator<Item = &str> + '_ {
        span(&self.ends, i).map(|j| self.items.get(j))
    }

    fn push(&mut self, items: &[String]) {
        for item in items {
            self.items.push(item);
        }
        self.ends.push(self.items.len() as u32);
    }

    /// The lists at `order`, candidate `i`'s followed by `added(i)`.
    fn gather_with<'a>(&self, order: &[usize], added: &dyn Fn(usize) -> &'a [String]) -> wire::StringLists {
        let mut out = wire::StringLists {
            ends: Vec::with_capacity(order.len()),
            items: Strings::with_capacity(self.items.len(), self.items.text.len()),
        };
        for &i in order {
            for item in self.of(i) {
                out.items.push(item);
            }
            for item in added(i) {
                out.items.push(item);
            }
            out.ends.push(out.items.len() as u32);
        }
        out
    }
}

fn gather<T: Copy>(column: &[T], order: &[usize]) -> Vec<T> {
    order.iter().map(|&i| column[i]).collect()
}

impl wire::Request {
    /// The request's columns, built once from the provider's rows.
    pub fn from_rows(request: &Request) -> Self {
        let user = &request.user;
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
        wire::Request {
            id: request.id.clone(),
            now_ms: request.now_ms,
            utc_offset_minutes: request.utc_offset_minutes,
            surface: request.surface,
            user: wire::User {
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
            },
            candidates: candidate_columns(request),
        }
    }
}

fn candidate_columns(request: &Request) -> wire::Candidates {
    let n = request.candidates.len();
    let lists = || wire::StringLists { ends: Vec::with_capacity(n), items: Strings::default() };
    let mut id = Strings::with_capacity(n, n * 8);
    let mut author = Strings::with_capacity(n, n * 8);
    let mut kind = Vec::with_capacity(n);
    let mut all_flags = Vec::with_capacity(n);
    let (mut topics, mut risk_tags, mut labels) = (lists(), lists(), lists());
    let mut score = Vec::with_capacity(n);
    let mut non_personal_score = Vec::with_capacity(n);
    let mut detector_score = Vec::with_capacity(n);
    let mut engagement = wire::EngagementColumns::default();
    let mut actions = wire::OperatorActions { ends: Vec::with_capacity(n), ..Default::default() };
    let mut content_hash = Strings::with_capacity(n, 0);
    let mut similarity_key = Vec::with_capacity(n);
    let mut price = wire::PriceColumns::default();
    let mut delivery = wire::DeliveryColumns::default();
    let mut attributes = wire::Attributes { ends: Vec::with_capacity(n), ..Default::default() };
    for item in &request.candidates {
        let mut flags = CandidateFlags::empty();
        let mut set = |flag, on: bool| {
            if on {
                flags |= flag;
            }
        };
        set(CandidateFlags::FIRST_PARTY, item.first_party);
        id.push(&item.id);
        author.push(&item.author);
        kind.push(item.kind);
        topics.push(&item.topics);
        risk_tags.push(&item.risk_tags);
        labels.push(&item.labels);
        score.push(item.score);
        non_personal_score.push(item.non_personal_score);

        let synthetic = item.synthetic.as_ref();
        set(CandidateFlags::SYNTHETIC, synthetic.is_some());
        set(CandidateFlags::SYNTHETIC_METADATA_LABEL, synthetic.is_some_and(|s| s.metadata_label));
        set(CandidateFlags::SYNTHETIC_UPLOADER_DECLARED, synthetic.is_some_and(|s| s.uploader_declared));
        set(CandidateFlags::SYNTHETIC_LABEL_STRIPPED, synthetic.is_some_and(|s| s.label_stripped));
        let detector = synthetic.and_then(|s| s.detector_score);
        set(CandidateFlags::DETECTOR_SCORE, detector.is_some());
        detector_score.push(detector.unwrap_or(0.0));

        let counts = item.engagement.clone().unwrap_or_default();
        set(CandidateFlags::ENGAGEMENT, item.engagement.is_some());
        engagement.views.push(counts.views);
        engagement.likes.push(counts.likes);
        engagement.comments.push(counts.comments);
        engagement.shares.push(counts.shares);
        engagement.low_reputation_share.push(counts.low_reputation_share);
        engagement.velocity_per_hour.push(counts.velocity_per_hour);
        engagement.baseline_per_hour.push(counts.baseline_per_hour);

        for action in &item.operator_actions {
            actions.kind.push(action.kind);
            actions.operator.push(&action.operator);
            actions.reason.push(action.reason.as_deref().unwrap_or(""));
        }
        actions.ends.push(actions.kind.len() as u32);

        set(CandidateFlags::CONTENT_HASH, item.content_hash.is_some());
        content_hash.push(item.content_hash.as_deref().unwrap_or(""));
        set(CandidateFlags::SIMILARITY_KEY, item.similarity_key.is_some());
        similarity_key.push(item.similarity_key.unwrap_or(0));

        let quote = item.price.as_ref();
        set(CandidateFlags::PRICE, quote.is_some());
        set(CandidateFlags::PRICE_PERSONALISED, quote.is_some_and(|p| p.personalised));
        price.amount_fen.push(quote.map_or(0, |p| p.amount_fen));
        price.reference_fen.push(quote.map_or(0, |p| p.reference_fen));
        price.cohort.push(quote.map_or("", |p| p.cohort.as_str()));

        set(CandidateFlags::DELIVERY, item.delivery.is_some());
        delivery.promised_minutes.push(item.delivery.as_ref().map_or(0, |d| d.promised_minutes));
        delivery.safe_baseline_minutes.push(item.delivery.as_ref().map_or(0, |d| d.safe_baseline_minutes));

        for attribute in &item.attributes {
            attributes.key.push(&attribute.key);
            attributes.value.push(&attribute.value);
        }
        attributes.ends.push(attributes.key.len() as u32);
        all_flags.push(flags);
    }
    wire::Candidates {
        count: n as u32,
        id: Some(id),
        author: Some(author),
        kind: Some(kind),
        flags: Some(all_flags),
        topics: Some(topics),
        risk_tags: Some(risk_tags),
        labels: Some(labels),
        score: Some(score),
        non_personal_score: Some(non_personal_score),
        detector_score: Some(detector_score),
        engagement: Some(engagement),
        operator_actions: Some(actions),
        content_hash: Some(content_hash),
        similarity_key: Some(similarity_key),
        price: Some(price),
        delivery: Some(delivery),
        attributes: Some(attributes),
    }
}

/// The strings at `order` of a column the host holds (every column, in its working copy).
fn gather_strings(column: &Option<Strings>, order: &[usize]) -> Option<Strings> {
    column.as_ref().map(|strings| strings.gather(order))
}

fn gather_column<T: Copy>(column: &Option<Vec<T>>, order: &[usize]) -> Option<Vec<T>> {
    column.as_ref().map(|values| gather(values, order))
}

/// The entries of per-candidate lists at `order`: their new ends, and the entries in order.
fn gather_spans(ends: &[u32], order: &[usize]) -> (Vec<u32>, Vec<usize>) {
    let mut new_ends = Vec::with_capacity(order.len());
    let mut entries = Vec::new();
    for &i in order {
        entries.extend(span(ends, i));
        new_ends.push(entries.len() as u32);
    }
    (new_ends, entries)
}

/// No strings: what an absent column reads as.
static NO_STRINGS: Strings = Strings { text: String::new(), ends: Vec::new() };

impl wire::Candidates {
    /// The candidates at positions `order` (each at most once), in that
    /// order, with `added_labels(i)` appended to candidate `i`'s labels.
    pub(crate) fn gather<'a>(&self, order: &[usize], added_labels: &dyn Fn(usize) -> &'a [String]) -> wire::Candidates {
        let none: &dyn Fn(usize) -> &'a [String] = &|_| &[];
        let lists = |column: &Option<wire::StringLists>, added: &dyn Fn(usize) -> &'a [String]| {
            column.as_ref().map(|lists| lists.gather_with(order, added))
        };
        wire::Candidates {
            count: order.len() as u32,
            id: gather_strings(&self.id, order),
            author: gather_strings(&self.author, order),
            kind: gather_column(&self.kind, order),
            flags: gather_column(&self.flags, order),
            topics: lists(&self.topics, none),
            risk_tags: lists(&self.risk_tags, none),
            labels: lists(&self.labels, added_labels),
            score: gather_column(&self.score, order),
            non_personal_score: gather_column(&self.non_personal_score, order),
            detector_score: gather_column(&self.detector_score, order),
            engagement: self.engagement.as_ref().map(|e| wire::EngagementColumns {
                views: gather(&e.views, order),
                likes: gather(&e.likes, order),
                comments: gather(&e.comments, order),
                shares: gather(&e.shares, order),
                low_reputation_share: gather(&e.low_reputation_share, order),
                velocity_per_hour: gather(&e.velocity_per_hour, order),
                baseline_per_hour: gather(&e.baseline_per_hour, order),
            }),
            operator_actions: self.operator_actions.as_ref().map(|a| {
                let (ends, entries) = gather_spans(&a.ends, order);
                wire::OperatorActions {
                    ends,
                    kind: gather(&a.kind, &entries),
                    operator: a.operator.gather(&entries),
                    reason: a.reason.gather(&entries),
                }
            }),
            content_hash: gather_strings(&self.content_hash, order),
            similarity_key: gather_column(&self.similarity_key, order),
            price: self.price.as_ref().map(|p| wire::PriceColumns {
                amount_fen: gather(&p.amount_fen, order),
                reference_fen: gather(&p.reference_fen, order),
                cohort: p.cohort.gather(order),
            }),
            delivery: self.delivery.as_ref().map(|d| wire::DeliveryColumns {
                promised_minutes: gather(&d.promised_minutes, order),
                safe_baseline_minutes: gather(&d.safe_baseline_minutes, order),
            }),
            attributes: self.attributes.as_ref().map(|a| {
                let (ends, entries) = gather_spans(&a.ends, order);
                wire::Attributes { ends, key: a.key.gather(&entries), value: a.value.gather(&entries) }
            }),
        }
    }

    /// The number of candidates.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The candidates' ids (none if the column is absent).
    pub fn ids(&self) -> &Strings {
        self.id.as_ref().unwrap_or(&NO_STRINGS)
    }

    /// Candidate `i`'s labels.
    pub fn labels_of(&self, i: usize) -> impl Iterator<Item = &str> + '_ {
        self.labels.iter().flat_map(move |labels| labels.of(i))
    }

    /// Candidate `i`'s non-personal score (0 if the column is absent).
    pub fn non_personal_score_of(&self, i: usize) -> f64 {
        self.non_personal_score.as_ref().and_then(|s| s.get(i)).copied().unwrap_or(0.0)
    }

    fn has(&self, i: usize, flag: CandidateFlags) -> bool {
        self.flags.as_ref().and_then(|f| f.get(i)).is_some_and(|f| f.contains(flag))
    }

    /// Candidate `i`'s price quote in fen, if it has one.
    pub fn price(&self, i: usize) -> Option<u64> {
        if !self.has(i, CandidateFlags::PRICE) {
            return None;
        }
        self.price.as_ref().and_then(|p| p.amount_fen.get(i)).copied()
    }

    /// Serves candidate `i` (which has a price quote) at `fen`.
    pub(crate) fn set_price(&mut self, i: usize, fen: u64) {
        if let Some(amount) = self.price.as_mut().and_then(|p| p.amount_fen.get_mut(i)) {
            *amount = fen;
        }
    }
}

impl wire::UserTags {
    /// The tags whose names `keep` accepts, in order.
    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        let kept: Vec<usize> = (0..self.name.len()).filter(|&i| keep(self.name.get(i))).collect();
        if kept.len() == self.name.len() {
            return;
        }
        *self = wire::UserTags {
            name: self.name.gather(&kept),
            source: gather(&self.source, &kept),
            deleted_by_user: gather(&self.deleted_by_user, &kept),
        };
    }
}
