//! User tags (D10 / F10, D15 / F17).
//!
//! Sets aside, for this request and every later policy, the user tags that
//! must not be used: tags the user deleted (D15 / F17), tags that are harmful
//! keywords (D10 / F10), and tags in discriminatory or biased categories such
//! as ethnicity, religion or health (D10, draft text). The findings say which
//! tags were set aside and why.

use recguard_sdk::prelude::*;

/// Settings of the user-tag-guard policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Keywords that never act as interest tags (case-insensitive, matched inside the tag).
    /// Source: D10 / F10 (illegal and harmful keywords); no list is published, the defaults are
    /// a sample and a deployment supplies its own.
    pub harmful_keywords: Vec<String>,
    /// Tag categories that are discriminatory or biased; a tag is in a category when it starts with
    /// `<category>:` (e.g. `religion:buddhist`). Source: D10 (draft) bans discriminatory or biased
    /// tags; the final text appears to drop the clause [?], and the PIPL's sensitive personal
    /// information (Art. 28) covers the same categories.
    pub sensitive_categories: Vec<String>,
    /// Honour the user's deletions. Source: D15 / F17.
    pub honour_deletions: bool,
}

impl Default for Settings {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Settings {
            harmful_keywords: list(&["gambling", "drugs", "porn", "self-harm", "loan-shark"]),
            sensitive_categories: list(&["ethnicity", "religion", "health", "sexual-orientation", "political", "biometric", "financial-hardship"]),
            honour_deletions: true,
        }
    }
}

/// The user-tag-guard policy.
pub struct UserTagGuard;

impl Policy for UserTagGuard {
    type Settings = Settings;
    const NAME: &'static str = "user-tag-guard";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Sets aside user tags that were deleted, are harmful keywords, or fall in discriminatory categories.";
    const ARTICLES: &'static [Article] = &[Article::D10F10, Article::D15F17];
    const READS: &'static [&'static str] = &["user.tags"];

    /// Only users with tags.
    fn applies_to(_settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().requiring("user.tags")
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        let keywords: Vec<String> = settings.harmful_keywords.iter().map(|k| k.to_lowercase()).collect();
        for tag in request.user().tags() {
            let name = tag.name.to_lowercase();
            let finding = if tag.deleted_by_user && settings.honour_deletions {
                Finding::new("user-tag.deleted", Article::D15F17, format!("The tag '{}' was deleted by you and is not used.", tag.name))
            } else if let Some(keyword) = keywords.iter().find(|k| name.contains(k.as_str())) {
                Finding::new(
                    "user-tag.harmful-keyword",
                    Article::D10F10,
                    format!("The tag '{}' contains the harmful keyword '{keyword}' and is not used.", tag.name),
                )
            } else if let Some(category) = settings.sensitive_categories.iter().find(|c| in_category(&name, c)) {
                Finding::new(
                    "user-tag.discriminatory",
                    Article::D10F10,
                    format!("The tag '{}' is in the sensitive category '{category}' and is not used.", tag.name),
                )
            } else {
                continue;
            };
            decision.set_aside_tag(tag.name, &finding);
        }
        decision
    }
}

fn in_category(tag: &str, category: &str) -> bool {
    tag.strip_prefix(&category.to_lowercase()).is_some_and(|rest| rest.starts_with(':'))
}

export_policy!(UserTagGuard);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::{AgeBand, Surface, TagSource};

    fn tag(name: &str, deleted: bool) -> UserTag {
        UserTag { name: name.into(), source: TagSource::Inferred, deleted_by_user: deleted }
    }

    #[test]
    fn sets_aside_deleted_harmful_and_sensitive_tags_only() {
        let mut req = request(Surface::Feed, AgeBand::Adult, "2026-11-25T12:00", 480);
        req.user.tags = vec![
            tag("basketball", false),
            tag("cooking", true),
            tag("online-gambling", false),
            tag("religion:buddhist", false),
            tag("religious-architecture", false),
        ];
        let decision = recguard_sdk::testing::evaluate::<UserTagGuard>(&req, &Settings::default());
        assert_eq!(decision.tags_set_aside(), ["cooking", "online-gambling", "religion:buddhist"]);
        assert_eq!(decision.codes(), ["user-tag.deleted", "user-tag.harmful-keyword", "user-tag.discriminatory"]);
    }

    #[test]
    fn no_tags_no_findings() {
        let req = request(Surface::Feed, AgeBand::Adult, "2026-11-25T12:00", 480);
        assert!(recguard_sdk::testing::evaluate::<UserTagGuard>(&req, &Settings::default()).is_empty());
    }
}
