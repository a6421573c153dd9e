//! `recguard serve --config recguard.toml [--listen 127.0.0.1:8181]`: the
//! sidecar (`recguard-server`), until SIGTERM or SIGINT. The chain reloads on
//! SIGHUP, on `POST /v1/reload` to `--admin-listen`, and when the config or
//! a file it names changes; a chain that fails to load leaves the last good
//! one serving.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use recguard_host::config::ChainConfig;
use recguard_server::{Listeners, ServerOptions};

/// Serve the chain over HTTP (JSON) and gRPC, on one port.
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
    #[arg(long, default_value_t = recguard_host::MAX_REQUEST_BYTES)]
    max_body_bytes: usize,
    /// Address of the admin listener (`POST /v1/reload`); none by default. Keep it on loopback.
    #[arg(long)]
    admin_listen: Option<SocketAddr>,
    /// How the log (standard error) is written: `text`, or `json` (one object per line).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// How often to check the config and the files it names for changes, in
    /// milliseconds; 0: never (reload on SIGHUP or `POST /v1/reload` only).
    #[arg(long, default_value_t = 2000)]
    watch_interval_ms: u64,
}

/// The log's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logs `info` and above to standard error, as text or JSON lines.
fn start_logging(format: LogFormat) {
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::INFO);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

impl ServeCommand {
    /// Loads the chain, binds, prints `listening on http://<address>`, serves until told to stop.
    pub fn execute(self) -> Result<ExitCode> {
        start_logging(self.log_format);
        let config = self.config.clone();
        let loader: Arc<recguard_server::Loader> = Arc::new(move || {
            let files = ChainConfig::read(&config).map(|c| c.files(&config)).unwrap_or_else(|_| vec![config.clone()]);
            let chain = super::chain_from_config(&config).map_err(|e| format!("{e:#}"))?;
            Ok((chain, files))
        });
        let defaults = ServerOptions::default();
        let options = ServerOptions {
            workers: self.workers.unwrap_or(defaults.workers),
            queue: self.queue.unwrap_or(defaults.queue),
            max_body_bytes: self.max_body_bytes,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
        runtime.block_on(async {
            let api = recguard_server::bind(self.listen).await.with_context(|| format!("cannot listen on {}", self.listen))?;
            let admin = match self.admin_listen {
                Some(address) => Some(
                    recguard_server::bind(address).await.with_context(|| format!("cannot listen on {address} (admin)"))?,
                ),
                None => None,
            };
            let address = api.local_addr()?;
            let admin_address = admin.as_ref().map(|a| a.local_addr()).transpose()?;
            let watch_interval = (self.watch_interval_ms > 0).then(|| Duration::from_millis(self.watch_interval_ms));
            let listeners = Listeners { api, admin, watch_interval };
            // The first chain loads before the address is printed: a client
            // that waits for the line finds the server ready.
            let (ready, announced) = tokio::sync::oneshot::channel::<()>();
            let announce = async move {
                if announced.await.is_ok() {
                    let mut out = std::io::stdout().lock();
                    let _ = match admin_address {
                        Some(admin) => writeln!(out, "recguard: listening on http://{address} (JSON and gRPC; admin http://{admin})"),
                        None => writeln!(out, "recguard: listening on http://{address} (JSON and gRPC)"),
                    };
                    let _ = out.flush();
                }
            };
            let serving = recguard_server::serve_reloading(listeners, loader, options, recguard_server::termination(), ready);
            let (result, ()) = tokio::join!(serving, announce);
            result
        })?;
        Ok(ExitCode::SUCCESS)
    }
}
