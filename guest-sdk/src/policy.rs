//! The [`Policy`] trait and the glue that exports a policy as a component.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{AppliesTo, Article, Decision, Request};

/// A recguard policy: settings with defaults and one `evaluate`.
///
/// Settings arrive as a JSON object once, when the policy is loaded; keys
/// left out take their defaults (derive `Default` and use
/// `#[serde(default, deny_unknown_fields)]`). Checked, they travel to every
/// evaluation in a compact binary encoding (postcard), so no request parses
/// JSON; types such as [`TimeOfDay`](crate::time::TimeOfDay) are text in
/// JSON and numbers in that encoding.
pub trait Policy {
    /// The policy's settings. `Default` gives the documented defaults.
    type Settings: Serialize + DeserializeOwned + Default;

    /// The policy's name, e.g. `"minors"`.
    const NAME: &'static str;
    /// The policy's version; use `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;
    /// One sentence on what the policy enforces.
    const SUMMARY: &'static str;
    /// The articles the policy enforces.
    const ARTICLES: &'static [Article];
    /// The request fields the policy reads, e.g. `"user.age-band"`.
    const READS: &'static [&'static str];

    /// Checks settings beyond their shape; called once when the policy is loaded.
    fn validate(_settings: &Self::Settings) -> Result<(), String> {
        Ok(())
    }

    /// The requests on which the policy, with these settings, can decide
    /// anything; a chain skips it on the others. Default: every request.
    fn applies_to(_settings: &Self::Settings) -> AppliesTo {
        AppliesTo::every_request()
    }

    /// Decides on one request.
    fn evaluate(request: &Request, settings: &Self::Settings) -> Decision;
}

/// The encoding settings travel in from `validate-settings` to `evaluate`.
pub fn encode_settings<P: Policy>(settings: &P::Settings) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(settings).map_err(|e| format!("cannot encode the settings of {}: {e}", P::NAME))
}

/// Decodes settings as `validate-settings` encoded them.
pub fn decode_settings<P: Policy>(encoded: &[u8]) -> Result<P::Settings, String> {
    postcard::from_bytes(encoded)
        .map_err(|e| format!("the settings of {} are not as validate-settings encoded them: {e}", P::NAME))
}

/// Parses settings JSON; an empty string means all defaults.
pub fn parse_settings<P: Policy>(settings: &str) -> Result<P::Settings, String> {
    if settings.trim().is_empty() {
        return Ok(P::Settings::default());
    }
    let mut json = serde_json::Deserializer::from_str(settings);
    serde_path_to_error::deserialize(&mut json).map_err(|e| match e.path().to_string() {
        path if path == "." => format!("invalid settings for {}: {}", P::NAME, e.inner()),
        path => format!("invalid settings for {}: at `{path}`: {}", P::NAME, e.inner()),
    })
}

/// What [`export_policy!`](crate::export_policy) calls; not for direct use.
pub mod runtime {
    use super::*;
    use crate::wit;

    /// Implements the `describe` export.
    pub fn describe<P: Policy>() -> wit::Descriptor {
        wit::Descriptor {
            name: P::NAME.to_string(),
            version: P::VERSION.to_string(),
            summary: P::SUMMARY.to_string(),
            articles: P::ARTICLES.iter().map(|a| a.citation()).collect(),
            default_settings: serde_json::to_string(&P::Settings::default())
                .unwrap_or_else(|_| "{}".to_string()),
            reads: P::READS.iter().map(|r| r.to_string()).collect(),
        }
    }

    /// Implements the `validate-settings` export: parses and checks the
    /// JSON, and returns the settings' compact encoding and the policy's scope.
    pub fn validate<P: Policy>(settings: &str) -> Result<wit::CheckedSettings, String> {
        let settings = parse_settings::<P>(settings)?;
        P::validate(&settings)?;
        Ok(wit::CheckedSettings {
            encoded: encode_settings::<P>(&settings)?,
            applies_to: P::applies_to(&settings).into_wit(),
        })
    }

    /// Implements the `evaluate` export: decodes the settings and decides.
    pub fn evaluate<P: Policy>(request: &Request, settings: &[u8]) -> Result<wit::Decision, String> {
        let settings = decode_settings::<P>(settings)?;
        let decision = P::evaluate(request, &settings).into_wit();
        // In a component the instance is thrown away after this call, memory
        // and all: walking the settings to free them would be wasted work.
        #[cfg(target_arch = "wasm32")]
        std::mem::forget(settings);
        Ok(decision)
    }
}

/// Exports a [`Policy`] type as the component's `describe`, `validate-settings`
/// and `evaluate`. Use it once, in the policy crate's `lib.rs`.
///
/// The type must implement [`Policy`]; the compiler says so if it does not.
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        const _: () = {
            struct RecguardExport;

            impl $crate::bindings::Guest for RecguardExport {
                fn describe() -> $crate::wit::Descriptor {
                    $crate::__private::runtime::describe::<$policy>()
                }
                fn validate_settings(
                    settings: ::std::string::String,
                ) -> ::std::result::Result<$crate::wit::CheckedSettings, ::std::string::String> {
                    $crate::__private::runtime::validate::<$policy>(&settings)
                }
                fn evaluate(
                    request: $crate::wit::Request,
                    settings: ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<$crate::wit::Decision, ::std::string::String> {
                    let request = $crate::Request::from_wit(request);
                    let decision = $crate::__private::runtime::evaluate::<$policy>(&request, &settings);
                    // A component's instance is thrown away after this call: nothing is freed.
                    #[cfg(target_arch = "wasm32")]
                    ::std::mem::forget((request, settings));
                    decision
                }
            }

            // Natively (unit tests, benchmarks) several policies may link into one
            // binary; only a wasm build exports the world's symbols.
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::export!(RecguardExport with_types_in $crate::bindings);
        };
    };
}
