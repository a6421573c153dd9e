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
                tags,
                usage: wire::Usage {
                    minutes_today: user.usage.minutes_today,
                    continuous_minutes: user.usage.continuous_minutes,
                    items_this_session: user.usage.items_this_session,
                    session_topics,
                    spent_this_month_fen: user.usage.spent_this_month_fen,
                },
                guardian_exemptions: user
                    .guardian_exemptions
                    .iter()
                    .map(|e| wire::GuardianExemption { scope: e.scope, expires_at_ms: e.expires_at_ms })
                    .collect(),
                not_interested,
            },
            candidates: candidate_columns(request),
        }
    }
}

fn candidate_columns(request: &Request) -> wire::Candidates {
    let n = request.candidates.len();
    let mut c = wire::Candidates {
        count: n as u32,
        id: Strings::with_capacity(n, n * 8),
        author: Strings::with_capacity(n, n * 8),
        kind: Vec::with_capacity(n),
        flags: Vec::with_capacity(n),
        topics: wire::StringLists { ends: Vec::with_capacity(n), items: Strings::with_capacity(n * 2, n * 16) },
        risk_tags: wire::StringLists { ends: Vec::with_capacity(n), items: Strings::default() },
        labels: wire::StringLists { ends: Vec::with_capacity(n), items: Strings::default() },
        score: Vec::with_capacity(n),
        non_personal_score: Vec::with_capacity(n),
        detector_score: Vec::with_capacity(n),
        views: Vec::with_capacity(n),
        likes: Vec::with_capacity(n),
        comments: Vec::with_capacity(n),
        shares: Vec::with_capacity(n),
        low_reputation_share: Vec::with_capacity(n),
        velocity_per_hour: Vec::with_capacity(n),
        baseline_per_hour: Vec::with_capacity(n),
        operator_actions: wire::OperatorActions { ends: Vec::with_capacity(n), ..Default::default() },
        content_hash: Strings::with_capacity(n, 0),
        similarity_key: Vec::with_capacity(n),
        price_fen: Vec::with_capacity(n),
        reference_price_fen: Vec::with_capacity(n),
        price_cohort: Strings::with_capacity(n, 0),
        promised_minutes: Vec::with_capacity(n),
        safe_baseline_minutes: Vec::with_capacity(n),
        attributes: wire::Attributes { ends: Vec::with_capacity(n), ..Default::default() },
    };
    for item in &request.candidates {
        let mut flags = CandidateFlags::empty();
        let mut set = |flag, on: bool| {
            if on {
                flags |= flag;
            }
        };
        set(CandidateFlags::FIRST_PARTY, item.first_party);
        c.id.push(&item.id);
        c.author.push(&item.author);
        c.kind.push(item.kind);
        c.topics.push(&item.topics);
        c.risk_tags.push(&item.risk_tags);
        c.labels.push(&item.labels);
        c.score.push(item.score);
        c.non_personal_score.push(item.non_personal_score);

        let synthetic = item.synthetic.as_ref();
        set(CandidateFlags::SYNTHETIC, synthetic.is_some());
        set(CandidateFlags::SYNTHETIC_METADATA_LABEL, synthetic.is_some_and(|s| s.metadata_label));
        set(CandidateFlags::SYNTHETIC_UPLOADER_DECLARED, synthetic.is_some_and(|s| s.uploader_declared));
        set(CandidateFlags::SYNTHETIC_LABEL_STRIPPED, synthetic.is_some_and(|s| s.label_stripped));
        let score = synthetic.and_then(|s| s.detector_score);
        set(CandidateFlags::DETECTOR_SCORE, score.is_some());
        c.detector_score.push(score.unwrap_or(0.0));

        let engagement = item.engagement.clone().unwrap_or_default();
        set(CandidateFlags::ENGAGEMENT, item.engagement.is_some());
        c.views.push(engagement.views);
        c.likes.push(engagement.likes);
        c.comments.push(engagement.comments);
        c.shares.push(engagement.shares);
        c.low_reputation_share.push(engagement.low_reputation_share);
        c.velocity_per_hour.push(engagement.velocity_per_hour);
        c.baseline_per_hour.push(engagement.baseline_per_hour);

        for action in &item.operator_actions {
            c.operator_actions.kind.push(action.kind);
            c.operator_actions.operator.push(&action.operator);
            c.operator_actions.reason.push(action.reason.as_deref().unwrap_or(""));
        }
        c.operator_actions.ends.push(c.operator_actions.kind.len() as u32);

        set(CandidateFlags::CONTENT_HASH, item.content_hash.is_some());
        c.content_hash.push(item.content_hash.as_deref().unwrap_or(""));
        set(CandidateFlags::SIMILARITY_KEY, item.similarity_key.is_some());
        c.similarity_key.push(item.similarity_key.unwrap_or(0));

        let price = item.price.as_ref();
        set(CandidateFlags::PRICE, price.is_some());
        set(CandidateFlags::PRICE_PERSONALISED, price.is_some_and(|p| p.personalised));
        c.price_fen.push(price.map_or(0, |p| p.amount_fen));
        c.reference_price_fen.push(price.map_or(0, |p| p.reference_fen));
        c.price_cohort.push(price.map_or("", |p| p.cohort.as_str()));

        set(CandidateFlags::DELIVERY, item.delivery.is_some());
        c.promised_minutes.push(item.delivery.as_ref().map_or(0, |d| d.promised_minutes));
        c.safe_baseline_minutes.push(item.delivery.as_ref().map_or(0, |d| d.safe_baseline_minutes));

        for attribute in &item.attributes {
            c.attributes.key.push(&attribute.key);
            c.attributes.value.push(&attribute.value);
        }
        c.attributes.ends.push(c.attributes.key.len() as u32);
        c.flags.push(flags);
    }
    c
}

