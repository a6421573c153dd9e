//! `recguard eval --config recguard.toml --request request.json`

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use recguard_host::{Chain, Request};

/// Evaluate one or more requests through a chain.
#[derive(Args)]
pub struct EvalCommand {
    /// The chain configuration (TOML).
    #[arg(long, short)]
    config: PathBuf,
    /// A request as JSON; `-` reads standard input. Repeat for several (the output is then an array).
    #[arg(long, short, required = true)]
    request: Vec<PathBuf>,
    /// Print compact JSON on one line.
    #[arg(long)]
    compact: bool,
}

impl EvalCommand {
    /// Loads the chain once, then evaluates each request in turn.
    pub fn execute(self) -> Result<ExitCode> {
        let chain = Chain::from_config_file(&self.config)?;
        let mut outcomes = Vec::with_capacity(self.request.len());
        for path in &self.request {
            let text = read_input(path)?;
            let request = Request::from_json(&text).with_context(|| format!("request {}", path.display()))?;
            outcomes.push(chain.evaluate(request)?);
        }
        // Serialised from the structs, so fields keep their documented order.
        let text = match (outcomes.as_slice(), self.compact) {
            ([one], true) => serde_json::to_string(one)?,
            ([one], false) => serde_json::to_string_pretty(one)?,
            (all, true) => serde_json::to_string(all)?,
            (all, false) => serde_json::to_string_pretty(all)?,
        };
        println!("{text}");
        Ok(ExitCode::SUCCESS)
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &PathBuf) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the request from standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read request {}", path.display()))
    }
}
