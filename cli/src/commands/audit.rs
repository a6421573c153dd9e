//! `recguard audit verify | export | prune` and `recguard replay`: checking a
//! receipt log (a provider's store, or an export a regulator was given),
//! exporting a period of it, pruning past the retention, and replaying
//! receipts with the very components and settings that decided.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use recguard_host::signing::{Envelope, PublicKey};
use recguard_host::{verify_log, AuditLog, Replayer, StoredReceipt, Verification, MIN_RETENTION_DAYS};
use serde::{Deserialize, Serialize};

/// Check, export or prune a receipt log.
#[derive(Args)]
pub struct AuditCommand {
    #[command(subcommand)]
    action: AuditAction,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Walk the chain of receipts and the signed checkpoints; name the first broken link (exit 1).
    Verify(VerifyArgs),
    /// Write receipts and their checkpoints as JSON Lines, for a regulator to verify.
    Export(ExportArgs),
    /// Delete receipts older than the retention, up to a signed checkpoint.
    Prune(PruneArgs),
}

#[derive(Args)]
struct VerifyArgs {
    /// The provider's receipt store (SQLite).
    #[arg(long, conflicts_with = "export", required_unless_present = "export")]
    store: Option<PathBuf>,
    /// An export (JSON Lines) instead of a store.
    #[arg(long)]
    export: Option<PathBuf>,
    /// The provider's public key(s), which sign the checkpoints.
    #[arg(long = "provider-key")]
    provider_keys: Vec<PathBuf>,
}

#[derive(Args)]
struct ExportArgs {
    /// The receipt store (SQLite).
    #[arg(long)]
    store: PathBuf,
    /// First time (RFC 3339, e.g. 2026-11-01T00:00:00Z, or ms since the epoch); default: the beginning.
    #[arg(long)]
    from: Option<String>,
    /// Last time (as `--from`); default: now.
    #[arg(long)]
    to: Option<String>,
    /// Where to write; default: standard output.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct PruneArgs {
    /// The receipt store (SQLite).
    #[arg(long)]
    store: PathBuf,
    /// Keep receipts younger than this many days (at least 180).
    #[arg(long, default_value_t = MIN_RETENTION_DAYS)]
    retention_days: u64,
}

/// One line of an export.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum ExportLine {
    /// A signed checkpoint.
    Checkpoint(Envelope),
    /// A receipt, its body exactly as hashed.
    Receipt(StoredReceipt),
}

impl AuditCommand {
    /// Runs the chosen action.
    pub fn execute(self) -> Result<ExitCode> {
        match self.action {
            AuditAction::Verify(args) => verify(args),
            AuditAction::Export(args) => export(args),
            AuditAction::Prune(args) => prune(args),
        }
    }
}

fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let keys = args.provider_keys.iter().map(|p| PublicKey::read(p)).collect::<Result<Vec<_>, _>>()?;
    let (source, report) = match (&args.store, &args.export) {
        (Some(store), _) => {
            let log = AuditLog::open(store)?;
            let checkpoints: Vec<Envelope> = log.checkpoints()?.into_iter().map(|(_, e)| e).collect();
            (store.display().to_string(), verify_log(log.all_receipts()?, &checkpoints, &keys))
        }
        (None, Some(export)) => {
            let (receipts, checkpoints) = read_export(export)?;
            (export.display().to_string(), verify_log(receipts, &checkpoints, &keys))
        }
        (None, None) => bail!("give --store or --export"),
    };
    let mut out = std::io::stdout().lock();
    print_report(&mut out, &source, &report, keys.is_empty())?;
    Ok(if report.broken.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn print_report(out: &mut impl Write, source: &str, report: &Verification, no_keys: bool) -> Result<()> {
    let range = match (report.first, report.last) {
        (Some(first), Some(last)) => format!("receipts {first}..{last}"),
        _ => "no receipts".to_string(),
    };
    match &report.broken {
        None => writeln!(out, "{source}: OK, {} {range} chained, {} signed checkpoints match", report.receipts, report.checkpoints)?,
        Some(broken) => writeln!(out, "{source}: BROKEN at {broken} (checked {} {range} before it)", report.receipts)?,
    }
    if let Some(anchor) = report.anchored_at {
        writeln!(out, "  starts from the signed checkpoint at receipt {anchor} (older receipts pruned)")?;
    }
    if report.unanchored_tail > 0 {
        writeln!(out, "  {} receipts after the last checkpoint rest on the hash chain alone", report.unanchored_tail)?;
    }
    if no_keys {
        writeln!(out, "  no --provider-key given: the signed checkpoints were not checked")?;
    }
    Ok(())
}

fn read_export(path: &PathBuf) -> Result<(Vec<StoredReceipt>, Vec<Envelope>)> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (mut receipts, mut checkpoints) = (Vec::new(), Vec::new());
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line).with_context(|| format!("{} line {}", path.display(), i + 1))? {
            ExportLine::Checkpoint(envelope) => checkpoints.push(envelope),
            ExportLine::Receipt(receipt) => receipts.push(receipt),
        }
    }
    Ok((receipts, checkpoints))
}

