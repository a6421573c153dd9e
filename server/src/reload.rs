//! Hot reload: a new chain is built off to the side and swapped in
//! atomically; requests in flight finish on the chain they started with. A
//! chain that fails to build (a bad file, settings its policy refuses, a
//! bad signature) is not swapped in: the last good chain keeps serving, and
//! `/readyz`, `/metrics` and the log say why.
//!
//! Triggers: SIGHUP, `POST /v1/reload` on the admin listener, and a change
//! to any file the chain was built from (polled: modification time and size).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use recguard_host::Chain;

use crate::metrics::Metrics;

/// Builds a chain, and names the files it was built from (to watch them).
pub type Loader = dyn Fn() -> Result<(Chain, Vec<PathBuf>), String> + Send + Sync;

/// The chain being served, and how it is replaced.
pub struct LiveChain {
    current: RwLock<Arc<Chain>>,
    loader: Arc<Loader>,
    /// Why the last reload failed, until one succeeds.
    last_failure: Mutex<Option<String>>,
    /// The files to watch, with what they were when last loaded.
    watched: Mutex<Vec<(PathBuf, Option<Fingerprint>)>>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    metrics: Arc<Metrics>,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// The new chain serves from now on.
    Swapped {
        /// Its policies.
        policies: usize,
    },
    /// The new chain failed to build; the last good one keeps serving.
    KeptLastGood {
        /// Why, in one line.
        reason: String,
    },
}

/// A file's modification time and size.
type Fingerprint = (SystemTime, u64);

fn fingerprint(path: &PathBuf) -> Option<Fingerprint> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl LiveChain {
    /// Builds the first chain with `loader`; errs (the server does not start) if it fails.
    pub fn start(loader: Arc<Loader>, metrics: Arc<Metrics>) -> Result<Arc<Self>, String> {
        let (chain, files) = loader()?;
        let live = LiveChain {
            current: RwLock::new(Arc::new(chain)),
            loader,
            last_failure: Mutex::new(None),
            watched: Mutex::new(Vec::new()),
            reloading: tokio::sync::Mutex::new(()),
            metrics,
        };
        live.watch(files);
        Ok(Arc::new(live))
    }

    /// A chain that never reloads (a library user's fixed chain).
    pub fn fixed(chain: Arc<Chain>, metrics: Arc<Metrics>) -> Arc<Self> {
        let loader: Arc<Loader> = Arc::new(|| Err("this server was started with a fixed chain: nothing to reload from".into()));
        Arc::new(LiveChain {
            current: RwLock::new(chain),
            loader,
            last_failure: Mutex::new(None),
            watched: Mutex::new(Vec::new()),
            reloading: tokio::sync::Mutex::new(()),
            metrics,
        })
    }

    /// The chain to evaluate a new request with.
    pub fn chain(&self) -> Arc<Chain> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Why the last reload failed, if it did and none succeeded since.
    pub fn last_failure(&self) -> Option<String> {
        self.last_failure.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn watch(&self, files: Vec<PathBuf>) {
        let watched = files.into_iter().map(|path| {
            let print = fingerprint(&path);
            (path, print)
        });
        *self.watched.lock().unwrap_or_else(|e| e.into_inner()) = watched.collect();
    }

    /// True if a watched file changed since it was last loaded.
    fn changed(&self) -> bool {
        self.watched.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|(path, print)| fingerprint(path) != *print)
    }

    /// Builds a new chain (on a blocking thread: compiling takes time) and
    /// swaps it in, or keeps the last good one. `why` names the trigger in the log.
    pub async fn reload(self: &Arc<Self>, why: &str) -> Reloaded {
        let _one_at_a_time = self.reloading.lock().await;
        let loader = self.loader.clone();
        let built = tokio::task::spawn_blocking(move || loader()).await.unwrap_or_else(|e| Err(format!("the reload stopped: {e}")));
        match built {
            Ok((chain, files)) => {
                let policies = chain.policies().count();
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(chain);
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
                self.watch(files);
                self.metrics.reload(true);
                tracing::info!(trigger = why, policies, "reloaded the chain");
                Reloaded::Swapped { policies }
            }
            Err(reason) => {
                let reason = crate::one_line(&reason);
                // The files as they are now: the next change triggers another try.
                let files = self.watched.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(p, _)| p.clone()).collect();
                self.watch(files);
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason.clone());
                self.metrics.reload(false);
                tracing::warn!(trigger = why, reason = %reason, "reload failed; the last good chain keeps serving");
                Reloaded::KeptLastGood { reason }
            }
        }
    }

    /// Reloads on SIGHUP, and when a watched file changes (checked every
    /// `interval`; `None`: not watched), until the future is dropped. The
    /// SIGHUP handler is installed when this is called (inside the runtime),
    /// so that a SIGHUP right after start reloads rather than ends the process.
    pub fn run_triggers(self: Arc<Self>, interval: Option<Duration>) -> impl std::future::Future<Output = ()> + Send + 'static {
        use tokio::signal::unix::{signal, SignalKind};
        let hangup = signal(SignalKind::hangup()).ok();
        self.triggered_by(hangup, interval)
    }

    async fn triggered_by(self: Arc<Self>, mut hangup: Option<tokio::signal::unix::Signal>, interval: Option<Duration>) {
        let mut ticks = interval.map(tokio::time::interval);
        loop {
            let hup = async {
                match hangup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            };
            let tick = async {
                match ticks.as_mut() {
                    Some(t) => t.tick().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = hup => {
                    self.reload("SIGHUP").await;
                }
                _ = tick => {
                    if self.changed() {
                        self.reload("a watched file changed").await;
                    }
                }
            }
        }
    }
}
