//! The request's columnar layout (`record request` in `wit/policy.wit`, types
//! generated into [`wire`](crate::wire)): reading it back, and reordering it as
//! the chain changes the list. `rows.rs` builds it from the provider's rows.

use crate::outcome::ServedItem;
use crate::reads::{index, Reads};
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

    pub(crate) fn push(&mut self, items: &[impl AsRef<str>]) {
        for item in items {
            self.items.push(item.as_ref());
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
    /// Only the columns in `keep` are gathered (and flags, always); the
    /// others are left absent, as for a policy that does not read them.
    pub(crate) fn gather<'a>(
        &self,
        order: &[usize],
        added_labels: &dyn Fn(usize) -> &'a [String],
        keep: Reads,
    ) -> wire::Candidates {
        macro_rules! kept {
            ($path:literal, $column:expr) => {
                if keep.has_index(const { index($path) }) { $column } else { None }
            };
        }
        let none: &dyn Fn(usize) -> &'a [String] = &|_| &[];
        let lists = |column: &Option<wire::StringLists>, added: &dyn Fn(usize) -> &'a [String]| {
            column.as_ref().map(|lists| lists.gather_with(order, added))
        };
        wire::Candidates {
            count: order.len() as u32,
            id: kept!("candidates.id", gather_strings(&self.id, order)),
            author: kept!("candidates.author", gather_strings(&self.author, order)),
            kind: kept!("candidates.kind", gather_column(&self.kind, order)),
            flags: gather_column(&self.flags, order),
            topics: kept!("candidates.topics", lists(&self.topics, none)),
            risk_tags: kept!("candidates.risk-tags", lists(&self.risk_tags, none)),
            labels: kept!("candidates.labels", lists(&self.labels, added_labels)),
            score: kept!("candidates.score", gather_column(&self.score, order)),
            non_personal_score: kept!("candidates.non-personal-score", gather_column(&self.non_personal_score, order)),
            detector_score: kept!("candidates.synthetic", gather_column(&self.detector_score, order)),
            engagement: kept!(
                "candidates.engagement",
                self.engagement.as_ref().map(|e| wire::EngagementColumns {
                    views: gather(&e.views, order),
                    likes: gather(&e.likes, order),
                    comments: gather(&e.comments, order),
                    shares: gather(&e.shares, order),
                    low_reputation_share: gather(&e.low_reputation_share, order),
                    velocity_per_hour: gather(&e.velocity_per_hour, order),
                    baseline_per_hour: gather(&e.baseline_per_hour, order),
                })
            ),
            operator_actions: kept!(
                "candidates.operator-actions",
                self.operator_actions.as_ref().map(|a| {
                    let (ends, entries) = gather_spans(&a.ends, order);
                    wire::OperatorActions {
                        ends,
                        kind: gather(&a.kind, &entries),
                        operator: a.operator.gather(&entries),
                        reason: a.reason.gather(&entries),
                    }
                })
            ),
            content_hash: kept!("candidates.content-hash", gather_strings(&self.content_hash, order)),
            similarity_key: kept!("candidates.similarity-key", gather_column(&self.similarity_key, order)),
            price: kept!(
                "candidates.price",
                self.price.as_ref().map(|p| wire::PriceColumns {
                    amount_fen: gather(&p.amount_fen, order),
                    reference_fen: gather(&p.reference_fen, order),
                    cohort: p.cohort.gather(order),
                })
            ),
            delivery: kept!(
                "candidates.delivery",
                self.delivery.as_ref().map(|d| wire::DeliveryColumns {
                    promised_minutes: gather(&d.promised_minutes, order),
                    safe_baseline_minutes: gather(&d.safe_baseline_minutes, order),
                })
            ),
            attributes: kept!(
                "candidates.attributes",
                self.attributes.as_ref().map(|a| {
                    let (ends, entries) = gather_spans(&a.ends, order);
                    wire::Attributes { ends, key: a.key.gather(&entries), value: a.value.gather(&entries) }
                })
            ),
        }
    }

    /// The candidates as served, in order: id, labels and price. Built in
    /// one pass with each column looked up once; most candidates have no
    /// label, so an empty list costs nothing.
    pub(crate) fn served(&self) -> Vec<ServedItem> {
        let ids = self.ids();
        let labels = self.labels.as_ref();
        let prices = match (&self.flags, &self.price) {
            (Some(flags), Some(price)) => Some((flags, &price.amount_fen)),
            _ => None,
        };
        (0..self.len())
            .map(|i| ServedItem {
                id: ids.get(i).into(),
                labels: match labels {
                    Some(lists) if !span(&lists.ends, i).is_empty() => lists.of(i).map(str::to_string).collect(),
                    _ => Vec::new(),
                },
                price_fen: prices
                    .filter(|(flags, _)| flags.get(i).is_some_and(|f| f.contains(CandidateFlags::PRICE)))
                    .and_then(|(_, amounts)| amounts.get(i).copied()),
            })
            .collect()
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
