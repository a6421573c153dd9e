//! The shared wasmtime engine: compilation settings, the pooling allocator,
//! the epoch ticker that enforces deadlines, and the per-evaluation store
//! with its resource limits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wasmtime::component::{Linker, LinkerInstance};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter};

use crate::decision::LogLevel;
use crate::error::LoadError;

/// How often the epoch advances; deadlines are enforced at this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Bytes at the start of each pooled memory and table reset in place between instances.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;
/// Slots decommitted together, to share the cost of one TLB flush.
const DECOMMIT_BATCH: usize = 8;

/// The interface name of the host's import, as a component sees it.
pub const HOST_INTERFACE: &str = "recguard:policy/host@0.1.0";
/// The type-only interface every policy imports.
pub const TYPES_INTERFACE: &str = "recguard:policy/types@0.1.0";

/// Per-evaluation limits on a policy. A policy that exceeds one is stopped;
/// the host carries on and the outcome says which limit was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock deadline for one evaluation (instantiate and call), in milliseconds.
    pub deadline_ms: u64,
    /// Cap on the policy's linear memory, in MiB.
    pub memory_mib: u64,
    /// Optional instruction budget (wasmtime fuel); needs fuel enabled on the runtime.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { deadline_ms: 50, memory_mib: 64, fuel: None }
    }
}

impl Limits {
    /// The memory cap in bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1024 * 1024)
    }

    /// The deadline in epoch ticks (at least one whole deadline, never zero).
    pub(crate) fn deadline_ticks(&self) -> u64 {
        let tick_ms = EPOCH_TICK.as_millis() as u64;
        self.deadline_ms.div_ceil(tick_ms).max(1) + 1
    }
}

/// Options for the shared engine.
#[derive(Clone, Debug)]
pub struct RuntimeOptions {
    /// Policy instances that may exist at once (pooling allocator slots).
    pub max_concurrent_instances: u32,
    /// The largest memory cap any policy may be given, in MiB.
    pub max_memory_mib: u64,
    /// Count fuel so that [`Limits::fuel`] can be enforced (costs some speed).
    pub fuel: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions { max_concurrent_instances: 256, max_memory_mib: 256, fuel: false }
    }
}

/// The compiled-code engine shared by every policy and chain.
///
/// Cheap to clone. A background thread advances the epoch every
/// [`EPOCH_TICK`] while any clone is alive.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    engine: Engine,
    linker: Linker<StoreState>,
    options: RuntimeOptions,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for RuntimeInner {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// Creates the engine with epoch interruption, the pooling allocator and
    /// component-model concurrency off, and links the host's imports.
    pub fn new(options: RuntimeOptions) -> Result<Self, LoadError> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .concurrency_support(false)
            .epoch_interruption(true)
            .consume_fuel(options.fuel);
        let mut pool = PoolingAllocationConfig::default();
        let slots = options.max_concurrent_instances.max(1);
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(4))
            .total_memories(slots.saturating_mul(2))
            .total_tables(slots.saturating_mul(4))
            .max_memory_size((options.max_memory_mib as usize).saturating_mul(1024 * 1024))
            .decommit_batch_size(DECOMMIT_BATCH);
        if kernel_has_pagemap_scan() {
            // Reset a reused slot by rewriting only the pages the last instance
            // dirtied, instead of madvise, whose TLB shootdowns dominated the
            // per-request cost (25 µs → 16 µs for the no-op policy). Without
            // PAGEMAP_SCAN, keeping pages resident would memset them all, which
            // is slower than madvise, so the default is kept there.
            pool.pagemap_scan(Enabled::Yes)
                .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
                .table_keep_resident(KEEP_RESIDENT_BYTES);
        }
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| LoadError::Engine(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        link_host(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;

        let stop_ticker = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.clone();
        let stop = stop_ticker.clone();
        std::thread::Builder::new()
            .name("recguard-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticker_engine.increment_epoch();
                }
            })
            .map_err(|e| LoadError::Engine(format!("starting the epoch thread: {e}")))?;

        Ok(Runtime { inner: Arc::new(RuntimeInner { engine, linker, options, stop_ticker }) })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn linker(&self) -> &Linker<StoreState> {
        &self.inner.linker
    }

    /// The options the runtime was created with.
    pub fn options(&self) -> &RuntimeOptions {
        &self.inner.options
    }

    /// Checks that `limits` can be enforced by this runtime.
    pub fn check_limits(&self, limits: &Limits) -> Result<(), String> {
        if limits.memory_mib > self.inner.options.max_memory_mib {
            return Err(format!(
                "memory-mib {} is above the runtime's maximum of {} MiB",
                limits.memory_mib, self.inner.options.max_memory_mib
            ));
        }
        if limits.deadline_ms == 0 {
            return Err("deadline-ms must be at least 1".into());
        }
        if limits.fuel.is_some() && !self.inner.options.fuel {
            return Err("a fuel limit needs fuel counting enabled on the runtime ([runtime] fuel = true)".into());
        }
        Ok(())
    }
}

/// Whether the running kernel has the PAGEMAP_SCAN ioctl (Linux 6.7 and later).
fn kernel_has_pagemap_scan() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else { return false };
    let mut numbers = release.trim().split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u32>().ok());
    matches!((numbers.next(), numbers.next()), (Some(major), Some(minor)) if (major, minor) >= (6, 7))
}

/// The most log lines one evaluation keeps, and the longest line.
const MAX_LOG_LINES: usize = 64;
const MAX_LOG_LINE: usize = 1024;

/// A line a policy logged during an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// The text, cut to 1 KiB.
    pub message: String,
}

/// The state of one evaluation's store.
pub(crate) struct StoreState {
    pub limiter: MemoryLimiter,
    pub logs: Vec<LogLine>,
    pub logs_dropped: u32,
}

impl StoreState {
    pub fn new(limits: &Limits) -> Self {
        StoreState {
            limiter: MemoryLimiter { max_bytes: limits.memory_bytes() },
            logs: Vec::new(),
            logs_dropped: 0,
        }
    }
}

/// The error a store raises when a policy asks for more memory than its cap.
#[derive(Debug, thiserror::Error)]
#[error("linear memory would grow to {requested} bytes, above the cap of {limit} bytes")]
pub(crate) struct MemoryLimitHit {
    pub requested: usize,
    pub limit: usize,
}

/// Caps linear memory; growth past the cap traps with [`MemoryLimitHit`].
pub(crate) struct MemoryLimiter {
    max_bytes: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            return Err(MemoryLimitHit { requested: desired, limit: self.max_bytes }.into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

fn link_host(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    // The types interface carries no functions; it must still be present.
    linker.instance(TYPES_INTERFACE)?;
    let mut host: LinkerInstance<'_, StoreState> = linker.instance(HOST_INTERFACE)?;
    host.func_wrap("log", |mut store, (level, message): (LogLevel, String)| {
        let state = store.data_mut();
        if state.logs.len() >= MAX_LOG_LINES {
            state.logs_dropped += 1;
        } else {
            let mut message = message;
            if message.len() > MAX_LOG_LINE {
                let mut cut = MAX_LOG_LINE;
                while !message.is_char_boundary(cut) {
                    cut -= 1;
                }
                message.truncate(cut);
            }
            state.logs.push(LogLine { level, message });
        }
        Ok(())
    })?;
    Ok(())
}
