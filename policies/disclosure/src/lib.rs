//! Disclosure (D14 / F16; D20–22 / F24–26).
//!
//! Every served response carries a notice that algorithmic recommendation is
//! used, with the service's algorithm filing number and a link to its public
//! filing page.

use recguard_sdk::prelude::*;

/// Settings of the disclosure policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// The notice. Source: D14 / F16 (tell users prominently that the service uses algorithmic
    /// recommendation).
    pub notice: String,
    /// The algorithm filing number issued to the service. Source: D21–22 / F25–26. Required: it
    /// differs for every service, so there is no default.
    pub filing_number: String,
    /// Link to the public filing information. Source: D22 / F26. Required.
    pub filing_link: String,
    /// Surfaces without a user-facing page (none by default).
    pub exempt_surfaces: Vec<Surface>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            notice: "Recommendations here are made by an algorithm. You can switch personalised recommendations off in Settings.".into(),
            filing_number: String::new(),
            filing_link: String::new(),
            exempt_surfaces: Vec::new(),
        }
    }
}

/// The disclosure policy.
pub struct Disclosure;

impl Policy for Disclosure {
    type Settings = Settings;
    const NAME: &'static str = "disclosure";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Tells users that algorithmic recommendation is used, with the filing number and link.";
    const ARTICLES: &'static [Article] = &[Article::D14F16, Article::D22F26];
    const READS: &'static [&'static str] = &["surface"];

    fn validate(settings: &Settings) -> Result<(), String> {
        if settings.filing_number.trim().is_empty() {
            return Err("filing-number is required: the algorithm filing number issued to this service (D22 / F26)".into());
        }
        if !(settings.filing_link.starts_with("https://") || settings.filing_link.starts_with("http://")) {
            return Err("filing-link is required: an http(s) link to the public filing information (D22 / F26)".into());
        }
        if settings.notice.trim().is_empty() {
            return Err("notice must not be empty (D14 / F16)".into());
        }
        Ok(())
    }

    /// Every surface but the exempt ones.
    fn applies_to(settings: &Settings) -> AppliesTo {
        AppliesTo::every_request().except_on(&settings.exempt_surfaces)
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        if settings.exempt_surfaces.contains(&request.surface()) {
            return decision;
        }
        let text = format!("{} Algorithm filing No. {}", settings.notice, settings.filing_number);
        let finding = Finding::new("disclosure.algorithmic-recommendation", Article::D14F16, text)
            .citing("D22 / F26 (filing number and link)");
        decision.notice(&finding, Some(&settings.filing_link));
        decision
    }
}

export_policy!(Disclosure);

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use recguard_sdk::testing::{request, Request, Candidate, User, Usage, UserTag, TopicCount, NotInterested, GuardianExemption, Provenance, Engagement, OperatorAction, PriceQuote, DeliveryTerms, Attribute};
    use recguard_sdk::{AgeBand, Surface};

    fn settings() -> Settings {
        Settings { filing_number: "网信算备110000000000001号".into(), filing_link: "https://beian.example/1".into(), ..Settings::default() }
    }

    #[test]
    fn every_response_gets_the_notice_with_number_and_link() {
        let req = request(Surface::Search, AgeBand::Adult, "2026-11-25T12:00", 480);
        let decision = recguard_sdk::testing::evaluate::<Disclosure>(&req, &settings());
        let notice = &decision.notices()[0];
        assert!(notice.text.ends_with("Algorithm filing No. 网信算备110000000000001号"));
        assert_eq!(notice.link.as_deref(), Some("https://beian.example/1"));
    }

    #[test]
    fn the_filing_number_and_link_are_required() {
        assert!(Disclosure::validate(&Settings::default()).unwrap_err().contains("filing-number"));
        let no_link = Settings { filing_link: "beian".into(), ..settings() };
        assert!(Disclosure::validate(&no_link).unwrap_err().contains("filing-link"));
        assert!(Disclosure::validate(&settings()).is_ok());
    }
}
