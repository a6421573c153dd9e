//! Signed policies: a chain loads a policy only if its signature verifies
//! against a trusted key of the role it claims, takes the role from the
//! signature, and names the check that failed otherwise. The signature matrix
//! of the trust-and-audit issue: wrong key, wrong role, flipped byte, missing
//! signature, the development switch.

use std::path::PathBuf;

use recguard_host::signing::{verify_policy, Envelope, SecretKey, SignatureError, TrustedKeys};
use recguard_host::{sha256_digest, signature_path, Chain, ConfigError, Issuer, SettingsError};
use recguard_tests::{components, demo_keys, mixed_request};

use crate::helpers::load;

/// A directory with a copy of the minors component, signed by `key` as
/// `issuer` (no signature if `None`), and a config trusting `regulator`
/// and `provider` key files written there.
struct Setup {
    dir: tempfile::TempDir,
    component: PathBuf,
}

impl Setup {
    fn new(signed: Option<(&SecretKey, Issuer)>) -> Setup {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let component = dir.path().join("minors.wasm");
        std::fs::copy(components::MINORS, &component).expect("copy the component");
        if let Some((key, issuer)) = signed {
            let envelope = load(components::MINORS).sign(issuer, key);
            std::fs::write(signature_path(&component.display().to_string()), envelope.to_json()).unwrap();
        }
        Setup { dir, component }
    }

    fn trust(&self, name: &str, key: &SecretKey) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, key.public().to_pem().unwrap()).unwrap();
        format!("{:?}", path.display().to_string())
    }

    /// Builds the chain of a config with `trust` as its `[trust]` table and
    /// minors configured as issued by `issuer`.
    fn chain(&self, trust: &str, issuer: &str) -> Result<Chain, ConfigError> {
        let config = self.dir.path().join("recguard.toml");
        let text = format!("[trust]\n{trust}\n\n[[policy]]\npath = \"minors.wasm\"\nissuer = \"{issuer}\"\n");
        std::fs::write(&config, text).unwrap();
        Chain::from_config_file(&config)
    }

    fn signature(&self) -> PathBuf {
        signature_path(&self.component.display().to_string())
    }
}

fn refusal(result: Result<Chain, ConfigError>) -> SettingsError {
    match result {
        Err(ConfigError::Settings { source, .. }) => source,
        Err(other) => panic!("expected a refused policy, got: {other}"),
        Ok(_) => panic!("the chain loaded a policy it must refuse"),
    }
}

#[test]
fn a_policy_signed_by_a_trusted_regulator_runs_as_the_regulators() {
    let regulator = SecretKey::generate().unwrap();
    let setup = Setup::new(Some((&regulator, Issuer::Regulator)));
    let trust = format!("regulator-keys = [{}]", setup.trust("regulator.pub", &regulator));
    let chain = setup.chain(&trust, "regulator").expect("a signed policy loads");
    let outcome = chain.evaluate(&mixed_request(5, "feed")).unwrap();
    assert!(!outcome.unsigned_policies_allowed);
    assert_eq!(outcome.trace[0].signed_by.as_deref(), Some(regulator.public().key_id().as_str()));
    assert_eq!(outcome.trace[0].issuer, Issuer::Regulator);
}

