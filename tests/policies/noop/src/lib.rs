//! A policy that decides nothing: the per-request overhead of the host.

use recguard_sdk::prelude::*;

/// No settings.
#[derive(Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {}

/// The no-op policy.
pub struct Noop;

impl Policy for Noop {
    type Settings = Settings;
    const NAME: &'static str = "noop";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Decides nothing; measures the host's overhead.";
    const ARTICLES: &'static [Article] = &[];
    const READS: &'static [&'static str] = &[];

    fn evaluate(_request: &Request, _settings: &Settings) -> Decision {
        Decision::new()
    }
}

export_policy!(Noop);
