//! `recguard serve --config recguard.toml [--listen 127.0.0.1:8181]`: the
//! sidecar (`recguard-server`), until SIGTERM or SIGINT.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use recguard_server::ServerOptions;

/// Serve the chain over HTTP.
#[derive(Args)]
pub struct ServeCommand {
    /// The chain configuration (TOML).
    #[arg(long, short)]
    config: PathBuf,
    /// Address to listen on; port 0 picks a free one (printed at start).
    #[arg(long, default_value = "127.0.0.1:8181")]
    listen: SocketAddr,
    /// Evaluations running at once; default: the cores.
    #[arg(long)]
    workers: Option<usize>,
    /// Evaluations waiting for a worker at most (beyond: 503 with Retry-After); default: 4 per core.
    #[arg(long)]
    queue: Option<usize>,
    /// The largest request body in bytes (beyond: 413).
    #[arg(long, default_value_t = recguard_host::MAX_REQUEST_BYTES as usize)]
    max_body_bytes: usize,
}

impl ServeCommand {
    /// Loads the chain, binds, prints `listening on http://<address>`, serves until told to stop.
    pub fn execute(self) -> Result<ExitCode> {
        let chain = Arc::new(super::chain_from_config(&self.config)?);
        let defaults = ServerOptions::default();
        let options = ServerOptions {
            workers: self.workers.unwrap_or(defaults.workers),
            queue: self.queue.unwrap_or(defaults.queue),
            max_body_bytes: self.max_body_bytes,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
        runtime.block_on(async {
            let listener = recguard_server::bind(self.listen).await.with_context(|| format!("cannot listen on {}", self.listen))?;
            let address = listener.local_addr()?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "recguard: listening on http://{address} ({} policies)", chain.policies().count())?;
            out.flush()?;
            drop(out);
            recguard_server::serve(listener, chain, options, recguard_server::termination()).await.context("serving")
        })?;
        Ok(ExitCode::SUCCESS)
    }
}
