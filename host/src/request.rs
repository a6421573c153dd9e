//! The request a provider passes to the chain: the user's context and the
//! candidate items.
//!
//! These are rows, one record per candidate, as providers send them (JSON
//! format version 0.1 and 0.2 alike). The host turns a request into the
//! columns of `record request` in `wit/policy.wit` once per evaluation
//! (`rows.rs`). In JSON the fields use the WIT's kebab-case names; lists
//! and optional fields may be left out, and unknown fields are rejected so
//! that a typo is an error rather than a silently ignored signal.
//!
//! A candidate's short strings are [`CompactString`]s, kept inline up to 24
//! bytes, so that reading them allocates nothing (45 KB of JSON, 100
//! candidates: 72.9 → 65.8 µs against `String`s, criterion, one run).

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::json_int;
use candidate_json::ReadInto;

mod candidate_json;

pub use crate::wire::{
    AgeBand, ExemptionScope, FeedbackTarget, ItemKind, OperatorActionKind, Surface, TagSource,
};

/// An interest tag held in the user's profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UserTag {
    /// The tag itself, e.g. "basketball".
    pub name: String,
    /// Where the tag came from.
    pub source: TagSource,
    /// The user deleted this tag; it must not be used (D15 / F17).
    #[serde(default)]
    pub deleted_by_user: bool,
}

/// An exemption granted by a minor's guardian.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct GuardianExemption {
    /// What is exempted.
    pub scope: ExemptionScope,
    /// Unix milliseconds at which the exemption lapses: it holds while
    /// `now-ms` is before this instant; none: no expiry.
    #[serde(default)]
    #[serde(deserialize_with = "json_int::optional")]
    pub expires_at_ms: Option<u64>,
}

/// How much of a topic the user has seen this session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TopicCount {
    /// The topic.
    pub topic: String,
    /// Items of that topic served this session.
    #[serde(deserialize_with = "json_int::integer")]
    pub items: u32,
}

/// Usage so far, as counted by the provider (for a worker: minutes online).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Usage {
    /// Minutes of use today, in the user's local day.
    #[serde(deserialize_with = "json_int::integer")]
    pub minutes_today: u32,
    /// Minutes of continuous use without a break.
    #[serde(deserialize_with = "json_int::integer")]
    pub continuous_minutes: u32,
    /// Items served in this session.
    #[serde(deserialize_with = "json_int::integer")]
    pub items_this_session: u32,
    /// Items served this session, by topic.
    pub session_topics: Vec<TopicCount>,
    /// Money spent in the current calendar month, in fen (0.01 CNY).
    #[serde(deserialize_with = "json_int::integer")]
    pub spent_this_month_fen: u64,
}

/// A "not interested" signal the user gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NotInterested {
    /// What kind of thing the value names.
    pub target: FeedbackTarget,
    /// The item id, author id or topic.
    pub value: String,
}

/// The user the response is for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct User {
    /// A pseudonymous, stable id; never a real name.
    pub id: String,
    /// The user's age band.
    pub age_band: AgeBand,
    /// Whether the user's identity (real name) is verified.
    #[serde(default)]
    pub identity_verified: bool,
    /// Whether minors mode is switched on for this account or device.
    #[serde(default)]
    pub minors_mode: bool,
    /// The user switched personalised recommendation off (D15 / F17).
    /// (`personalization-off` is accepted in JSON as well.)
    #[serde(default, alias = "personalization-off")]
    pub personalisation_off: bool,
    /// Interest tags in the user's profile.
    #[serde(default)]
    pub tags: Vec<UserTag>,
    /// Usage so far.
    #[serde(default)]
    pub usage: Usage,
    /// Exemptions granted by a guardian.
    #[serde(default)]
    pub guardian_exemptions: Vec<GuardianExemption>,
    /// "Not interested" signals.
    #[serde(default)]
    pub not_interested: Vec<NotInterested>,
}

/// Signals about whether an item was generated or synthesised by an algorithm.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Engagement {
    /// Views.
    #[serde(deserialize_with = "json_int::integer")]
    pub views: u64,
    /// Likes.
    #[serde(deserialize_with = "json_int::integer")]
    pub likes: u64,
    /// Comments.
    #[serde(deserialize_with = "json_int::integer")]
    pub comments: u64,
    /// Reposts.
    #[serde(deserialize_with = "json_int::integer")]
    pub shares: u64,
    /// Share in [0, 1] of the engagement from new or low-reputation accounts.
    pub low_reputation_share: f32,
    /// Engagement per hour now.
    pub velocity_per_hour: f64,
    /// Engagement per hour usually seen for comparable items.
    pub baseline_per_hour: f64,
}

