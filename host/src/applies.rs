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

/// The fields a scope can require to be non-empty: the user's lists, and the
/// candidate fields that are lists or optional.
pub const REQUIRABLE_PATHS: [&str; 15] = [
    "user.tags",
    "user.usage.session-topics",
    "user.guardian-exemptions",
    "user.not-interested",
    "candidates.topics",
    "candidates.risk-tags",
    "candidates.labels",
    "candidates.attributes",
    "candidates.operator-actions",
    "candidates.synthetic",
    "candidates.engagement",
    "candidates.content-hash",
    "candidates.similarity-key",
    "candidates.price",
    "candidates.delivery",
];

/// The requests a policy can decide anything on, as it declared them
/// (`applies-to` in `wit/policy.wit`), checked against what it reads.
/// Serialises as the WIT names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AppliesTo {
    declared: wire::AppliesTo,
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
    /// [`REQUIRABLE_PATHS`]. Errs saying what to fix in the policy.
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
        for path in &declared.requires {
            if !REQUIRABLE_PATHS.contains(&path.as_str()) {
                return Err(format!(
                    "its applies-to requires `{path}`, which is not a field that can be empty (those are: {})",
                    REQUIRABLE_PATHS.join(", ")
                ));
            }
            needs(&format!("`{path}`"), path)?;
        }
        Ok(AppliesTo { declared })
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
        let names = |items: &mut dyn Iterator<Item = &'static str>| items.collect::<Vec<_>>().join(", ");
        if let Some(surfaces) = &declared.surfaces {
            if !surfaces.contains(&request.surface) {
                let on = if surfaces.is_empty() { "no surface".to_string() } else { names(&mut surfaces.iter().map(|s| s.wit_name())) };
                return Some(format!("not in scope: it applies on {on}; the request is for {}", request.surface.wit_name()));
            }
        }
        let user = &request.user;
        if let Some(bands) = &declared.age_bands {
            let minors_mode = declared.or_minors_mode && user.minors_mode;
            if !bands.contains(&user.age_band) && !minors_mode {
                let to = names(&mut bands.iter().map(|b| b.wit_name()));
                let or_mode = if declared.or_minors_mode { " or in minors mode" } else { "" };
                return Some(format!(
                    "not in scope: it applies to users aged {to}{or_mode}; this user is {}",
                    user.age_band.wit_name()
                ));
            }
        }
        if declared.personalisation_off && !user.personalisation_off {
            return Some("not in scope: it applies only when the user has switched personalisation off".into());
        }
        let missing = declared.requires.iter().find(|path| !has_any(request, path))?;
        Some(format!("not in scope: it needs `{missing}`, and the request has none"))
    }
}

/// In words, e.g. `surfaces dispatch; users aged elderly, unknown`, or `every request`.
impl std::fmt::Display for AppliesTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let declared = &self.declared;
        let mut parts = Vec::new();
        if let Some(surfaces) = &declared.surfaces {
            let names: Vec<&str> = surfaces.iter().map(|s| s.wit_name()).collect();
            parts.push(if names.is_empty() { "no surface".to_string() } else { format!("surfaces {}", names.join(", ")) });
        }
        if let Some(bands) = &declared.age_bands {
            let names: Vec<&str> = bands.iter().map(|b| b.wit_name()).collect();
            let or_mode = if declared.or_minors_mode { " or in minors mode" } else { "" };
            parts.push(format!("users aged {}{or_mode}", names.join(", ")));
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

/// Whether the request has an entry in the field at `path` (one of [`REQUIRABLE_PATHS`]).
fn has_any(request: &wire::Request, path: &str) -> bool {
    let (user, candidates) = (&request.user, &request.candidates);
    let any_flag = |flag: CandidateFlags| candidates.flags.as_ref().is_some_and(|f| f.iter().any(|f| f.contains(flag)));
    let any_item = |lists: &Option<wire::StringLists>| lists.as_ref().is_some_and(|l| !l.items.ends.is_empty());
    match path {
        "user.tags" => user.tags.as_ref().is_some_and(|t| !t.name.ends.is_empty()),
        "user.usage.session-topics" => user.usage.session_topics.as_ref().is_some_and(|t| !t.topic.ends.is_empty()),
        "user.guardian-exemptions" => user.guardian_exemptions.as_ref().is_some_and(|e| !e.is_empty()),
        "user.not-interested" => user.not_interested.as_ref().is_some_and(|n| !n.target.is_empty()),
        "candidates.topics" => any_item(&candidates.topics),
        "candidates.risk-tags" => any_item(&candidates.risk_tags),
        "candidates.labels" => any_item(&candidates.labels),
        "candidates.attributes" => candidates.attributes.as_ref().is_some_and(|a| !a.key.ends.is_empty()),
        "candidates.operator-actions" => candidates.operator_actions.as_ref().is_some_and(|a| !a.kind.is_empty()),
        "candidates.synthetic" => any_flag(CandidateFlags::SYNTHETIC),
        "candidates.engagement" => any_flag(CandidateFlags::ENGAGEMENT),
        "candidates.content-hash" => any_flag(CandidateFlags::CONTENT_HASH),
        "candidates.similarity-key" => any_flag(CandidateFlags::SIMILARITY_KEY),
        "candidates.price" => any_flag(CandidateFlags::PRICE),
        "candidates.delivery" => any_flag(CandidateFlags::DELIVERY),
        // `check` admits only the paths above.
        _ => true,
    }
}
