//! What a policy returns: its decision on a request, and its descriptor.
//!
//! These types mirror `record decision` and `record descriptor` in
//! `wit/policy.wit`; wasmtime checks the match when a policy is loaded.

use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};


/// An article cited by a finding: `D16 / F18` is draft 16, final 18.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(rename_all = "kebab-case")]
pub struct Citation {
    /// Article of the 2021 draft, if it has one.
    #[component(name = "draft-article")]
    pub draft_article: Option<u8>,
    /// Article of the final provisions (in force 2022-03-01), if it has one.
    #[component(name = "final-article")]
    pub final_article: Option<u8>,
    /// Another instrument cited as well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
}

impl Citation {
    /// True if it cites an article or another instrument.
    pub fn cites_anything(&self) -> bool {
        self.draft_article.is_some()
            || self.final_article.is_some()
            || self.instrument.as_deref().is_some_and(|i| !i.trim().is_empty())
    }
}

/// `D16 / F18`, `D16`, `F19`, with `; <instrument>` when one is cited too.
/// A citation that cites nothing is refused when a decision is checked.
impl std::fmt::Display for Citation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let articles = match (self.draft_article, self.final_article) {
            (Some(d), Some(n)) => format!("D{d} / F{n}"),
            (Some(d), None) => format!("D{d}"),
            (None, Some(n)) => format!("F{n}"),
            (None, None) => String::new(),
        };
        match &self.instrument {
            Some(instrument) if !articles.is_empty() => write!(f, "{articles}; {instrument}"),
            Some(instrument) => f.write_str(instrument),
            None => f.write_str(&articles),
        }
    }
}

/// Something a policy found and acted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Finding {
    /// A stable code, e.g. "minors.curfew".
    pub code: String,
    /// The article the finding rests on.
    pub citation: Citation,
    /// A message the user could read and appeal against (D26 / F22).
    pub message: String,
}

/// What to do to one candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(variant)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Remove the item from the response.
    #[component(name = "drop")]
    Drop,
    /// Attach a visible label to the item.
    #[component(name = "label")]
    Label(String),
    /// Move the item by this many places: positive towards the top.
    #[component(name = "move-by")]
    MoveBy(i32),
    /// Serve the item at this price, in fen.
    #[component(name = "reprice")]
    Reprice(u64),
}

/// An action on one candidate, tied to the finding that justifies it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(rename_all = "kebab-case")]
pub struct ItemAction {
    /// The candidate, by its index in the list as the policy received it.
    pub candidate: u32,
    /// What to do.
    pub action: Action,
    /// Index into the decision's findings.
    pub finding: u32,
}

/// A notice shown with the response, e.g. a rest reminder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Notice {
    /// Index into the decision's findings.
    pub finding: u32,
    /// The text shown to the user.
    pub text: String,
    /// A link for more.
    pub link: Option<String>,
}

/// A refusal to serve the request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(rename_all = "kebab-case")]
pub struct Block {
    /// Index into the decision's findings.
    pub finding: u32,
    /// The reason shown to the user.
    pub reason: String,
    /// When the user may try again, Unix milliseconds, if known.
    #[component(name = "retry-at-ms")]
    pub retry_at_ms: Option<u64>,
}

/// A new order for the remaining candidates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct Rerank {
    /// Index into the decision's findings.
    pub finding: u32,
    /// Candidates by index, best first; those not listed follow in their order.
    pub order: Vec<u32>,
    /// The order uses no personal data.
    #[component(name = "non-personal")]
    pub non_personal: bool,
}

/// A user tag that must not be used for this request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct TagSetAside {
    /// The tag's name.
    pub tag: String,
    /// Index into the decision's findings.
    pub finding: u32,
}

/// What a policy decided about one request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(rename_all = "kebab-case")]
pub struct Decision {
    /// Findings, cited by index from the effects.
    pub findings: Vec<Finding>,
    /// Actions on candidates, applied in order.
    pub actions: Vec<ItemAction>,
    /// A new order of the candidates, applied after the actions.
    pub rerank: Option<Rerank>,
    /// Notices to show with the response.
    pub notices: Vec<Notice>,
    /// Refuse to serve the request.
    pub block: Option<Block>,
    /// User tags to set aside for the rest of the chain.
    #[component(name = "tags-set-aside")]
    pub tags_set_aside: Vec<TagSetAside>,
}

/// What a policy says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(rename_all = "kebab-case")]
pub struct Descriptor {
    /// The policy's name.
    pub name: String,
    /// The policy's version (semver).
    pub version: String,
    /// One sentence on what the policy enforces.
    pub summary: String,
    /// The articles the policy enforces.
    pub articles: Vec<Citation>,
    /// The default settings, as a JSON object.
    #[component(name = "default-settings")]
    pub default_settings: String,
    /// The request fields the policy reads.
    pub reads: Vec<String>,
}

pub use crate::wire::LogLevel;
