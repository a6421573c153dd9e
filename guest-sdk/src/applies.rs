//! [`AppliesTo`]: the requests on which a policy can decide anything.

use crate::{wit, AgeBand, Surface};

/// The requests on which a policy can decide anything, given its settings.
///
/// A chain does not run a policy on any other request: its trace entry says
/// `skipped`, and why. So a policy that only acts on the dispatch surface,
/// or only for minors, costs nothing on the rest. Each call narrows the
/// scope; [`AppliesTo::every_request`] is the default.
///
/// The scope must be exact on its side: on a request outside it, `evaluate`
/// must decide nothing (the host's tests check this for the reference
/// policies on generated requests).
///
/// ```ignore
/// fn applies_to(_: &Settings) -> AppliesTo {
///     AppliesTo::every_request().on_surfaces([Surface::Dispatch])
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AppliesTo {
    /// The contract's record, which the builder fills in.
    scope: wit::AppliesTo,
}

impl Default for AppliesTo {
    fn default() -> Self {
        AppliesTo {
            scope: wit::AppliesTo {
                surfaces: None,
                age_bands: None,
                or_minors_mode: false,
                personalisation_off: false,
                requires: Vec::new(),
            },
        }
    }
}

impl AppliesTo {
    /// Every request: the policy always runs.
    pub fn every_request() -> Self {
        AppliesTo::default()
    }

    /// Only on these surfaces (none at all: the policy never runs).
    pub fn on_surfaces(mut self, surfaces: impl IntoIterator<Item = Surface>) -> Self {
        self.scope.surfaces = Some(surfaces.into_iter().collect());
        self
    }

    /// Only on every surface but these.
    pub fn except_on(self, surfaces: &[Surface]) -> Self {
        self.on_surfaces(Surface::ALL.into_iter().filter(|s| !surfaces.contains(s)))
    }

    /// Only for users in these age bands (see also [`AppliesTo::or_minors_mode`]).
    pub fn for_age_bands(mut self, bands: impl IntoIterator<Item = AgeBand>) -> Self {
        self.scope.age_bands = Some(bands.into_iter().collect());
        self
    }

    /// With [`AppliesTo::for_age_bands`]: also for a user in minors mode, whatever the age band.
    pub fn or_minors_mode(mut self) -> Self {
        self.scope.or_minors_mode = true;
        self
    }

    /// Only for users who switched personalised recommendation off.
    pub fn when_personalisation_off(mut self) -> Self {
        self.scope.personalisation_off = true;
        self
    }

    /// Only when the field at `path` (one the policy reads) is not empty: a
    /// list of the user's with an entry (`"user.tags"`), or a candidate field
    /// that at least one candidate has (`"candidates.price"`).
    pub fn requiring(mut self, path: impl Into<String>) -> Self {
        self.scope.requires.push(path.into());
        self
    }

    /// The contract's form.
    pub(crate) fn into_wit(self) -> wit::AppliesTo {
        self.scope
    }
}
