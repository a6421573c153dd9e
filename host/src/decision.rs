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
        match (self.draft_article, self.final_article) {
            (Some(d), Some(n)) => write!(f, "D{d} / F{n}")?,
            (Some(d), None) => write!(f, "D{d}")?,
            (None, Some(n)) => write!(f, "F{n}")?,
            (None, None) => {}
        }
        if let Some(instrument) = &self.instrument {
            if self.draft_article.is_some() || self.final_article.is_some() {
                f.write_str("; ")?;
            }
            f.write_str(instrument)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Citation;

    #[test]
    fn a_citation_reads_as_its_articles_then_its_instrument() {
        let cite = |draft, final_, instrument: Option<&str>| {
            Citation { draft_article: draft, final_article: final_, instrument: instrument.map(str::to_string) }.to_string()
        };
        assert_eq!(cite(Some(16), Some(18), None), "D16 / F18");
        assert_eq!(cite(Some(16), None, None), "D16");
        assert_eq!(cite(None, Some(19), None), "F19");
        assert_eq!(cite(Some(16), Some(18), Some("NPPA notice (2021)")), "D16 / F18; NPPA notice (2021)");
        assert_eq!(cite(None, None, Some("NPPA notice (2021)")), "NPPA notice (2021)");
        assert_eq!(cite(None, None, None), "");
    }
}
