//! The recguard guest SDK: write a policy as a plain Rust type.
//!
//! A policy implements [`Policy`]: a settings type with defaults, and one
//! `evaluate` that turns a [`Request`] into a [`Decision`] whose every effect
//! cites a [`Finding`] and its [`Article`]. [`export_policy!`] turns the type
//! into a component of the `recguard:policy` world. The logic is ordinary
//! Rust, so it is unit-tested natively with `cargo test` (see [`testing`]).
//!
//! ```ignore
//! use recguard_sdk::prelude::*;
//!
//! #[derive(Default, Serialize, Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct Settings { pub max_items: u32 }
//!
//! pub struct Cap;
//! impl Policy for Cap {
//!     type Settings = Settings;
//!     const NAME: &'static str = "cap";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     const SUMMARY: &'static str = "Serves at most max_items items.";
//!     const ARTICLES: &'static [Article] = &[Article::D8F8];
//!     const READS: &'static [&'static str] = &[];
//!     fn evaluate(request: &Request, settings: &Settings) -> Decision {
//!         let mut decision = Decision::new();
//!         let finding = Finding::new("cap.too-many", Article::D8F8, "Too many items.");
//!         for item in request.candidates().iter().skip(settings.max_items as usize) {
//!             decision.drop(&item, &finding);
//!         }
//!         decision
//!     }
//! }
//! export_policy!(Cap);
//! ```

#![deny(missing_docs)]

// The generated bindings name this crate by its path, also from inside it.
extern crate self as recguard_sdk;

#[cfg(target_arch = "wasm32")]
mod alloc;
mod applies;
mod article;
#[cfg(any(target_arch = "wasm32", test))]
mod compare;
mod candidate;
mod decision;
mod log;
mod names;
mod policy;
mod request;
pub mod testing;
mod text_set;
pub mod time;

/// Bindings generated from `wit/policy.wit`, the single source of truth.
///
/// Policy authors use the re-exports at the crate root; this module is public
/// so that [`export_policy!`] can reach it from the policy's crate.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "policy",
        pub_export_macro: true,
        default_bindings_module: "recguard_sdk::bindings",
        runtime_path: "recguard_sdk::__private::wit_bindgen::rt",
        bitflags_path: "recguard_sdk::__private::wit_bindgen::rt::bitflags",
        additional_derives: [PartialEq],
    });
}

#[cfg(all(target_arch = "wasm32", feature = "bump-allocator"))]
#[global_allocator]
static ALLOCATOR: alloc::BumpAllocator = alloc::BumpAllocator::new();

pub use applies::AppliesTo;
pub use article::Article;
pub use decision::{Cite, Decision, Finding, FindingId, FindingsBy};
pub use log::{debug, info, warn};
pub use policy::Policy;

pub use bindings::recguard::policy::types::{
    AgeBand, Citation, ExemptionScope, FeedbackTarget, ItemKind, OperatorActionKind, Surface, TagSource,
};
pub use candidate::{
    Candidate, CandidateIter, Candidates, DeliveryTerms, Engagement, OperatorAction, PriceQuote, Provenance,
};
pub use request::{NotInterested, Request, Strs, Usage, User, UserTag};
pub use text_set::TextSet;

/// The raw contract types: the request's columns and what a decision is
/// made of, for tests that inspect them.
pub mod wit {
    pub use crate::bindings::recguard::policy::types::{
        Action, AppliesTo, Attributes, Block, CandidateFlags, Candidates, CheckedSettings, Decision, Descriptor,
        Finding, ItemAction, Notice, OperatorActions, Request, Rerank, SessionTopics, StringLists, Strings, TagSetAside, UserTags,
    };
}

/// What a policy file needs in scope.
pub mod prelude {
    pub use crate::time::{LocalTime, TimeOfDay};
    pub use crate::{
        export_policy, AgeBand, AppliesTo, Article, Candidate, Decision, ExemptionScope, Finding, FindingsBy, ItemKind,
        Policy, Request, Surface, TextSet, User,
    };
    pub use serde::{Deserialize, Serialize};
}

#[doc(hidden)]
pub mod __private {
    pub use crate::policy::runtime;
    pub use wit_bindgen;
}
