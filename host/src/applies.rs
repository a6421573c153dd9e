//! Which requests a policy can decide anything on (`applies-to` in the WIT),
//! as its `validate-settings` declared them: a chain tests a request against
//! it before instantiating the policy, and skips the policy outside it.
//!
//! The test reads the request alone (as the policies before have left it),
//! so a replay skips the same policies. A policy can only narrow its own
//! scope, and only by fields it reads.

use serde::Serialize;

use crate::reads::Reads;
use crate::wire::{self, CandidateFlags};

/// A field a scope can require to be non-empty, resolved from its path once,
/// when the policy joins a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Required {
    UserTags,
    SessionTopics,
    GuardianExemptions,
    NotInterested,
    Topics,
    RiskTags,
    Labels,
    Attributes,
    OperatorActions,
    /// Some candidate has this flag.
    Flag(CandidateFlags),
}

/// The fields a scope can require to be non-empty, by path: the user's
/// lists, and the candidate fields that are lists or optional.
const REQUIRABLE: [(&str, Required); 15] = [
    ("user.tags", Required::UserTags),
    ("user.usage.session-topics", Required::SessionTopics),
    ("user.guardian-exemptions", Required::GuardianExemptions),
    ("user.not-interested", Required::NotInterested),
    ("candidates.topics", Required::Topics),
    ("candidates.risk-tags", Required::RiskTags),
    ("candidates.labels", Required::Labels),
    ("candidates.attributes", Required::Attributes),
    ("candidates.operator-actions", Required::OperatorActions),
    ("candidates.synthetic", Required::Flag(CandidateFlags::SYNTHETIC)),
    ("candidates.engagement", Required::Flag(CandidateFlags::ENGAGEMENT)),
    ("candidates.content-hash", Required::Flag(CandidateFlags::CONTENT_HASH)),
    ("candidates.similarity-key", Required::Flag(CandidateFlags::SIMILARITY_KEY)),
    ("candidates.price", Required::Flag(CandidateFlags::PRICE)),
    ("candidates.delivery", Required::Flag(CandidateFlags::DELIVERY)),
];

/// The paths a scope can require to be non-empty (`requires` in `applies-to`).
pub fn requirable_paths() -> impl Iterator<Item = &'static str> {
    REQUIRABLE.iter().map(|(path, _)| *path)
}

/// The requests a policy can decide anything on, as it declared them
/// (`applies-to` in `wit/policy.wit`), checked against what it reads.
/// Serialises as the WIT names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AppliesTo {
    declared: wire::AppliesTo,
    /// `declared.requires`, resolved.
    #[serde(skip)]
    required: Vec<Required>,
}

/// The schema of the WIT record it holds.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for AppliesTo {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <wire::AppliesTo as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<wire::AppliesTo>()
    }
}

impl AppliesTo {
    /// Every request.
    pub fn every_request() -> Self {
        AppliesTo::default()
    }

    /// Checks what a policy declared against what it reads: each part may
    /// narrow only by a field the policy reads, and `requires` names only
    /// [`requirable_paths`]. Errs saying what to fix in the policy.
    pub(crate) fn check(declared: wire::AppliesTo, reads: Reads) -> Result<Self, String> {
        let needs = |part: &str, path: &str| {
            if reads.has(path) {
                Ok(())
            } else {
                Err(format!("its applies-to narrows by {part}, but it does not read `{path}`: add it to reads"))
            }
        };
        if declared.surfaces.is_some() {
            needs("surface", "surface")?;
        }
        if declared.age_bands.is_some() {
            needs("age band", "user.age-band")?;
        }
        if declared.or_minors_mode {
            if declared.age_bands.is_none() {
                return Err("its applies-to has or-minors-mode without age-bands, which it widens".into());
            }
            needs("minors mode", "user.minors-mode")?;
        }
        if declared.personalisation_off {
            needs("personalisation off", "user.personalisation-off")?;
        }
        let mut required = Vec::with_capacity(declared.requires.len());
        for path in &declared.requires {
            let Some((_, field)) = REQUIRABLE.iter().find(|(p, _)| *p == path.as_str()) else {
                return Err(format!(
                    "its applies-to requires `{path}`, which is not a field that can be empty (those are: {})",
                    requirable_paths().collect::<Vec<_>>().join(", ")
                ));
            };
            needs(&format!("`{path}`"), path)?;
            required.push(*field);
        }
        Ok(AppliesTo { declared, required })
    }

    /// The scope as the policy declared it.
    pub fn declared(&self) -> &wire::AppliesTo {
        &self.declared
    }

