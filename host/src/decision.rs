//! What a policy returns: its decision on a request, and its descriptor.
//!
//! The types are generated from `record decision` and `record descriptor` in
//! `wit/policy.wit` (into [`wire`](crate::wire)); wasmtime checks the match
//! when a policy is loaded. What the host adds to them is here.

pub use crate::wire::{
    Action, Block, Citation, Decision, Descriptor, Finding, ItemAction, LogLevel, Notice, Rerank, TagSetAside,
};

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
