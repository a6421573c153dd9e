use super::*;

fn manifest(issuer: Issuer) -> PolicyManifest {
    PolicyManifest {
        component: "sha256:abc".into(),
        name: "minors".into(),
        version: "0.2.0".into(),
        issuer,
        articles: vec!["D16 / F18".into()],
        signed_at: now_rfc3339(),
    }
}

#[test]
fn a_signed_manifest_verifies_with_the_role_it_claims() {
    let regulator = SecretKey::generate().unwrap();
    let trusted = TrustedKeys { regulator: vec![regulator.public()], provider: vec![] };
    let envelope = manifest(Issuer::Regulator).sign(&regulator);
    let verified = verify_policy(&envelope, "sha256:abc", &trusted).unwrap();
    assert_eq!(verified.manifest.issuer, Issuer::Regulator);
    assert_eq!(verified.key_id, regulator.public().key_id());
}

#[test]
fn keys_round_trip_through_pem() {
    let key = SecretKey::generate().unwrap();
    let again = SecretKey::from_pem(&key.to_pem().unwrap()).unwrap();
    assert_eq!(again.public(), key.public());
    let public = PublicKey::from_pem(&key.public().to_pem().unwrap()).unwrap();
    assert_eq!(public, key.public());
    assert!(PublicKey::from_pem(&key.to_pem().unwrap()).is_err(), "a private key is not a public key");
}

#[test]
fn each_failed_check_is_named() {
    let regulator = SecretKey::generate().unwrap();
    let provider = SecretKey::generate().unwrap();
    let stranger = SecretKey::generate().unwrap();
    let trusted = TrustedKeys { regulator: vec![regulator.public()], provider: vec![provider.public()] };

    let by_stranger = manifest(Issuer::Regulator).sign(&stranger);
    assert!(matches!(verify_policy(&by_stranger, "sha256:abc", &trusted), Err(SignatureError::UntrustedKey { .. })));

    let provider_claims_regulator = manifest(Issuer::Regulator).sign(&provider);
    let error = verify_policy(&provider_claims_regulator, "sha256:abc", &trusted).unwrap_err();
    assert!(matches!(error, SignatureError::WrongRole { claimed: Issuer::Regulator, key_role: Issuer::Provider, .. }), "{error}");

    let good = manifest(Issuer::Regulator).sign(&regulator);
    assert!(matches!(verify_policy(&good, "sha256:def", &trusted), Err(SignatureError::Digest { .. })));

    // A manifest changed after signing (here: the role) no longer verifies.
    let mut changed = good.clone();
    let mut payload: PolicyManifest = serde_json::from_slice(&changed.payload_bytes().unwrap()).unwrap();
    payload.version = "9.9.9".into();
    changed.payload = BASE64.encode(serde_json::to_vec(&payload).unwrap());
    assert!(matches!(verify_policy(&changed, "sha256:abc", &trusted), Err(SignatureError::BadSignature { .. })));

    let mut wrong_type = good.clone();
    wrong_type.payload_type = "text/plain".into();
    assert!(matches!(verify_policy(&wrong_type, "sha256:abc", &trusted), Err(SignatureError::PayloadType { .. })));

    assert!(matches!(Envelope::from_json(b"{\"payloadType\": 1}"), Err(SignatureError::Malformed(_))));
}

#[test]
fn the_pre_authentication_encoding_is_dsse() {
    assert_eq!(pae("t", b"hello"), b"DSSEv1 1 t 5 hello");
}
