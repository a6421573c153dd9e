//! Data minimisation: a policy receives only the request fields its
//! descriptor declares in `reads`; every other field crosses empty (empty
//! lists and strings, zero, false, the first case of an enum).
//!
//! The host keeps one copy of the request's columns; before a call it swaps
//! the undeclared fields out (moving them, not copying) and swaps them back
//! after, so a policy that reads three columns pays for three.

use crate::wire::{self, CandidateFlags};

/// Every field a policy can declare, by its path in the request. A declared
/// path names every field under it: `user.usage` is all five usage fields,
/// `candidates` every candidate field, `user` every user field.
pub const READ_PATHS: [&str; 34] = [
    "id",
    "now-ms",
    "utc-offset-minutes",
    "surface",
    "user.id",
    "user.age-band",
    "user.identity-verified",
    "user.minors-mode",
    "user.personalisation-off",
    "user.tags",
    "user.usage.minutes-today",
    "user.usage.continuous-minutes",
    "user.usage.items-this-session",
    "user.usage.session-topics",
    "user.usage.spent-this-month-fen",
    "user.guardian-exemptions",
    "user.not-interested",
    "candidates.id",
    "candidates.author",
    "candidates.kind",
    "candidates.topics",
    "candidates.risk-tags",
    "candidates.labels",
    "candidates.synthetic",
    "candidates.score",
    "candidates.non-personal-score",
    "candidates.engagement",
    "candidates.operator-actions",
    "candidates.first-party",
    "candidates.content-hash",
    "candidates.similarity-key",
    "candidates.price",
    "candidates.delivery",
    "candidates.attributes",
];

/// The position of `path` in [`READ_PATHS`]; evaluated at compile time, where
/// a path that is not there fails the build.
pub(crate) const fn index(path: &str) -> usize {
    let mut i = 0;
    while i < READ_PATHS.len() {
        if same(READ_PATHS[i].as_bytes(), path.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("not a read path")
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The set of fields one policy reads, from its descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reads {
    fields: u64,
}


impl Reads {
    /// Every field.
    pub fn all() -> Self {
        Reads { fields: (1u64 << READ_PATHS.len()) - 1 }
    }

    /// The fields `paths` name; errs with the first path that names none.
    pub fn from_paths<S: AsRef<str>>(paths: &[S]) -> Result<Self, String> {
        let mut fields = 0u64;
        for path in paths {
            let path = path.as_ref();
            let prefix = format!("{path}.");
            let named = READ_PATHS
                .iter()
                .enumerate()
                .filter(|(_, field)| **field == path || field.starts_with(&prefix))
                .fold(0u64, |bits, (i, _)| bits | (1 << i));
            if named == 0 {
                return Err(format!(
                    "reads `{path}`, which is not a field of the request (fields: {})",
                    READ_PATHS.join(", ")
                ));
            }
            fields |= named;
        }
        Ok(Reads { fields })
    }

    /// No field.
    pub fn none() -> Self {
        Reads { fields: 0 }
    }

    /// The fields either reads.
    pub fn union(self, other: Reads) -> Reads {
        Reads { fields: self.fields | other.fields }
    }

    /// The candidate columns the host itself reads after a policy's step,
    /// whatever later policies read: ids (effects and the outcome), labels and
    /// prices (the outcome and later checks), flags (which items have a
    /// price), the non-personal score (the fail-closed order).
    pub(crate) fn host_keeps() -> Self {
        Reads::from_paths(&[
            "candidates.id",
            "candidates.labels",
            "candidates.price",
            "candidates.non-personal-score",
        ])
        .expect("host paths are read paths")
    }

    /// Whether the field at `path` (one of [`READ_PATHS`]) is read.
    pub fn has(&self, path: &str) -> bool {
        READ_PATHS.iter().position(|p| *p == path).is_some_and(|i| self.has_index(i))
    }

    /// Whether field `i` of [`READ_PATHS`] is read.
    pub(crate) fn has_index(&self, i: usize) -> bool {
        self.fields & (1 << i) != 0
    }

    /// The fields read, as paths, in the order of [`READ_PATHS`].
    pub fn paths(&self) -> Vec<&'static str> {
        READ_PATHS.iter().enumerate().filter(|(i, _)| self.fields & (1 << i) != 0).map(|(_, p)| *p).collect()
    }

    /// The candidate flags that belong to the fields read.
    fn flag_mask(&self) -> CandidateFlags {
        let mut mask = CandidateFlags::empty();
        let mut add = |i: usize, flags| {
            if self.has_index(i) {
                mask |= flags;
            }
        };
        add(const { index("candidates.first-party") }, CandidateFlags::FIRST_PARTY);
        add(
            const { index("candidates.synthetic") },
            CandidateFlags::SYNTHETIC
                | CandidateFlags::SYNTHETIC_METADATA_LABEL
                | CandidateFlags::SYNTHETIC_UPLOADER_DECLARED
                | CandidateFlags::SYNTHETIC_LABEL_STRIPPED
                | CandidateFlags::DETECTOR_SCORE,
        );
        add(const { index("candidates.engagement") }, CandidateFlags::ENGAGEMENT);
        add(const { index("candidates.content-hash") }, CandidateFlags::CONTENT_HASH);
        add(const { index("candidates.similarity-key") }, CandidateFlags::SIMILARITY_KEY);
        add(const { index("candidates.price") }, CandidateFlags::PRICE | CandidateFlags::PRICE_PERSONALISED);
        add(const { index("candidates.delivery") }, CandidateFlags::DELIVERY);
        mask
    }

    /// Moves every field not read out of `request` into `stash` (which
    /// starts empty); [`Reads::restore`] moves them back.
    pub(crate) fn hide(&self, request: &mut wire::Request, stash: &mut wire::Request) {
        let mask = self.flag_mask();
        if mask != CandidateFlags::all() {
            stash.candidates.flags = if mask == CandidateFlags::empty() {
                None
            } else {
                request.candidates.flags.as_ref().map(|flags| flags.iter().map(|&f| f & mask).collect())
            };
            std::mem::swap(&mut request.candidates.flags, &mut stash.candidates.flags);
        }
        self.swap_unread(request, stash);
    }

    /// [`Reads::hide`], for tests outside the crate that check what crosses.
    #[doc(hidden)]
    pub fn hide_for_test(&self, request: &mut wire::Request, stash: &mut wire::Request) {
        self.hide(request, stash);
    }

    /// Moves back what [`Reads::hide`] moved out.
    pub(crate) fn restore(&self, request: &mut wire::Request, stash: &mut wire::Request) {
        if self.flag_mask() != CandidateFlags::all() {
            std::mem::swap(&mut request.candidates.flags, &mut stash.candidates.flags);
        }
        self.swap_unread(request, stash);
    }

    fn swap_unread(&self, r: &mut wire::Request, s: &mut wire::Request) {
        macro_rules! unread {
            ($($path:literal => $($field:ident).+;)*) => {$(
                if !self.has_index(const { index($path) }) {
                    std::mem::swap(&mut r.$($field).+, &mut s.$($field).+);
                }
            )*};
        }
        unread! {
            "id" => id;
            "now-ms" => now_ms;
            "utc-offset-minutes" => utc_offset_minutes;
            "surface" => surface;
            "user.id" => user.id;
            "user.age-band" => user.age_band;
            "user.identity-verified" => user.identity_verified;
            "user.minors-mode" => user.minors_mode;
            "user.personalisation-off" => user.personalisation_off;
            "user.tags" => user.tags;
            "user.usage.minutes-today" => user.usage.minutes_today;
            "user.usage.continuous-minutes" => user.usage.continuous_minutes;
            "user.usage.items-this-session" => user.usage.items_this_session;
            "user.usage.session-topics" => user.usage.session_topics;
            "user.usage.spent-this-month-fen" => user.usage.spent_this_month_fen;
            "user.guardian-exemptions" => user.guardian_exemptions;
            "user.not-interested" => user.not_interested;
            "candidates.id" => candidates.id;
            "candidates.author" => candidates.author;
            "candidates.kind" => candidates.kind;
            "candidates.topics" => candidates.topics;
            "candidates.risk-tags" => candidates.risk_tags;
            "candidates.labels" => candidates.labels;
            "candidates.synthetic" => candidates.detector_score;
            "candidates.score" => candidates.score;
            "candidates.non-personal-score" => candidates.non_personal_score;
            "candidates.engagement" => candidates.engagement;
            "candidates.operator-actions" => candidates.operator_actions;
            "candidates.content-hash" => candidates.content_hash;
            "candidates.similarity-key" => candidates.similarity_key;
            "candidates.price" => candidates.price;
            "candidates.delivery" => candidates.delivery;
            "candidates.attributes" => candidates.attributes;
        }
    }
}

/// A list of paths, as in the descriptor.
impl serde::Serialize for Reads {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.paths())
    }
}

