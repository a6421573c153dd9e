//! `recguard keygen`, `recguard sign` and `recguard verify`: ed25519 keys, and
//! a DSSE envelope beside each component (`<component>.sig`) over its SHA-256
//! and its manifest.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use recguard_host::signing::{verify_policy, Envelope, PublicKey, SecretKey, TrustedKeys};
use recguard_host::{signature_path, Issuer, PolicyComponent};

/// Issuer roles, as the command line names them.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Role {
    /// A regulator.
    Regulator,
    /// The provider.
    Provider,
}

impl From<Role> for Issuer {
    fn from(role: Role) -> Issuer {
        match role {
            Role::Regulator => Issuer::Regulator,
            Role::Provider => Issuer::Provider,
        }
    }
}

/// Make a new ed25519 key pair.
#[derive(Args)]
pub struct KeygenCommand {
    /// Where to write the private key (PKCS#8 PEM, readable only by you); the
    /// public key goes beside it with `.pub` in place of the extension.
    #[arg(long, short)]
    out: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

impl KeygenCommand {
    /// Writes the key pair and prints the public key's id.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let public_path = self.out.with_extension("pub");
        for path in [&self.out, &public_path] {
            if path.exists() && !self.force {
                bail!("{} exists; use --force to replace it", path.display());
            }
        }
        let key = SecretKey::generate()?;
        write_private(&self.out, &key.to_pem()?)?;
        std::fs::write(&public_path, key.public().to_pem()?).with_context(|| format!("writing {}", public_path.display()))?;
        writeln!(std::io::stdout(), "{} (private: {}, public: {})", key.public().key_id(), self.out.display(), public_path.display())?;
        Ok(ExitCode::SUCCESS)
    }
}

fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::fs::OpenOptions;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(pem.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Sign policy components: writes `<component>.sig` beside each.
#[derive(Args)]
pub struct SignCommand {
    /// The components to sign.
    #[arg(required = true)]
    components: Vec<PathBuf>,
    /// The signer's private key (PEM, from `recguard keygen`).
    #[arg(long, short)]
    key: PathBuf,
    /// The role the signer signs as: the role the policy takes in the merge.
    #[arg(long, value_enum)]
    issuer: Role,
}

impl SignCommand {
    /// Loads each component (to read its descriptor), signs its manifest, writes the envelope.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let key = SecretKey::read(&self.key)?;
        let runtime = super::runtime()?;
        let mut out = std::io::stdout().lock();
        for path in &self.components {
            let component = PolicyComponent::load_bytes(&runtime, &read(path)?, &path.display().to_string())?;
            let envelope = component.sign(self.issuer.into(), &key);
            let sig = signature_path(&path.display().to_string());
            // Written whole then renamed, so that a reader never sees half an envelope.
            let partial = sig.with_extension("sig.partial");
            std::fs::write(&partial, envelope.to_json()).with_context(|| format!("writing {}", partial.display()))?;
            std::fs::rename(&partial, &sig).with_context(|| format!("writing {}", sig.display()))?;
            let descriptor = component.descriptor();
            writeln!(out, "signed {} {} ({}) as {} with {}: {}", descriptor.name, descriptor.version, component.digest(), Issuer::from(self.issuer), key.public().key_id(), sig.display())?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Check a component's signature against public keys; exit 1 if it does not verify.
#[derive(Args)]
pub struct VerifyCommand {
    /// The component (its signature is `<component>.sig`).
    component: PathBuf,
    /// Public keys trusted as a regulator's.
    #[arg(long = "regulator-key")]
    regulator_keys: Vec<PathBuf>,
    /// Public keys trusted as the provider's.
    #[arg(long = "provider-key")]
    provider_keys: Vec<PathBuf>,
}

impl VerifyCommand {
    /// Prints the verified manifest, or which check failed.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        if self.regulator_keys.is_empty() && self.provider_keys.is_empty() {
            bail!("give the keys to trust: --regulator-key and/or --provider-key");
        }
        let read_keys = |paths: &[PathBuf]| paths.iter().map(|p| PublicKey::read(p)).collect::<Result<Vec<_>, _>>();
        let trusted = TrustedKeys { regulator: read_keys(&self.regulator_keys)?, provider: read_keys(&self.provider_keys)? };
        let origin = self.component.display().to_string();
        let sig = signature_path(&origin);
        let Some(envelope) = Envelope::read(&sig)? else {
            writeln!(std::io::stdout(), "{origin}: NOT SIGNED (no {})", sig.display())?;
            return Ok(ExitCode::from(1));
        };
        let digest = recguard_host::sha256_digest(&read(&self.component)?);
        let mut out = std::io::stdout().lock();
        match verify_policy(&envelope, &digest, &trusted) {
            Ok(verified) => {
                let m = &verified.manifest;
                writeln!(out, "{origin}: OK {} {} issued by the {}, signed by {} at {}", m.name, m.version, m.issuer, verified.key_id, m.signed_at)?;
                writeln!(out, "  component {}\n  articles  {}", m.component, m.articles.join(", "))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => {
                writeln!(out, "{origin}: REFUSED: {error}")?;
                Ok(ExitCode::from(1))
            }
        }
    }
}
