//! Decision receipts: what a chain records of each evaluation, how receipts
//! are chained by hash and anchored by signed checkpoints, and how a chain of
//! them is checked by someone who holds only the provider's public key.
//!
//! A receipt's body is JSON: `seq`, `recorded-at-ms`, the `chain` (digest of
//! the [`ChainRecord`]: which components, settings, options and keys), `prev`
//! (the previous receipt's hash), the `request` as evaluated and the
//! `outcome` (whose trace holds each policy's component and settings digest,
//! mode, status, findings, effects and failures). Its hash is the SHA-256 of
//! the body's bytes exactly as stored, so checking needs no canonical form.
//! A checkpoint is a DSSE envelope, signed with the provider's key, over
//! the hash of the receipt at `seq`.

use recguard_trust::{Envelope, PublicKey, SecretKey};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::component::sha256_hex;
pub use crate::error::AuditError;
use crate::options::{FailClosed, PolicyOptions};
use crate::outcome::Outcome;
use crate::request::Request;

/// The `prev` of the first receipt of a log.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// The DSSE payload type of an audit checkpoint.
pub const CHECKPOINT_PAYLOAD_TYPE: &str = "application/vnd.recguard.audit-checkpoint+json";

/// Where an evaluation's receipt goes. [`crate::AuditStore`] is the
/// embedded one (SQLite); a provider may write its own.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    /// Keeps what a receipt of `record` refers to (the chain's record, its
    /// components) before the chain's first receipt; `digest` is the record's.
    fn register(&self, digest: &str, record: &ChainRecord, components: &[ComponentFile<'_>]) -> Result<(), AuditError>;

    /// Appends the receipt of one evaluation. Returns its sequence number
    /// once it is durable, or `None` if the sink acknowledges before that
    /// (asynchronous durability). The request and the outcome are shared,
    /// not copied: a sink that writes later keeps them until then.
    fn append(&self, chain: &Arc<str>, request: Arc<Request>, outcome: Arc<Outcome>) -> Result<Option<u64>, AuditError>;
}

/// A component as a sink keeps it, to replay with exactly these bytes.
#[derive(Clone, Copy, Debug)]
pub struct ComponentFile<'a> {
    /// `sha256:<hex>` of the bytes.
    pub digest: &'a str,
    /// The component.
    pub bytes: &'a [u8],
    /// Its signature, if it has one.
    pub signature: Option<&'a Envelope>,
}

/// Everything about a chain that a replay needs besides the components'
/// bytes: each policy's component digest and options (settings included),
/// the fail-closed response, the chain's deadline and the keys it trusted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ChainRecord {
    /// The policies, in order.
    pub policies: Vec<PolicyRecord>,
    /// The fail-closed response.
    pub fail_closed: FailClosed,
    /// The chain's deadline, in milliseconds.
    pub deadline_ms: u64,
    /// Regulator public keys trusted (SPKI PEM).
    pub regulator_keys: Vec<String>,
    /// Provider public keys trusted (SPKI PEM).
    pub provider_keys: Vec<String>,
    /// Whether unsigned policies were allowed.
    pub allow_unsigned: bool,
}

impl ChainRecord {
    /// The record's digest, which each receipt names.
    pub fn digest(&self) -> String {
        sha256_hex(&serde_json::to_vec(self).expect("a chain record always serialises"))
    }
}

/// One policy of a [`ChainRecord`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyRecord {
    /// The component's digest.
    pub component: String,
    /// The options it ran with (name, issuer, mode, error policy, settings, limits).
    pub options: PolicyOptions,
}

/// A receipt as stored: its body (JSON text) and the hash of that text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    /// The sequence number.
    pub seq: u64,
    /// The body, exactly as hashed.
    pub body: String,
    /// `sha256:<hex>` of the body.
    pub hash: String,
}

/// The parts of a receipt's body, as read back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Receipt {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The host's wall-clock time when the receipt was written, ms since the epoch.
    pub recorded_at_ms: u64,
    /// Digest of the [`ChainRecord`] that evaluated.
    pub chain: String,
    /// The previous receipt's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// The request as evaluated.
    pub request: Request,
    /// The outcome as returned.
    pub outcome: Outcome,
}

impl StoredReceipt {
    /// Writes the body of receipt `seq` and hashes it.
    pub fn new(seq: u64, recorded_at_ms: u64, chain: &str, prev: &str, request: &Request, outcome: &Outcome) -> Self {
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct Body<'a> {
            seq: u64,
            recorded_at_ms: u64,
            chain: &'a str,
            prev: &'a str,
            request: &'a Request,
            outcome: &'a Outcome,
        }
        let body = serde_json::to_string(&Body { seq, recorded_at_ms, chain, prev, request, outcome })
            .expect("a receipt always serialises");
        let hash = sha256_hex(body.as_bytes());
        StoredReceipt { seq, body, hash }
    }

    /// The body, parsed.
    pub fn parse(&self) -> Result<Receipt, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("receipt {} is not a valid receipt: {e}", self.seq))
    }
}

/// What a checkpoint signs: the hash of the receipt at `seq`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Checkpoint {
    /// The receipt the checkpoint covers (and every one before it).
    pub seq: u64,
    /// That receipt's hash.
    pub head: String,
    /// When the checkpoint was signed, ms since the epoch.
    pub signed_at_ms: u64,
}

