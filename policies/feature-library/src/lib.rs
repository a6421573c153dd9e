//! A feature library for illegal and harmful information (D9 / F9).
//!
//! The library is settings: entries that match a topic code, a risk tag, or a
//! keyword in a text attribute (title, description, …). Matching items are
//! dropped, and the finding records which entry matched, so that the record
//! D9 / F9 asks for is kept (illegal information must also be reported: the
//! finding code tells the provider which items to report).

use recguard_sdk::prelude::*;

/// What an entry matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchOn {
    /// A topic code, exactly.
    Topic,
    /// A moderation risk tag, exactly.
    RiskTag,
    /// A keyword, case-insensitively, in the text attributes.
    Keyword,
}

/// How serious a match is (D9 / F9 second paragraph).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Illegal information: stop transmission, keep records, report.
    Illegal,
    /// Harmful (不良) information: handled under content-ecosystem rules.
    Harmful,
}

/// One entry of the library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Entry {
    /// The entry's id, recorded in the finding.
    pub id: String,
    /// What it matches on.
    pub on: MatchOn,
    /// The topic, tag or keyword.
    pub pattern: String,
    /// How serious a match is.
    pub severity: Severity,
}

/// Settings of the feature-library policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// The library. No statutory list is published; a deployment loads the regulator's or its own.
    /// The defaults are a small sample of well-known categories so that the policy does something.
    pub library: Vec<Entry>,
    /// Attribute keys whose values are searched for keywords.
    pub text_attributes: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        let entry = |id: &str, on, pattern: &str, severity| Entry { id: id.into(), on, pattern: pattern.into(), severity };
        Settings {
            library: vec![
                entry("gambling-promotion", MatchOn::Topic, "gambling-promotion", Severity::Illegal),
                entry("drug-trade", MatchOn::Topic, "drug-trade", Severity::Illegal),
                entry("fake-invoices", MatchOn::Keyword, "代开发票", Severity::Illegal),
                entry("online-casino", MatchOn::Keyword, "online casino", Severity::Illegal),
                // Telecom and financial fraud is illegal information for every user (D6 / F6;
                // Anti-Telecom and Online Fraud Law 2022), not only a risk for the elderly.
                entry("telecom-fraud", MatchOn::RiskTag, "telecom-fraud", Severity::Illegal),
                entry("financial-fraud", MatchOn::RiskTag, "financial-fraud", Severity::Illegal),
                entry("investment-scam", MatchOn::RiskTag, "investment-scam", Severity::Illegal),
                entry("order-brushing-scam", MatchOn::Keyword, "刷单返利", Severity::Illegal),
                entry("safe-account-scam", MatchOn::Keyword, "安全账户", Severity::Illegal),
                entry("vulgar", MatchOn::RiskTag, "vulgar", Severity::Harmful),
                entry("rumour", MatchOn::RiskTag, "rumour", Severity::Harmful),
            ],
            text_attributes: vec!["title".into(), "description".into()],
        }
    }
}

/// The feature-library policy.
pub struct FeatureLibrary;

impl Policy for FeatureLibrary {
    type Settings = Settings;
    const NAME: &'static str = "feature-library";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Drops and records items that match the feature library of illegal and harmful information.";
    const ARTICLES: &'static [Article] = &[Article::D9F9];
    const READS: &'static [&'static str] = &["candidates.topics", "candidates.risk-tags", "candidates.attributes"];

    fn validate(settings: &Settings) -> Result<(), String> {
        for entry in &settings.library {
            if entry.pattern.trim().is_empty() {
                return Err(format!("library entry '{}' has an empty pattern, which would match everything", entry.id));
            }
        }
        Ok(())
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        let keywords: Vec<(&Entry, String)> = settings
            .library
            .iter()
            .filter(|e| e.on == MatchOn::Keyword)
            .map(|e| (e, e.pattern.to_lowercase()))
            .collect();
        for item in request.candidates() {
            if let Some(entry) = matching_entry(&item, settings, &keywords) {
                let (code, what) = match entry.severity {
                    Severity::Illegal => ("feature-library.illegal", "illegal information"),
                    Severity::Harmful => ("feature-library.harmful", "harmful information"),
                };
                let finding = Finding::new(
                    code,
                    Article::D9F9,
                    format!("Removed: the item matches the library entry '{}' ({what}).", entry.id),
                );
                decision.drop(&item, &finding);
            }
        }
        decision
    }
}

fn matching_entry<'a>(item: &Candidate<'_>, settings: &'a Settings, keywords: &[(&'a Entry, String)]) -> Option<&'a Entry> {
    let exact = settings.library.iter().find(|entry| match entry.on {
        MatchOn::Topic => item.topics().contains(&entry.pattern),
        MatchOn::RiskTag => item.risk_tags().contains(&entry.pattern),
        MatchOn::Keyword => false,
    });
    if exact.is_some() {
        return exact;
    }
    let texts: Vec<String> = item
        .attributes()
        .filter(|(key, _)| settings.text_attributes.iter().any(|k| k == key))
        .map(|(_, value)| value.to_lowercase())
        .collect();
    keywords.iter().find(|(_, keyword)| texts.iter().any(|t| t.contains(keyword.as_str()))).map(|(entry, _)| *entry)
}

export_policy!(FeatureLibrary);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{candidate, request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::{AgeBand, Surface};

    #[test]
    fn topics_tags_and_keywords_match() {
        let mut req = request(Surface::Search, AgeBand::Adult, "2026-11-25T12:00", 480);
        let mut topic = candidate("topic");
        topic.topics.push("drug-trade".into());
        let mut tag = candidate("tag");
        tag.risk_tags.push("vulgar".into());
        let mut keyword = candidate("keyword");
        keyword.attributes.push(Attribute { key: "title".into(), value: "Best ONLINE CASINO bonus".into() });
        let mut elsewhere = candidate("elsewhere");
        elsewhere.attributes.push(Attribute { key: "author-bio".into(), value: "online casino".into() });
        req.candidates = vec![topic, tag, keyword, elsewhere, candidate("clean")];
        let decision = recguard_sdk::testing::evaluate::<FeatureLibrary>(&req, &Settings::default());
        assert_eq!(decision.dropped(), ["topic", "tag", "keyword"]);
        assert_eq!(decision.codes(), ["feature-library.illegal", "feature-library.harmful", "feature-library.illegal"]);
    }

    #[test]
    fn an_empty_pattern_is_refused() {
        let mut settings = Settings::default();
        settings.library[0].pattern = " ".into();
        assert!(FeatureLibrary::validate(&settings).is_err());
    }
}
