//! Who may say what a policy is, and how a host checks it.
//!
//! A policy component is signed by its issuer (a regulator or the provider)
//! with an ed25519 key. The signature travels **beside** the component, in
//! `<component>.wasm.sig`: a [DSSE](https://github.com/secure-systems-lab/dsse)
//! envelope (the format in-toto and Sigstore use) whose payload is a
//! [`PolicyManifest`]: the component's SHA-256, its name, version, the
//! articles it enforces, the issuer's role and when it was signed. Beside and
//! not inside (a custom section) because the signed digest is then the
//! digest of the very bytes a provider runs and a receipt records; a
//! regulator can sign a component it did not build without changing it; and
//! a second signature (a provider co-signing) is a second envelope, not a
//! second build.
//!
//! A host trusts public keys per role ([`TrustedKeys`]); [`verify_policy`]
//! accepts a component only if its envelope verifies with a trusted key of
//! the role the manifest claims, over the component's actual digest, and
//! names the check that failed otherwise ([`SignatureError`]). The same
//! envelope signs the host's audit checkpoints (see [`Envelope::sign`]).

use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The DSSE payload type of a policy manifest.
pub const POLICY_PAYLOAD_TYPE: &str = "application/vnd.recguard.policy-manifest+json";

/// The largest signature file read, in bytes (an envelope is about 1 KiB).
pub const MAX_ENVELOPE_BYTES: u64 = 64 * 1024;

/// Who issued a policy. A provider's policy cannot undo a regulator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Issuer {
    /// A regulator's reference policy, run unchanged.
    Regulator,
    /// The provider's own policy.
    Provider,
}

impl std::fmt::Display for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Issuer::Regulator => "regulator",
            Issuer::Provider => "provider",
        })
    }
}

/// An ed25519 signing key. Stored as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`),
/// which OpenSSL reads too.
pub struct SecretKey(SigningKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public().key_id())
    }
}

impl SecretKey {
    /// A new key from the operating system's randomness.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// Parses a PKCS#8 PEM private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem).map(SecretKey).map_err(|e| KeyError::Parse(format!("not an ed25519 private key in PKCS#8 PEM: {e}")))
    }

    /// Reads a PEM private key file.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_key_file(path)?).map_err(|e| e.at(path))
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.0.to_pkcs8_pem(LineEnding::LF).map(|pem| pem.to_string()).map_err(|e| KeyError::Parse(e.to_string()))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
}

/// An ed25519 public key. Stored as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl PublicKey {
    /// Parses an SPKI PEM public key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        VerifyingKey::from_public_key_pem(pem)
            .map(PublicKey)
            .map_err(|e| KeyError::Parse(format!("not an ed25519 public key in SPKI PEM: {e}")))
    }

    /// Reads a PEM public key file.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_key_file(path)?).map_err(|e| e.at(path))
    }

    /// The key as SPKI PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.0.to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Parse(e.to_string()))
    }

    /// The key's id in envelopes: `ed25519:` and the first 16 bytes of the
    /// SHA-256 of the raw key, in hex.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("ed25519:{hex}")
    }
}

fn read_key_file(path: &Path) -> Result<String, KeyError> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(16 * 1024).read_to_string(&mut text))
        .map_err(|e| KeyError::Read { path: path.display().to_string(), message: e.to_string() })?;
    Ok(text)
}

/// A key that could not be made, read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system gave no randomness.
    #[error("no randomness for a new key: {0}")]
    Random(String),
    /// The file could not be read.
    #[error("cannot read the key file {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The text is not a key of the expected kind.
    #[error("{0}")]
    Parse(String),
}

impl KeyError {
    fn at(self, path: &Path) -> Self {
        match self {
            KeyError::Parse(message) => KeyError::Parse(format!("{}: {message}", path.display())),
            other => other,
        }
    }
}

