//! Citations of the provisions on algorithmic recommendation.
//!
//! Each [`Article`] names the 2021 draft's number and the final (2022) text's
//! number, as mapped in `shared/regulation/article-map.md`.

use crate::Citation;

/// An article of the provisions, in draft and final numbering.
///
/// `D16F18` is draft article 16, final article 18. Articles new in the final
/// text have no draft number (`F19`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Article {
    /// No models that induce addiction or excessive spending.
    D8F8,
    /// Feature library for harmful information; labels on synthetic content.
    D9F9,
    /// No harmful keywords as interest tags; no discriminatory tags.
    D10F10,
    /// Mainstream content on key surfaces (first screen, hot search, picks, lists, pop-ups).
    D11F11,
    /// De-duplication and scatter; transparency of ranking.
    D12F12,
    /// No fake accounts or engagement; no manipulated lists, rankings or hot searches.
    D13F14,
    /// No self-preferencing or unfair competition through ranking.
    D13F15,
    /// Tell users that algorithmic recommendation is used.
    D14F16,
    /// An option not based on personal characteristics; tag control.
    D15F17,
    /// Protection of minors.
    D16F18,
    /// Protection of elderly users, including against telecom fraud.
    F19,
    /// Workers: dispatch, pay, working hours.
    D17F20,
    /// Consumers: no unreasonable differential pricing.
    D18F21,
    /// Show the filing number with a link on the service.
    D22F26,
    /// Complaint and appeal channels.
    D26F22,
}

impl Article {
    /// The draft article's number, if the draft had this article.
    pub fn draft(self) -> Option<u8> {
        use Article::*;
        match self {
            D8F8 => Some(8),
            D9F9 => Some(9),
            D10F10 => Some(10),
            D11F11 => Some(11),
            D12F12 => Some(12),
            D13F14 | D13F15 => Some(13),
            D14F16 => Some(14),
            D15F17 => Some(15),
            D16F18 => Some(16),
            F19 => None,
            D17F20 => Some(17),
            D18F21 => Some(18),
            D22F26 => Some(22),
            D26F22 => Some(26),
        }
    }

    /// The final text's article number.
    pub fn final_number(self) -> u8 {
        use Article::*;
        match self {
            D8F8 => 8,
            D9F9 => 9,
            D10F10 => 10,
            D11F11 => 11,
            D12F12 => 12,
            D13F14 => 14,
            D13F15 => 15,
            D14F16 => 16,
            D15F17 => 17,
            D16F18 => 18,
            F19 => 19,
            D17F20 => 20,
            D18F21 => 21,
            D22F26 => 26,
            D26F22 => 22,
        }
    }

    /// The citation as the contract carries it.
    pub fn citation(self) -> Citation {
        Citation {
            draft_article: self.draft(),
            final_article: Some(self.final_number()),
            instrument: None,
        }
    }
}

impl std::fmt::Display for Article {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.draft() {
            Some(draft) => write!(f, "D{draft} / F{}", self.final_number()),
            None => write!(f, "F{}", self.final_number()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_draft_and_final_numbers() {
        assert_eq!(Article::D13F14.to_string(), "D13 / F14");
        assert_eq!(Article::F19.to_string(), "F19");
        assert_eq!(Article::D16F18.citation().final_article, Some(18));
    }
}