impl Checkpoint {
    /// The checkpoint signed with the provider's key.
    pub fn sign(&self, key: &SecretKey) -> Envelope {
        Envelope::sign(CHECKPOINT_PAYLOAD_TYPE, &serde_json::to_vec(self).expect("a checkpoint always serialises"), key)
    }

    /// The checkpoint in `envelope`, if signed by one of `keys`.
    pub fn open(envelope: &Envelope, keys: &[PublicKey]) -> Result<Checkpoint, String> {
        let (payload, _) = envelope.open(CHECKPOINT_PAYLOAD_TYPE, keys).map_err(|e| e.to_string())?;
        serde_json::from_slice(&payload).map_err(|e| format!("not a checkpoint: {e}"))
    }
}

/// The result of checking a log: how far it verified, and the first broken link.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Verification {
    /// Receipts whose hash and link were checked.
    pub receipts: u64,
    /// The first and last sequence numbers checked.
    pub first: Option<u64>,
    /// The last.
    pub last: Option<u64>,
    /// Checkpoints whose signature and head were checked.
    pub checkpoints: u64,
    /// The signed checkpoint the log starts from, when older receipts were pruned.
    pub anchored_at: Option<u64>,
    /// Receipts after the last checkpoint: protected by the hash chain alone
    /// (a holder of the database could rewrite them consistently).
    pub unanchored_tail: u64,
    /// The first broken link, if any: which receipt or checkpoint, and how.
    pub broken: Option<String>,
}

/// Checks receipts (in the order given, which must be by `seq`) and
/// checkpoints against the provider's public keys; names the first broken
/// link: a changed receipt (its hash), a deleted one (a gap in `seq` or a
/// `prev` that does not match), an inserted or reordered one (a `seq` out of
/// place), a checkpoint that is not signed by the provider or does not
/// match the chain. With no provider key, checkpoints are not checked (nor
/// used as anchors).
pub fn verify_log(
    receipts: impl IntoIterator<Item = StoredReceipt>,
    checkpoints: &[Envelope],
    provider_keys: &[PublicKey],
) -> Verification {
    let mut report = Verification::default();
    let mut heads = std::collections::BTreeMap::new();
    let checkpoints = if provider_keys.is_empty() { &[] } else { checkpoints };
    for (i, envelope) in checkpoints.iter().enumerate() {
        match Checkpoint::open(envelope, provider_keys) {
            Ok(checkpoint) => {
                heads.insert(checkpoint.seq, checkpoint.head);
            }
            Err(e) => {
                report.broken = Some(format!("checkpoint #{}: {e}", i + 1));
                return report;
            }
        }
    }
    let mut expected: Option<(u64, String)> = None;
    let mut last_checkpoint = None;
    for receipt in receipts {
        let broken = |why: String| Some(format!("receipt {}: {why}", receipt.seq));
        let (expect_seq, expect_prev) = match &expected {
            Some((seq, hash)) => (seq + 1, hash.clone()),
            None if receipt.seq == 1 => (1, GENESIS.to_string()),
            None => match heads.get(&(receipt.seq - 1)) {
                Some(head) => {
                    report.anchored_at = Some(receipt.seq - 1);
                    (receipt.seq, head.clone())
                }
                None => {
                    report.broken = broken(format!(
                        "the log starts here, but no signed checkpoint covers receipt {} (receipts before it were deleted without one)",
                        receipt.seq - 1
                    ));
                    return report;
                }
            },
        };
        if receipt.seq != expect_seq {
            let why = if receipt.seq > expect_seq {
                format!("expected receipt {expect_seq} next: receipts {expect_seq}..{} are missing (deleted)", receipt.seq - 1)
            } else {
                format!("out of order after receipt {} (inserted or reordered)", expect_seq - 1)
            };
            report.broken = broken(why);
            return report;
        }
        let hash = sha256_hex(receipt.body.as_bytes());
        if hash != receipt.hash {
            report.broken = broken("its body does not match its hash (changed after it was written)".into());
            return report;
        }
        let parsed = match receipt.parse() {
            Ok(parsed) => parsed,
            Err(e) => {
                report.broken = Some(e);
                return report;
            }
        };
        if parsed.seq != receipt.seq {
            report.broken = broken(format!("its body says it is receipt {} (moved)", parsed.seq));
            return report;
        }
        if parsed.prev != expect_prev {
            report.broken = broken("its `prev` is not the hash of the receipt before it (a receipt was changed, deleted or inserted before it)".into());
            return report;
        }
        if let Some(head) = heads.get(&receipt.seq) {
            if *head != hash {
                report.broken = broken("the signed checkpoint at this receipt holds another hash (the log was rewritten)".into());
                return report;
            }
            report.checkpoints += 1;
            last_checkpoint = Some(receipt.seq);
        }
        report.receipts += 1;
        report.first.get_or_insert(receipt.seq);
        report.last = Some(receipt.seq);
        expected = Some((receipt.seq, hash));
    }
    if let Some((&seq, _)) = heads.range(report.last.map_or(0, |l| l + 1)..).next() {
        if report.anchored_at != Some(seq) {
            report.broken = Some(format!(
                "checkpoint at receipt {seq}: the log ends at {} (receipts it covers were deleted)",
                report.last.map_or("no receipt".to_string(), |l| format!("receipt {l}"))
            ));
            return report;
        }
    }
    report.unanchored_tail = match (report.last, last_checkpoint) {
        (Some(last), Some(at)) => last - at,
        (Some(_), None) => report.receipts,
        _ => 0,
    };
    report
}