impl wire::Candidates {
    /// The candidates at positions `order` (each at most once), in that
    /// order, with `added_labels(i)` appended to candidate `i`'s labels.
    pub(crate) fn gather<'a>(&self, order: &[usize], added_labels: &dyn Fn(usize) -> &'a [String]) -> wire::Candidates {
        let ranges = |ends: &[u32]| -> (Vec<u32>, Vec<usize>) {
            let mut new_ends = Vec::with_capacity(order.len());
            let mut entries = Vec::new();
            for &i in order {
                entries.extend(span(ends, i));
                new_ends.push(entries.len() as u32);
            }
            (new_ends, entries)
        };
        let (action_ends, actions) = ranges(&self.operator_actions.ends);
        let (attribute_ends, attributes) = ranges(&self.attributes.ends);
        wire::Candidates {
            count: order.len() as u32,
            id: self.id.gather(order),
            author: self.author.gather(order),
            kind: gather(&self.kind, order),
            flags: gather(&self.flags, order),
            topics: self.topics.gather_with(order, &|_| &[]),
            risk_tags: self.risk_tags.gather_with(order, &|_| &[]),
            labels: self.labels.gather_with(order, added_labels),
            score: gather(&self.score, order),
            non_personal_score: gather(&self.non_personal_score, order),
            detector_score: gather(&self.detector_score, order),
            views: gather(&self.views, order),
            likes: gather(&self.likes, order),
            comments: gather(&self.comments, order),
            shares: gather(&self.shares, order),
            low_reputation_share: gather(&self.low_reputation_share, order),
            velocity_per_hour: gather(&self.velocity_per_hour, order),
            baseline_per_hour: gather(&self.baseline_per_hour, order),
            operator_actions: wire::OperatorActions {
                ends: action_ends,
                kind: gather(&self.operator_actions.kind, &actions),
                operator: self.operator_actions.operator.gather(&actions),
                reason: self.operator_actions.reason.gather(&actions),
            },
            content_hash: self.content_hash.gather(order),
            similarity_key: gather(&self.similarity_key, order),
            price_fen: gather(&self.price_fen, order),
            reference_price_fen: gather(&self.reference_price_fen, order),
            price_cohort: self.price_cohort.gather(order),
            promised_minutes: gather(&self.promised_minutes, order),
            safe_baseline_minutes: gather(&self.safe_baseline_minutes, order),
            attributes: wire::Attributes {
                ends: attribute_ends,
                key: self.attributes.key.gather(&attributes),
                value: self.attributes.value.gather(&attributes),
            },
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

    /// Candidate `i`'s price quote in fen, if it has one.
    pub fn price(&self, i: usize) -> Option<u64> {
        self.flags[i].contains(CandidateFlags::PRICE).then(|| self.price_fen[i])
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
