//! `recguard eval --config recguard.toml --request request.json [--format summary]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use recguard_host::{Outcome, Request};

use super::summary;
use crate::output;

/// Evaluate one or more requests through a chain.
#[derive(Args)]
pub struct EvalCommand {
    /// The chain configuration (TOML).
    #[arg(long, short)]
    config: PathBuf,
    /// A request as JSON; `-` reads standard input. Repeat for several (JSON output is then an array).
    #[arg(long, short, required = true)]
    request: Vec<PathBuf>,
    /// `json`: the whole outcome, for scripts; `summary`: a few lines per request, for people.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// With `--format json`: compact JSON on one line.
    #[arg(long)]
    compact: bool,
}

/// How outcomes are printed.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The outcome as JSON (the default).
    Json,
    /// Verdict, served and dropped counts, findings by code and article.
    Summary,
}

impl EvalCommand {
    /// Loads the chain once, then evaluates each request in turn.
    pub fn execute(self) -> Result<ExitCode> {
        let chain = super::chain_from_config(&self.config)?;
        let mut outcomes = Vec::with_capacity(self.request.len());
        for path in &self.request {
            let request = read_request(path).with_context(|| format!("request {}", path.display()))?;
            let outcome = chain.evaluate(&request).with_context(|| format!("request {}", path.display()))?;
            outcomes.push(outcome);
        }
        match self.format {
            Format::Json => output::line(json(&outcomes, self.compact)?)?,
            Format::Summary => {
                for outcome in &outcomes {
                    output::line(summary::of(outcome))?;
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// One outcome as an object, several as an array; serialised from the
/// structs, so fields keep their documented order.
fn json(outcomes: &[Outcome], compact: bool) -> Result<String> {
    Ok(match (outcomes, compact) {
        ([one], true) => serde_json::to_string(one)?,
        ([one], false) => serde_json::to_string_pretty(one)?,
        (all, true) => serde_json::to_string(all)?,
        (all, false) => serde_json::to_string_pretty(all)?,
    })
}

/// Reads a request from a file, or standard input for `-` (at most
/// `recguard_host::MAX_REQUEST_BYTES` either way).
pub fn read_request(path: &Path) -> Result<Request> {
    if path.as_os_str() == "-" {
        return Ok(Request::from_reader(std::io::stdin().lock())?);
    }
    let file = std::fs::File::open(path).with_context(|| format!("cannot read request {}", path.display()))?;
    Ok(Request::from_reader(file)?)
}