/// A DSSE envelope: a typed payload and its signatures, as JSON
/// (`payloadType`, `payload` in base64, `signatures` with `keyid` and `sig`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Envelope {
    /// What the payload is, e.g. [`POLICY_PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The payload, base64.
    pub payload: String,
    /// One signature per signer.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature in an [`Envelope`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// The signer's [`PublicKey::key_id`].
    pub keyid: String,
    /// The ed25519 signature over the pre-authentication encoding, base64.
    pub sig: String,
}

/// DSSE's pre-authentication encoding of a payload: what is signed.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Signs `payload` of `payload_type` with `key`.
    pub fn sign(payload_type: &str, payload: &[u8], key: &SecretKey) -> Self {
        let signature = key.0.sign(&pae(payload_type, payload));
        Envelope {
            payload_type: payload_type.to_string(),
            payload: BASE64.encode(payload),
            signatures: vec![EnvelopeSignature { keyid: key.public().key_id(), sig: BASE64.encode(signature.to_bytes()) }],
        }
    }

    /// Parses an envelope from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SignatureError> {
        serde_json::from_slice(bytes).map_err(|e| SignatureError::Malformed(format!("not a DSSE envelope: {e}")))
    }

    /// Reads `path` (at most [`MAX_ENVELOPE_BYTES`]); `Ok(None)` if there is no such file.
    pub fn read(path: &Path) -> Result<Option<Self>, SignatureError> {
        use std::io::Read;
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SignatureError::Malformed(format!("cannot read {}: {e}", path.display()))),
        };
        let mut bytes = Vec::new();
        file.take(MAX_ENVELOPE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| SignatureError::Malformed(format!("cannot read {}: {e}", path.display())))?;
        if bytes.len() as u64 > MAX_ENVELOPE_BYTES {
            return Err(SignatureError::Malformed(format!("{} is larger than the {MAX_ENVELOPE_BYTES} bytes an envelope may have", path.display())));
        }
        Self::from_json(&bytes).map(Some)
    }

    /// The envelope as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an envelope always serialises")
    }

    /// The payload's bytes.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, SignatureError> {
        BASE64.decode(&self.payload).map_err(|e| SignatureError::Malformed(format!("the payload is not base64: {e}")))
    }

    /// The payload, if the envelope has `payload_type` and a signature of
    /// one of `keys` verifies; returns the key that signed it.
    pub fn open<'k>(&self, payload_type: &str, keys: impl IntoIterator<Item = &'k PublicKey>) -> Result<(Vec<u8>, &'k PublicKey), SignatureError> {
        if self.payload_type != payload_type {
            return Err(SignatureError::PayloadType { expected: payload_type.to_string(), found: self.payload_type.clone() });
        }
        let payload = self.payload_bytes()?;
        let keys: Vec<&PublicKey> = keys.into_iter().collect();
        let signed = pae(payload_type, &payload);
        for signature in &self.signatures {
            let Some(key) = keys.iter().find(|k| k.key_id() == signature.keyid) else { continue };
            let bytes = BASE64.decode(&signature.sig).map_err(|e| SignatureError::Malformed(format!("a signature is not base64: {e}")))?;
            let signature_bytes: [u8; 64] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| SignatureError::Malformed(format!("a signature has {} bytes, not 64", bytes.len())))?;
            return match key.0.verify(&signed, &Signature::from_bytes(&signature_bytes)) {
                Ok(()) => Ok((payload, key)),
                Err(_) => Err(SignatureError::BadSignature { key_id: signature.keyid.clone() }),
            };
        }
        Err(SignatureError::UntrustedKey { key_ids: self.signatures.iter().map(|s| s.keyid.clone()).collect() })
    }
}

/// What a policy's signature says about it: the payload of its envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyManifest {
    /// The component's digest, `sha256:<hex>`.
    pub component: String,
    /// The policy's name (as its descriptor gives it).
    pub name: String,
    /// The policy's version.
    pub version: String,
    /// The role of the signer: the role the policy takes in the merge.
    pub issuer: Issuer,
    /// The articles the policy enforces, as cited (e.g. `D16 / F18`).
    pub articles: Vec<String>,
    /// When it was signed, RFC 3339 UTC.
    pub signed_at: String,
}

