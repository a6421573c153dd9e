//! Rows turned into the columns a policy receives (`record request` in
//! `wit/policy.wit`), every field filled, as the host fills them for a
//! policy that declares every field.

use super::{candidate, Candidate, Request};
use crate::bindings::recguard::policy::types as wit;

impl wit::Strings {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
    }
}

impl wit::StringLists {
    fn push(&mut self, items: &[String]) {
        items.iter().for_each(|item| self.items.push(item));
        self.ends.push(self.items.ends.len() as u32);
    }
}

pub(super) fn strings() -> wit::Strings {
    wit::Strings { text: String::new(), ends: Vec::new() }
}

pub(super) fn string_lists() -> wit::StringLists {
    wit::StringLists { ends: Vec::new(), items: strings() }
}

impl Request {
    /// Adds article candidates with these ids.
    pub fn with_candidates(mut self, ids: &[&str]) -> Self {
        self.candidates.extend(ids.iter().map(|id| candidate(id)));
        self
    }

    /// The request as a policy receives it, every field filled.
    pub fn build(&self) -> crate::Request {
        crate::Request::from_wit(self.to_wit())
    }

    /// The request's columns, every field filled.
    pub fn to_wit(&self) -> wit::Request {
        let user = &self.user;
        let mut tags = wit::UserTags { name: strings(), source: Vec::new(), deleted_by_user: Vec::new() };
        for tag in &user.tags {
            tags.name.push(&tag.name);
            tags.source.push(tag.source);
            tags.deleted_by_user.push(tag.deleted_by_user);
        }
        let mut session_topics = wit::SessionTopics { topic: strings(), items: Vec::new() };
        for topic in &user.usage.session_topics {
            session_topics.topic.push(&topic.topic);
            session_topics.items.push(topic.items);
        }
        let mut not_interested = wit::NotInterested { target: Vec::new(), value: strings() };
        for signal in &user.not_interested {
            not_interested.target.push(signal.target);
            not_interested.value.push(&signal.value);
        }
        wit::Request {
            id: self.id.clone(),
            now_ms: self.now_ms,
            utc_offset_minutes: self.utc_offset_minutes,
            surface: self.surface,
            user: wit::User {
                id: user.id.clone(),
                age_band: user.age_band,
                identity_verified: user.identity_verified,
                minors_mode: user.minors_mode,
                personalisation_off: user.personalisation_off,
                tags: Some(tags),
                usage: wit::Usage {
                    minutes_today: user.usage.minutes_today,
                    continuous_minutes: user.usage.continuous_minutes,
                    items_this_session: user.usage.items_this_session,
                    session_topics: Some(session_topics),
                    spent_this_month_fen: user.usage.spent_this_month_fen,
                },
                guardian_exemptions: Some(user.guardian_exemptions.clone()),
                not_interested: Some(not_interested),
            },
            candidates: candidate_columns(&self.candidates),
        }
    }
}

fn candidate_columns(rows: &[Candidate]) -> wit::Candidates {
    use wit::CandidateFlags as F;
    let mut id = strings();
    let mut author = strings();
    let mut kind = Vec::new();
    let mut all_flags = Vec::new();
    let (mut topics, mut risk_tags, mut labels) = (string_lists(), string_lists(), string_lists());
    let mut score = Vec::new();
    let mut non_personal_score = Vec::new();
    let mut detector_score = Vec::new();
    let mut engagement = wit::EngagementColumns {
        views: Vec::new(),
        likes: Vec::new(),
        comments: Vec::new(),
        shares: Vec::new(),
        low_reputation_share: Vec::new(),
        velocity_per_hour: Vec::new(),
        baseline_per_hour: Vec::new(),
    };
    let mut actions = wit::OperatorActions { ends: Vec::new(), kind: Vec::new(), operator: strings(), reason: strings() };
    let mut content_hash = strings();
    let mut similarity_key = Vec::new();
    let mut price = wit::PriceColumns { amount_fen: Vec::new(), reference_fen: Vec::new(), cohort: strings() };
    let mut delivery = wit::DeliveryColumns { promised_minutes: Vec::new(), safe_baseline_minutes: Vec::new() };
    let mut attributes = wit::Attributes { ends: Vec::new(), key: strings(), value: strings() };
    for item in rows {
        let mut flags = F::empty();
        let mut set = |flag: F, on: bool| flags.set(flag, on);
        set(F::FIRST_PARTY, item.first_party);
        id.push(&item.id);
        author.push(&item.author);
        kind.push(item.kind);
        topics.push(&item.topics);
        risk_tags.push(&item.risk_tags);
        labels.push(&item.labels);
        score.push(item.score);
        non_personal_score.push(item.non_personal_score);
        let synthetic = item.synthetic.unwrap_or_default();
        set(F::SYNTHETIC, item.synthetic.is_some());
        set(F::SYNTHETIC_METADATA_LABEL, synthetic.metadata_label);
        set(F::SYNTHETIC_UPLOADER_DECLARED, synthetic.uploader_declared);
        set(F::SYNTHETIC_LABEL_STRIPPED, synthetic.label_stripped);
        set(F::DETECTOR_SCORE, synthetic.detector_score.is_some());
        detector_score.push(synthetic.detector_score.unwrap_or(0.0));
        let counts = item.engagement.unwrap_or_default();
        set(F::ENGAGEMENT, item.engagement.is_some());
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
        set(F::CONTENT_HASH, item.content_hash.is_some());
        content_hash.push(item.content_hash.as_deref().unwrap_or(""));
        set(F::SIMILARITY_KEY, item.similarity_key.is_some());
        similarity_key.push(item.similarity_key.unwrap_or(0));
        set(F::PRICE, item.price.is_some());
        set(F::PRICE_PERSONALISED, item.price.as_ref().is_some_and(|p| p.personalised));
        price.amount_fen.push(item.price.as_ref().map_or(0, |p| p.amount_fen));
        price.reference_fen.push(item.price.as_ref().map_or(0, |p| p.reference_fen));
        price.cohort.push(item.price.as_ref().map_or("", |p| p.cohort.as_str()));
        set(F::DELIVERY, item.delivery.is_some());
        delivery.promised_minutes.push(item.delivery.as_ref().map_or(0, |d| d.promised_minutes));
        delivery.safe_baseline_minutes.push(item.delivery.as_ref().map_or(0, |d| d.safe_baseline_minutes));
        for attribute in &item.attributes {
            attributes.key.push(&attribute.key);
            attributes.value.push(&attribute.value);
        }
        attributes.ends.push(attributes.key.ends.len() as u32);
        all_flags.push(flags);
    }
    wit::Candidates {
        count: rows.len() as u32,
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