#[test]
fn the_signature_matrix() {
    let regulator = SecretKey::generate().unwrap();
    let provider = SecretKey::generate().unwrap();
    let stranger = SecretKey::generate().unwrap();

    // Wrong key: signed by a key nobody trusts.
    let setup = Setup::new(Some((&stranger, Issuer::Regulator)));
    let trust = format!("regulator-keys = [{}]", setup.trust("regulator.pub", &regulator));
    let error = refusal(setup.chain(&trust, "regulator"));
    assert!(matches!(&error, SettingsError::Signature { error: SignatureError::UntrustedKey { .. }, .. }), "{error}");
    assert!(error.to_string().contains("untrusted key"), "{error}");

    // Wrong role: the provider's key signs the policy as a regulator's.
    let setup = Setup::new(Some((&provider, Issuer::Regulator)));
    let trust = format!(
        "regulator-keys = [{}]\nprovider-keys = [{}]",
        setup.trust("regulator.pub", &regulator),
        setup.trust("provider.pub", &provider)
    );
    let error = refusal(setup.chain(&trust, "regulator"));
    assert!(matches!(&error, SettingsError::Signature { error: SignatureError::WrongRole { .. }, .. }), "{error}");

    // Wrong role in the config: signed as the provider's, configured as the regulator's.
    let setup = Setup::new(Some((&provider, Issuer::Provider)));
    let trust = format!("provider-keys = [{}]", setup.trust("provider.pub", &provider));
    let error = refusal(setup.chain(&trust, "regulator"));
    assert!(matches!(&error, SettingsError::IssuerMismatch { signed: Issuer::Provider, .. }), "{error}");
    let chain = setup.chain(&trust, "provider").expect("the role the signature gives");
    assert_eq!(chain.evaluate(&mixed_request(1, "feed")).unwrap().trace[0].issuer, Issuer::Provider);

    // A flipped byte in the component (in a message it carries, so it is still a valid component).
    let setup = Setup::new(Some((&regulator, Issuer::Regulator)));
    let trust = format!("regulator-keys = [{}]", setup.trust("regulator.pub", &regulator));
    let mut bytes = std::fs::read(&setup.component).unwrap();
    let at = find(&bytes, b"closed from").expect("the curfew message is in the component");
    bytes[at] ^= 0x20;
    std::fs::write(&setup.component, &bytes).unwrap();
    let error = refusal(setup.chain(&trust, "regulator"));
    assert!(matches!(&error, SettingsError::Signature { error: SignatureError::Digest { .. }, .. }), "{error}");

    // A flipped byte in the signature.
    let setup = Setup::new(Some((&regulator, Issuer::Regulator)));
    let trust = format!("regulator-keys = [{}]", setup.trust("regulator.pub", &regulator));
    let mut envelope = Envelope::read(&setup.signature()).unwrap().unwrap();
    let mut sig = envelope.signatures[0].sig.clone().into_bytes();
    sig[3] = if sig[3] == b'A' { b'B' } else { b'A' };
    envelope.signatures[0].sig = String::from_utf8(sig).unwrap();
    std::fs::write(setup.signature(), envelope.to_json()).unwrap();
    let error = refusal(setup.chain(&trust, "regulator"));
    assert!(matches!(&error, SettingsError::Signature { error: SignatureError::BadSignature { .. }, .. }), "{error}");

    // A signature file that is not an envelope is refused when the component is read.
    std::fs::write(setup.signature(), b"{ not json").unwrap();
    match setup.chain(&trust, "regulator") {
        Err(ConfigError::Load { source: recguard_host::LoadError::SignatureFile { .. }, .. }) => {}
        other => panic!("expected a signature-file error, got {:?}", other.map(|_| ())),
    }

    // Missing signature: refused, saying how to sign or where the switch is.
    let setup = Setup::new(None);
    let trust = format!("regulator-keys = [{}]", setup.trust("regulator.pub", &regulator));
    let error = refusal(setup.chain(&trust, "regulator"));
    assert!(matches!(&error, SettingsError::Unsigned { .. }), "{error}");
    assert!(error.to_string().contains("recguard sign") && error.to_string().contains("allow-unsigned"), "{error}");

    // The development switch: the unsigned policy loads, and every outcome says so.
    let chain = setup.chain(&format!("{trust}\nallow-unsigned = true"), "regulator").expect("loads under the switch");
    let outcome = chain.evaluate(&mixed_request(3, "feed")).unwrap();
    assert!(outcome.unsigned_policies_allowed);
    assert_eq!(outcome.trace[0].signed_by, None);
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["unsigned-policies-allowed"], true);
}

#[test]
fn a_truncated_component_does_not_match_its_signature() {
    let regulator = SecretKey::generate().unwrap();
    let bytes = std::fs::read(components::MINORS).unwrap();
    let envelope = load(components::MINORS).sign(Issuer::Regulator, &regulator);
    let trusted = TrustedKeys { regulator: vec![regulator.public()], provider: vec![] };
    assert!(verify_policy(&envelope, &sha256_digest(&bytes), &trusted).is_ok());
    let truncated = sha256_digest(&bytes[..bytes.len() - 1]);
    assert!(matches!(verify_policy(&envelope, &truncated, &trusted), Err(SignatureError::Digest { .. })));
}

#[test]
fn the_reference_suite_runs_signed_by_the_demo_regulator() {
    let config = recguard_tests::workspace_root().join("examples/all-reference-policies.toml");
    let chain = Chain::from_config_file(&config).expect("the signed suite (scripts/sign-policies.sh signs it)");
    let outcome = chain.evaluate(&mixed_request(10, "hot-list")).unwrap();
    let demo = demo_keys::regulator_public().key_id();
    assert_eq!(outcome.trace.len(), 12);
    assert!(outcome.trace.iter().all(|t| t.signed_by.as_deref() == Some(demo.as_str()) && t.issuer == Issuer::Regulator));
    assert!(!outcome.unsigned_policies_allowed);
    assert_eq!(demo_keys::regulator().public().key_id(), demo);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

