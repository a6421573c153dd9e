//! The request as a policy reads it: borrowed views over the columns the host
//! sends (`record request` in `wit/policy.wit`), so that policy code reads
//! rows (`for c in request.candidates() { c.topics() … }`) without
//! allocating per candidate. This file holds the request, the user and the
//! column helpers; the candidates' views are in `candidate.rs`.
//!
//! A field the policy does not declare in `READS` arrives empty (a column
//! as `none`): its accessors give empty lists, zero, false, `None` and the
//! first case of an enum. No accessor panics, whatever the host sends.

use crate::bindings::recguard::policy::types as wit;
use crate::candidate::Candidates;
use crate::{AgeBand, ExemptionScope, FeedbackTarget, Surface, TagSource};

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
    #[inline]
    pub fn candidates(&self) -> Candidates<'_> {
        Candidates::new(&self.raw.candidates)
    }
}

/// No strings: what an undeclared column reads as.
pub(crate) static NO_STRINGS: wit::Strings = wit::Strings { text: String::new(), ends: Vec::new() };

/// An optional column, or an empty one.
#[inline]
pub(crate) fn column<T>(column: &Option<Vec<T>>) -> &[T] {
    column.as_deref().unwrap_or(&[])
}

/// An optional string column, or an empty one.
#[inline]
pub(crate) fn strings(column: &Option<wit::Strings>) -> &wit::Strings {
    column.as_ref().unwrap_or(&NO_STRINGS)
}

/// String `i` of a string table, or `""` past its end.
#[inline]
pub(crate) fn string(strings: &wit::Strings, i: usize) -> &str {
    let Some(&end) = strings.ends.get(i) else { return "" };
    let start = if i == 0 { 0 } else { strings.ends.get(i - 1).copied().unwrap_or(0) };
    strings.text.get(start as usize..end as usize).unwrap_or("")
}

/// Entries `ends[i-1]..ends[i]` of a per-candidate list (empty past its end).
#[inline]
pub(crate) fn span(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    let Some(&end) = ends.get(i) else { return 0..0 };
    let start = if i == 0 { 0 } else { ends.get(i - 1).copied().unwrap_or(0) };
    start as usize..(end as usize).max(start as usize)
}

/// Strings `range` of a table, in order.
#[derive(Clone, Debug)]
pub struct Strs<'a> {
    pub(crate) strings: &'a wit::Strings,
    pub(crate) range: std::ops::Range<usize>,
}

impl<'a> Iterator for Strs<'a> {
    type Item = &'a str;
    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        self.range.next().map(|i| string(self.strings, i))
    }
    #[inline]
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
    #[inline]
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