impl PolicyManifest {
    /// The manifest signed by `key`, as an envelope.
    pub fn sign(&self, key: &SecretKey) -> Envelope {
        let payload = serde_json::to_vec(self).expect("a manifest always serialises");
        Envelope::sign(POLICY_PAYLOAD_TYPE, &payload, key)
    }
}

/// The current time as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Public keys trusted per role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    /// Keys whose policies run as the regulator's.
    pub regulator: Vec<PublicKey>,
    /// Keys whose policies run as the provider's.
    pub provider: Vec<PublicKey>,
}

impl TrustedKeys {
    /// The keys of one role.
    pub fn of(&self, issuer: Issuer) -> &[PublicKey] {
        match issuer {
            Issuer::Regulator => &self.regulator,
            Issuer::Provider => &self.provider,
        }
    }

    /// True if no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.regulator.is_empty() && self.provider.is_empty()
    }
}

/// A policy whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPolicy {
    /// What the issuer signed.
    pub manifest: PolicyManifest,
    /// The id of the key that signed it.
    pub key_id: String,
}

/// Checks a policy's envelope against the trusted keys and the digest of the
/// component it sits beside, in this order: the payload type, a signature
/// by a trusted key, the manifest, the role (the signing key must be trusted
/// for the role the manifest claims), the digest.
pub fn verify_policy(envelope: &Envelope, component_digest: &str, trusted: &TrustedKeys) -> Result<VerifiedPolicy, SignatureError> {
    let all = trusted.regulator.iter().chain(&trusted.provider);
    let (payload, key) = envelope.open(POLICY_PAYLOAD_TYPE, all)?;
    let manifest: PolicyManifest =
        serde_json::from_slice(&payload).map_err(|e| SignatureError::Malformed(format!("the signed manifest is not valid: {e}")))?;
    if !trusted.of(manifest.issuer).contains(key) {
        let key_role = if trusted.regulator.contains(key) { Issuer::Regulator } else { Issuer::Provider };
        return Err(SignatureError::WrongRole { claimed: manifest.issuer, key_id: key.key_id(), key_role });
    }
    if manifest.component != component_digest {
        return Err(SignatureError::Digest { signed: manifest.component, actual: component_digest.to_string() });
    }
    Ok(VerifiedPolicy { manifest, key_id: key.key_id() })
}

/// Why a signature was refused; each names the check that failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The envelope, a signature or the manifest cannot be parsed.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The envelope holds something else.
    #[error("wrong payload type: expected {expected}, found {found}")]
    PayloadType {
        /// What was expected.
        expected: String,
        /// What the envelope says.
        found: String,
    },
    /// No signature is by a trusted key.
    #[error("signed by an untrusted key ({}): add its public key to [trust] if you trust its holder", key_ids.join(", "))]
    UntrustedKey {
        /// The signers' key ids.
        key_ids: Vec<String>,
    },
    /// The signature does not verify: the envelope was changed after signing.
    #[error("bad signature by {key_id}: the signature file was changed after signing")]
    BadSignature {
        /// The key the signature claims.
        key_id: String,
    },
    /// The manifest claims a role its key is not trusted for.
    #[error("wrong role: the signature claims {claimed}, but {key_id} is trusted only as {key_role}")]
    WrongRole {
        /// The role the manifest claims.
        claimed: Issuer,
        /// The signing key.
        key_id: String,
        /// The role the key is trusted for.
        key_role: Issuer,
    },
    /// The component is not the one signed.
    #[error("digest mismatch: the signature is for {signed}, the component is {actual} (changed or truncated after signing)")]
    Digest {
        /// The signed digest.
        signed: String,
        /// The component's digest.
        actual: String,
    },
}

#[cfg(test)]
mod tests;
