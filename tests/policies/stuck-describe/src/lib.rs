//! A hostile policy whose `describe` never returns: computing its default
//! settings loops for ever. The host must stop it at load, at its deadline,
//! and say so.

use recguard_sdk::prelude::*;

/// Settings whose defaults never finish.
#[derive(Serialize, Deserialize)]
pub struct Settings {}

impl Default for Settings {
    fn default() -> Self {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

/// The stuck policy.
pub struct StuckDescribe;

impl Policy for StuckDescribe {
    type Settings = Settings;
    const NAME: &'static str = "stuck-describe";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Loops for ever in describe.";
    const ARTICLES: &'static [Article] = &[];
    const READS: &'static [&'static str] = &[];

    fn evaluate(_request: &Request, _settings: &Settings) -> Decision {
        Decision::new()
    }
}

export_policy!(StuckDescribe);