/// Milliseconds since the epoch of an RFC 3339 time or a number of ms.
fn parse_time(text: &str) -> Result<u64> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let time = humantime::parse_rfc3339_weak(text).with_context(|| format!("'{text}' is neither RFC 3339 nor ms since the epoch"))?;
    Ok(time.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64))
}

fn export(args: ExportArgs) -> Result<ExitCode> {
    let log = AuditLog::open(&args.store)?;
    let from = args.from.as_deref().map(parse_time).transpose()?.unwrap_or(0);
    let to = args.to.as_deref().map(parse_time).transpose()?.unwrap_or(u64::MAX >> 1);
    let Some((first, last)) = log.seq_range(from, to)? else {
        bail!("no receipt was recorded in that period");
    };
    // Start right after the last checkpoint before the period, so that the
    // export is anchored to a signed head (or at the log's beginning).
    let checkpoints = log.checkpoints()?;
    let start = checkpoints.iter().map(|(seq, _)| *seq).filter(|seq| *seq < first).max().map_or(0, |seq| seq + 1);
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let receipts = log.receipts(start, last)?;
    let end = receipts.last().map_or(last, |r| r.seq);
    // The checkpoints the export's receipts can be checked against, and the anchor before them.
    for (seq, envelope) in checkpoints {
        if seq + 1 >= start && seq <= end {
            writeln!(out, "{}", serde_json::to_string(&ExportLine::Checkpoint(envelope))?)?;
        }
    }
    let count = receipts.len();
    let start = receipts.first().map_or(start, |r| r.seq);
    for receipt in receipts {
        writeln!(out, "{}", serde_json::to_string(&ExportLine::Receipt(receipt))?)?;
    }
    out.flush()?;
    if args.out.is_some() {
        writeln!(std::io::stdout(), "exported {count} receipts ({start}..{end}; the period's are {first}..{last})")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn prune(args: PruneArgs) -> Result<ExitCode> {
    let mut log = AuditLog::open(&args.store)?;
    let (deleted, anchor) = log.prune(args.retention_days, recguard_host::system_ms())?;
    let anchor = anchor.map_or("the log's first receipt".to_string(), |seq| format!("the signed checkpoint at receipt {seq}"));
    writeln!(std::io::stdout(), "pruned {deleted} receipts older than {} days; the log verifies from {anchor}", args.retention_days)?;
    Ok(ExitCode::SUCCESS)
}

/// Re-evaluate receipts with the very components, settings and options that decided them.
#[derive(Args)]
pub struct ReplayCommand {
    /// The receipt to replay (its sequence number).
    seq: u64,
    /// Replay every receipt from `seq` to this one.
    #[arg(long)]
    to: Option<u64>,
    /// The receipt store (SQLite); its components are kept beside it.
    #[arg(long)]
    store: PathBuf,
}

impl ReplayCommand {
    /// Prints `identical`, `NOT REPRODUCIBLE` (a wall-clock limit was hit) or
    /// `DIFFERS` with the differences for each receipt; exit 1 unless all are identical.
    pub fn execute(self) -> Result<ExitCode> {
        let log = AuditLog::open(&self.store)?;
        let runtime = super::runtime()?;
        let mut replayer = Replayer::new(&log, &runtime);
        let mut out = std::io::stdout().lock();
        let mut differing = 0;
        for seq in self.seq..=self.to.unwrap_or(self.seq) {
            let replayed = replayer.replay(seq)?;
            if replayed.identical() {
                writeln!(out, "receipt {seq}: identical")?;
            } else if replayed.not_reproducible() {
                differing += 1;
                let policies = replayed.wall_clock_limited.join(", ");
                writeln!(
                    out,
                    "receipt {seq}: NOT REPRODUCIBLE: {policies} stopped at a wall-clock deadline (recorded or replayed); \
                     how far a policy gets before one depends on the machine's load, so this outcome cannot be checked \
                     by replay (raise the deadline, or set a fuel limit, which replays exactly)"
                )?;
                for difference in &replayed.differences {
                    writeln!(out, "  {difference}")?;
                }
            } else {
                differing += 1;
                writeln!(out, "receipt {seq}: DIFFERS")?;
                for difference in &replayed.differences {
                    writeln!(out, "  {difference}")?;
                }
            }
        }
        Ok(if differing > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
    }
}