/// A manual intervention by the provider's staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OperatorAction {
    /// What was done.
    pub kind: OperatorActionKind,
    /// Who did it (staff id).
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub operator: CompactString,
    /// The recorded reason; none or empty if no reason was recorded.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A price offered to this user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PriceQuote {
    /// The price quoted, in fen.
    #[serde(deserialize_with = "json_int::integer")]
    pub amount_fen: u64,
    /// The reference price for the same item and cohort, in fen.
    #[serde(deserialize_with = "json_int::integer")]
    pub reference_fen: u64,
    /// The cohort the reference price is for.
    #[serde(default)]
    pub cohort: String,
    /// The quote was derived from this user's preferences or trading habits.
    /// (`personalized` is accepted in JSON as well.)
    #[serde(default, alias = "personalized")]
    pub personalised: bool,
}

/// Terms of a work order (dispatch surface).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct DeliveryTerms {
    /// Minutes the platform promises the customer.
    #[serde(deserialize_with = "json_int::integer")]
    pub promised_minutes: u32,
    /// Minutes a safe journey takes by the platform's own estimate.
    #[serde(deserialize_with = "json_int::integer")]
    pub safe_baseline_minutes: u32,
}

/// A free-form attribute, for data the contract does not name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// The key, e.g. "region".
    pub key: String,
    /// The value.
    pub value: String,
}

/// One item the provider would like to show.
///
/// Read from JSON in place, into its slot of the request's list
/// (`request/candidate_json.rs`); the `serde` attributes below describe the same
/// format for writing it and for its schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Candidate {
    /// The item's id, unique within the request.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub id: CompactString,
    /// The author's or seller's id.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub author: CompactString,
    /// What the item is.
    pub kind: ItemKind,
    /// Topic codes, e.g. "science", "celebrity-ranking".
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub topics: Vec<CompactString>,
    /// Risk tags from moderation, e.g. "unsafe-imitation", "fraud-risk".
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub risk_tags: Vec<CompactString>,
    /// Labels already attached to the item.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub labels: Vec<CompactString>,
    /// Synthetic-content signals, if any were gathered.
    #[serde(default)]
    pub synthetic: Option<Provenance>,
    /// The provider's (possibly personalised) ranking score.
    #[serde(default)]
    pub score: f64,
    /// A score that uses no personal characteristics (e.g. popularity).
    #[serde(default)]
    pub non_personal_score: f64,
    /// Engagement behind the item's rank, where it has one.
    #[serde(default)]
    pub engagement: Option<Engagement>,
    /// Manual interventions on the item.
    #[serde(default)]
    pub operator_actions: Vec<OperatorAction>,
    /// The item belongs to the provider itself or an affiliate.
    #[serde(default)]
    pub first_party: bool,
    /// Hash of the exact content, for de-duplication.
    #[serde(default)]
    pub content_hash: Option<String>,
    /// Locality-sensitive fingerprint (e.g. SimHash), for near duplicates.
    #[serde(default)]
    #[serde(deserialize_with = "json_int::optional")]
    pub similarity_key: Option<u64>,
    /// A price quote, for goods and services.
    #[serde(default)]
    pub price: Option<PriceQuote>,
    /// Work-order terms, on the dispatch surface.
    #[serde(default)]
    pub delivery: Option<DeliveryTerms>,
    /// Anything else the provider passes along.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

/// One request to rank and filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Request {
    /// The provider's request id, echoed in the outcome and the audit record.
    pub id: String,
    /// The time of the request, Unix milliseconds; policies get time only here.
    #[serde(deserialize_with = "json_int::integer")]
    pub now_ms: u64,
    /// The user's offset from UTC in minutes (Beijing: 480).
    #[serde(deserialize_with = "json_int::integer")]
    pub utc_offset_minutes: i32,
    /// Where the response will be shown.
    pub surface: Surface,
    /// The user.
    pub user: User,
    /// The candidates, in the provider's order (best first).
    #[serde(default, deserialize_with = "candidate_list")]
    pub candidates: Vec<Candidate>,
}

/// Room for this many candidates is made before the first is read: JSON does
/// not say how long a list is, and growing a list of candidates from nothing
/// moved each of the first hundred about twice (a candidate is a few hundred
/// bytes).
const CANDIDATES_FIRST_ROOM: usize = 64;

/// The candidates of a request, read into a list that starts with room for
/// [`CANDIDATES_FIRST_ROOM`] of them, each straight into its slot.
fn candidate_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Candidate>, D::Error> {
    struct Candidates;
    impl<'de> serde::de::Visitor<'de> for Candidates {
        type Value = Vec<Candidate>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of candidates")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<Vec<Candidate>, A::Error> {
            let room = items.size_hint().unwrap_or(CANDIDATES_FIRST_ROOM).min(CANDIDATES_FIRST_ROOM);
            let mut candidates = Vec::with_capacity(room);
            loop {
                candidates.push(Candidate::empty());
                let last = candidates.last_mut().expect("just pushed");
                if items.next_element_seed(ReadInto(last))?.is_none() {
                    candidates.pop();
                    return Ok(candidates);
                }
            }
        }
    }
    deserializer.deserialize_seq(Candidates)
}