    /// Whether every request is in scope.
    pub fn is_every_request(&self) -> bool {
        *self == AppliesTo::default()
    }

    /// Why `request` is outside the scope, or `None` if it is inside.
    pub fn excludes(&self, request: &crate::request::Request) -> Option<String> {
        self.excludes_columns(&wire::Request::from_rows(request))
    }

    /// [`AppliesTo::excludes`] on the request's columns (every field the policy reads is built).
    pub(crate) fn excludes_columns(&self, request: &wire::Request) -> Option<String> {
        let declared = &self.declared;
        if let Some(surfaces) = &declared.surfaces {
            if !surfaces.contains(&request.surface) {
                let on = surfaces_text(surfaces);
                return Some(format!("not in scope: it applies on {on}; the request is for {}", request.surface.wit_name()));
            }
        }
        let user = &request.user;
        if let Some(bands) = &declared.age_bands {
            let in_minors_mode = declared.or_minors_mode && user.minors_mode;
            if !(bands.contains(&user.age_band) || in_minors_mode) {
                let to = bands_text(bands, declared.or_minors_mode);
                return Some(format!("not in scope: it applies to users aged {to}; this user is {}", user.age_band.wit_name()));
            }
        }
        if declared.personalisation_off && !user.personalisation_off {
            return Some("not in scope: it applies only when the user has switched personalisation off".into());
        }
        let missing = self.required.iter().position(|field| !has_any(request, *field))?;
        Some(format!("not in scope: it needs `{}`, and the request has none", declared.requires[missing]))
    }
}

/// `dispatch, hot-list`, or `no surface`.
fn surfaces_text(surfaces: &[wire::Surface]) -> String {
    if surfaces.is_empty() {
        return "no surface".into();
    }
    surfaces.iter().map(|s| s.wit_name()).collect::<Vec<_>>().join(", ")
}

/// `elderly, unknown`, or `under8, from8to12 or in minors mode`.
fn bands_text(bands: &[wire::AgeBand], or_minors_mode: bool) -> String {
    let names = bands.iter().map(|b| b.wit_name()).collect::<Vec<_>>().join(", ");
    if or_minors_mode {
        format!("{names} or in minors mode")
    } else {
        names
    }
}

/// In words, e.g. `surfaces dispatch; users aged elderly, unknown`, or `every request`.
impl std::fmt::Display for AppliesTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let declared = &self.declared;
        let mut parts = Vec::new();
        if let Some(surfaces) = &declared.surfaces {
            parts.push(if surfaces.is_empty() { surfaces_text(surfaces) } else { format!("surfaces {}", surfaces_text(surfaces)) });
        }
        if let Some(bands) = &declared.age_bands {
            parts.push(format!("users aged {}", bands_text(bands, declared.or_minors_mode)));
        }
        if declared.personalisation_off {
            parts.push("users who switched personalisation off".into());
        }
        if !declared.requires.is_empty() {
            parts.push(format!("requests with {}", declared.requires.join(" and ")));
        }
        if parts.is_empty() {
            f.write_str("every request")
        } else {
            f.write_str(&parts.join("; "))
        }
    }
}

/// Whether the request has an entry in `field`.
fn has_any(request: &wire::Request, field: Required) -> bool {
    let (user, candidates) = (&request.user, &request.candidates);
    let any_item = |lists: &Option<wire::StringLists>| lists.as_ref().is_some_and(|l| !l.items.ends.is_empty());
    match field {
        Required::UserTags => user.tags.as_ref().is_some_and(|t| !t.name.ends.is_empty()),
        Required::SessionTopics => user.usage.session_topics.as_ref().is_some_and(|t| !t.topic.ends.is_empty()),
        Required::GuardianExemptions => user.guardian_exemptions.as_ref().is_some_and(|e| !e.is_empty()),
        Required::NotInterested => user.not_interested.as_ref().is_some_and(|n| !n.target.is_empty()),
        Required::Topics => any_item(&candidates.topics),
        Required::RiskTags => any_item(&candidates.risk_tags),
        Required::Labels => any_item(&candidates.labels),
        Required::Attributes => candidates.attributes.as_ref().is_some_and(|a| !a.key.ends.is_empty()),
        Required::OperatorActions => candidates.operator_actions.as_ref().is_some_and(|a| !a.kind.is_empty()),
        Required::Flag(flag) => candidates.flags.as_ref().is_some_and(|f| f.iter().any(|f| f.contains(flag))),
    }
}
