//! Which policies a chain trusts: signatures checked when a policy joins a
//! chain, the issuer role taken from the signature, and the development
//! switch that lets unsigned policies in (and says so in every outcome).
//! The envelope format and the checks themselves are in [`recguard_trust`].

use std::path::{Path, PathBuf};

use recguard_trust::{verify_policy, Envelope, Issuer, PolicyManifest, PublicKey, SecretKey, TrustedKeys};
use serde::{Deserialize, Serialize};

use crate::component::{signature_path, PolicyComponent};
use crate::error::SettingsError;

/// What a chain trusts.
///
/// The default trusts no key and refuses unsigned policies: every policy
/// must then be signed by a key the chain is given. Tests and policy authors
/// use [`Trust::development`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    /// Public keys trusted per issuer role.
    pub keys: TrustedKeys,
    /// Development switch: load policies that have no signature, with the
    /// issuer their options give. Every outcome of such a chain says so.
    pub allow_unsigned: bool,
}

impl Trust {
    /// Trusts `keys`; unsigned policies are refused.
    pub fn keys(keys: TrustedKeys) -> Self {
        Trust { keys, allow_unsigned: false }
    }

    /// The development switch alone: unsigned policies load (signed ones are
    /// still checked, against no key, so they are refused: sign with a key you give).
    pub fn development() -> Self {
        Trust { keys: TrustedKeys::default(), allow_unsigned: true }
    }
}

/// The `[trust]` table of a config file: key files relative to the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct TrustConfig {
    /// Public key files (SPKI PEM) of regulators.
    pub regulator_keys: Vec<PathBuf>,
    /// Public key files (SPKI PEM) of the provider.
    pub provider_keys: Vec<PathBuf>,
    /// Development switch: load unsigned policies. Shown in every outcome.
    pub allow_unsigned: bool,
}

impl TrustConfig {
    /// Reads the key files (relative to `base`).
    pub fn load(&self, base: &Path) -> Result<Trust, recguard_trust::KeyError> {
        let read = |paths: &[PathBuf]| paths.iter().map(|p| PublicKey::read(&base.join(p))).collect::<Result<Vec<_>, _>>();
        Ok(Trust {
            keys: TrustedKeys { regulator: read(&self.regulator_keys)?, provider: read(&self.provider_keys)? },
            allow_unsigned: self.allow_unsigned,
        })
    }
}

/// Who vouched for a policy in a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Signer {
    /// The id of the trusted key whose signature verified.
    Key(String),
    /// Nobody: loaded under the development switch.
    Unsigned,
}

impl Signer {
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Signer::Key(id) => Some(id),
            Signer::Unsigned => None,
        }
    }
}

/// Checks `component`'s signature against `trust`; `issuer` is the role the
/// options give, which must be the signed one.
pub(crate) fn check_signature(policy: &str, component: &PolicyComponent, issuer: Issuer, trust: &Trust) -> Result<Signer, SettingsError> {
    let Some(envelope) = component.signature() else {
        if trust.allow_unsigned {
            return Ok(Signer::Unsigned);
        }
        return Err(SettingsError::Unsigned { policy: policy.to_string(), expected: signature_path(component.origin()) });
    };
    let refused = |error| SettingsError::Signature { policy: policy.to_string(), error };
    let verified = verify_policy(envelope, component.digest(), &trust.keys).map_err(refused)?;
    let descriptor = component.descriptor();
    let manifest = &verified.manifest;
    if manifest.name != descriptor.name || manifest.version != descriptor.version {
        return Err(SettingsError::Signature {
            policy: policy.to_string(),
            error: recguard_trust::SignatureError::Malformed(format!(
                "the signature is for {} {}, the component describes itself as {} {}",
                manifest.name, manifest.version, descriptor.name, descriptor.version
            )),
        });
    }
    if manifest.issuer != issuer {
        return Err(SettingsError::IssuerMismatch { policy: policy.to_string(), configured: issuer, signed: manifest.issuer });
    }
    Ok(Signer::Key(verified.key_id))
}

impl PolicyComponent {
    /// What signing this component as `issuer` says about it now.
    pub fn manifest(&self, issuer: Issuer) -> PolicyManifest {
        let descriptor = self.descriptor();
        PolicyManifest {
            component: self.digest().to_string(),
            name: descriptor.name.clone(),
            version: descriptor.version.clone(),
            issuer,
            articles: descriptor.articles.iter().map(|c| c.to_string()).collect(),
            signed_at: recguard_trust::now_rfc3339(),
        }
    }

    /// Signs the component as `issuer` with `key`: the envelope to keep beside it.
    pub fn sign(&self, issuer: Issuer, key: &SecretKey) -> Envelope {
        self.manifest(issuer).sign(key)
    }
}