/// The largest request, as JSON, that the host reads: 16 MiB (about 35,000
/// candidates of the size the examples have).
pub const MAX_REQUEST_BYTES: usize = 16 << 20;

/// The earliest request time accepted: 2000-01-01T00:00Z, Unix milliseconds.
pub const EARLIEST_MS: u64 = 946_684_800_000;
/// The first request time no longer accepted: 2200-01-01T00:00Z, Unix milliseconds.
pub const LATEST_MS: u64 = 7_258_118_400_000;

/// Why a request cannot be evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The JSON does not describe a request; the message names the field and position.
    #[error("the request is not valid JSON for recguard's request format: {}", describe_json_error(path, error))]
    Json {
        /// Where in the request, e.g. `candidates[3].kind` (empty at the top level).
        path: String,
        /// What is wrong there.
        error: serde_json::Error,
    },
    /// Two candidates share an id, so actions on them would be ambiguous.
    #[error("candidate id '{0}' appears more than once; ids must be unique within a request")]
    DuplicateCandidate(String),
    /// The request's JSON is larger than [`MAX_REQUEST_BYTES`].
    #[error("the request is larger than the {} MiB a request may have", MAX_REQUEST_BYTES >> 20)]
    TooLarge,
    /// The request could not be read.
    #[error("cannot read the request")]
    Read(#[source] std::io::Error),
    /// The request's time is outside the years the host accepts.
    #[error("now-ms {0} is outside 2000-01-01 to 2199-12-31 (Unix milliseconds: {min}..{max})", min = EARLIEST_MS, max = LATEST_MS)]
    Time(u64),
    /// The UTC offset is outside what any time zone uses.
    #[error("utc-offset-minutes {0} is outside -1080..=1080 (±18 hours)")]
    UtcOffset(i32),
}

impl From<serde_json::Error> for RequestError {
    fn from(error: serde_json::Error) -> Self {
        RequestError::Json { path: String::new(), error }
    }
}

fn describe_json_error(path: &str, error: &serde_json::Error) -> String {
    if path.is_empty() || path == "." {
        error.to_string()
    } else {
        format!("at `{path}`: {error}")
    }
}

impl Request {
    /// Reads a request's JSON from `reader` (at most [`MAX_REQUEST_BYTES`]),
    /// parses and checks it.
    pub fn from_reader(reader: impl std::io::Read) -> Result<Self, RequestError> {
        use std::io::Read;
        let mut bytes = Vec::new();
        reader.take(MAX_REQUEST_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(RequestError::Read)?;
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::TooLarge);
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            RequestError::Read(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}")))
        })?;
        Self::from_json(&text)
    }

    /// Parses a request from JSON (at most [`MAX_REQUEST_BYTES`]) and checks
    /// it (see [`Request::check`]).
    pub fn from_json(text: &str) -> Result<Self, RequestError> {
        if text.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::TooLarge);
        }
        // The fast path; only a request that fails is parsed again, to say where.
        let request: Request = match serde_json::from_str(text) {
            Ok(request) => request,
            Err(error) => {
                let mut deserializer = serde_json::Deserializer::from_str(text);
                return Err(match serde_path_to_error::deserialize::<_, Request>(&mut deserializer) {
                    Err(e) => RequestError::Json { path: e.path().to_string(), error: e.into_inner() },
                    // Trailing characters: the whole request parsed, so there is no path to name.
                    Ok(_) => RequestError::Json { path: String::new(), error },
                });
            }
        };
        request.check()?;
        Ok(request)
    }

    /// Checks what the types cannot: unique candidate ids, a request time
    /// within 2000–2199, and a UTC offset that some zone uses.
    pub fn check(&self) -> Result<(), RequestError> {
        check_time(self.now_ms, self.utc_offset_minutes)?;
        let mut seen = rustc_hash::FxHashSet::with_capacity_and_hasher(self.candidates.len(), Default::default());
        for candidate in &self.candidates {
            if !seen.insert(candidate.id.as_str()) {
                return Err(RequestError::DuplicateCandidate(candidate.id.to_string()));
            }
        }
        Ok(())
    }
}

/// A request time within 2000–2199 and a UTC offset that some zone uses.
pub(crate) fn check_time(now_ms: u64, utc_offset_minutes: i32) -> Result<(), RequestError> {
    if !(EARLIEST_MS..LATEST_MS).contains(&now_ms) {
        return Err(RequestError::Time(now_ms));
    }
    if !(-1080..=1080).contains(&utc_offset_minutes) {
        return Err(RequestError::UtcOffset(utc_offset_minutes));
    }
    Ok(())
}