/// In JSON: a list of field paths (`user.age-band`, `candidates.topics`, …).
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Reads {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Reads".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The request fields a policy reads, as paths (`user.age-band`, `candidates.topics`, ...).",
            "type": "array",
            "items": { "type": "string" }
        })
    }
}

impl<'de> serde::Deserialize<'de> for Reads {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let paths = Vec::<String>::deserialize(deserializer)?;
        Reads::from_paths(&paths).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_every_field_under_it() {
        let reads = Reads::from_paths(&["user.usage", "candidates.topics"]).unwrap();
        assert_eq!(
            reads.paths(),
            [
                "user.usage.minutes-today",
                "user.usage.continuous-minutes",
                "user.usage.items-this-session",
                "user.usage.session-topics",
                "user.usage.spent-this-month-fen",
                "candidates.topics"
            ]
        );
        assert_eq!(Reads::from_paths(&["candidates"]).unwrap().paths().len(), 17);
        assert!(Reads::from_paths(&["user.shoe-size"]).unwrap_err().contains("user.shoe-size"));
        assert!(Reads::from_paths(&["user.usage.minutes"]).is_err(), "a prefix of a name is not a path");
    }

    #[test]
    fn hidden_fields_arrive_empty_and_come_back() {
        let mut request = wire::Request { now_ms: 5, surface: wire::Surface::HotList, ..Default::default() };
        request.candidates.count = 2;
        request.candidates.topics = Some(wire::StringLists {
            ends: vec![1, 2],
            items: wire::Strings { text: "ab".into(), ends: vec![1, 2] },
        });
        request.candidates.flags =
            Some(vec![CandidateFlags::PRICE | CandidateFlags::FIRST_PARTY, CandidateFlags::ENGAGEMENT]);
        let original = request.clone();
        let reads = Reads::from_paths(&["now-ms", "candidates.first-party"]).unwrap();
        let mut stash = wire::Request::default();
        reads.hide(&mut request, &mut stash);
        assert_eq!(request.now_ms, 5);
        assert_eq!(request.surface, wire::Surface::Feed);
        assert!(request.candidates.topics.is_none());
        assert_eq!(request.candidates.flags, Some(vec![CandidateFlags::FIRST_PARTY, CandidateFlags::empty()]));
        assert_eq!(request.candidates.count, 2);
        reads.restore(&mut request, &mut stash);
        assert_eq!(request, original);
    }
}
