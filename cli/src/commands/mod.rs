//! One module per subcommand, each a clap struct with `execute()`.

use std::process::ExitCode;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use recguard_host::{Chain, Runtime, RuntimeOptions};

mod audit;
mod bench;
mod build;
mod eval;
mod inspect;
mod new;
mod serve;
mod signing;
mod summary;
mod test;

/// recguard: a WebAssembly policy runtime for recommendation systems.
#[derive(Parser)]
#[command(name = "recguard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate requests through the chain a config file describes; prints each outcome (JSON, or a summary).
    Eval(eval::EvalCommand),
    /// Print what a policy component describes, and its WIT.
    Inspect(inspect::InspectCommand),
    /// Run a policy's test vectors against its compiled component.
    Test(test::TestCommand),
    /// Start a policy project in Rust, JavaScript or Python.
    New(new::NewCommand),
    /// Build a policy project (Rust, JavaScript or Python) into a checked component.
    Build(build::BuildCommand),
    /// Measure the time per request through a chain, in total and per policy.
    Bench(bench::BenchCommand),
    /// Make an ed25519 key pair for signing policies (and audit checkpoints).
    Keygen(signing::KeygenCommand),
    /// Sign policy components as their issuer: writes `<component>.sig` beside each.
    Sign(signing::SignCommand),
    /// Check a component's signature against trusted public keys.
    Verify(signing::VerifyCommand),
    /// Check, export or prune a receipt log.
    Audit(audit::AuditCommand),
    /// Re-evaluate recorded receipts and report `identical` or the difference.
    Replay(audit::ReplayCommand),
    /// Serve the chain over HTTP (the sidecar), until SIGTERM.
    Serve(serve::ServeCommand),
}

/// Where the CLI keeps compiled components: `$RECGUARD_CACHE_DIR` (`off`
/// for none), else `$XDG_CACHE_HOME/recguard`, else `~/.cache/recguard`.
pub fn default_cache_dir() -> Option<PathBuf> {
    match std::env::var_os("RECGUARD_CACHE_DIR") {
        Some(dir) if dir == "off" || dir.is_empty() => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|dir| dir.join("recguard")),
    }
}

/// A runtime with default options and the CLI's compile cache.
pub fn runtime() -> anyhow::Result<Runtime> {
    Ok(Runtime::new(RuntimeOptions { cache_dir: default_cache_dir(), ..RuntimeOptions::default() })?)
}

/// The chain a config file describes, on a runtime with the config's compile
/// cache (relative to the file) or else the CLI's.
pub fn chain_from_config(path: &Path) -> anyhow::Result<Chain> {
    chain_from_config_with(path, |_| {})
}

/// As [`chain_from_config`], with the runtime's options adjusted after the
/// file's are read (e.g. `bench --perf-map`).
pub fn chain_from_config_with(path: &Path, adjust: impl FnOnce(&mut RuntimeOptions)) -> anyhow::Result<Chain> {
    Ok(Chain::from_config_file_with(path, |options| {
        if options.cache_dir.is_none() {
            options.cache_dir = default_cache_dir();
        }
        adjust(options);
    })?)
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Eval(c) => c.execute(),
            Command::Inspect(c) => c.execute(),
            Command::Test(c) => c.execute(),
            Command::New(c) => c.execute(),
            Command::Build(c) => c.execute(),
            Command::Bench(c) => c.execute(),
            Command::Keygen(c) => c.execute(),
            Command::Sign(c) => c.execute(),
            Command::Verify(c) => c.execute(),
            Command::Audit(c) => c.execute(),
            Command::Replay(c) => c.execute(),
            Command::Serve(c) => c.execute(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
