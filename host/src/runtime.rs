//! The shared wasmtime engine: compilation settings, the pooling allocator,
//! the epoch ticker that enforces deadlines, and the per-evaluation store
//! with its resource limits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wasmtime::component::{Linker, LinkerInstance};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy, ResourceLimiter};

use crate::cache::CompileCache;
use crate::decision::LogLevel;
use crate::outcome::LogLine;
use crate::error::{LoadError, SettingsError};
use crate::options::{Limits, MAX_DEADLINE_MS};

/// How often the epoch advances; deadlines are enforced at this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Bytes at the start of each pooled memory and table reset in place between instances.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;
/// Slots decommitted together, to share the cost of one TLB flush.
const DECOMMIT_BATCH: usize = 8;

/// The interface name of the host's import, as a component sees it.
pub const HOST_INTERFACE: &str = "recguard:policy/host@0.3.0";
/// The type-only interface every policy imports.
pub const TYPES_INTERFACE: &str = "recguard:policy/types@0.3.0";

/// Linear memories and tables one policy instance may have; the pool is
/// sized for this many per instance slot, and components that need more are
/// refused when loaded, so that an instance slot is all an evaluation waits for.
/// (4: a JavaScript or Python component has its interpreter's memory and a
/// small one or two for its build-time shims; the memory cap counts them together.)
pub(crate) const MEMORIES_PER_INSTANCE: u32 = 4;
pub(crate) const TABLES_PER_INSTANCE: u32 = 4;
const CORE_INSTANCES_PER_INSTANCE: u32 = 16;
/// The largest memory cap a runtime may allow: all a 32-bit memory can address.
const MAX_MEMORY_MIB: u64 = 4096;

/// Options for the shared engine (the config file's `[runtime]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct RuntimeOptions {
    /// Policy instances that may exist at once (pooling allocator slots).
    pub max_concurrent_instances: u32,
    /// The largest memory cap any policy may be given, in MiB (at most 4096).
    pub max_memory_mib: u64,
    /// Count fuel so that [`Limits::fuel`] can be enforced (costs some speed).
    pub fuel: bool,
    /// Keep compiled components in this directory, so that loading one again
    /// (another run, a restarted host) takes milliseconds; none: no cache.
    /// In a config file, relative to the file.
    pub cache_dir: Option<std::path::PathBuf>,
    /// Write `/tmp/perf-<pid>.map` naming every compiled function of every
    /// policy (wasmtime's perfmap profiler), so that `perf record` / `perf
    /// report` attribute samples to a policy's own functions instead of to
    /// anonymous JIT code. For profiling only: it writes a line per function.
    pub perf_map: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions { max_concurrent_instances: 256, max_memory_mib: 256, fuel: false, cache_dir: None, perf_map: false }
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

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("options", &self.inner.options).finish_non_exhaustive()
    }
}

struct RuntimeInner {
    engine: Engine,
    linker: Linker<StoreState>,
    options: RuntimeOptions,
    slots: Slots,
    cache: Option<CompileCache>,
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
        let refuse = |reason: String| LoadError::Engine { reason, source: None };
        if options.max_concurrent_instances == 0 {
            return Err(refuse("max-concurrent-instances must be at least 1".into()));
        }
        if !(1..=MAX_MEMORY_MIB).contains(&options.max_memory_mib) {
            return Err(refuse(format!(
                "max-memory-mib {} is outside 1..={MAX_MEMORY_MIB} (what a 32-bit memory can address)",
                options.max_memory_mib
            )));
        }
        let engine_error = |reason: &str, e: wasmtime::Error| LoadError::Engine { reason: reason.into(), source: Some(e.into()) };
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .concurrency_support(false)
            .epoch_interruption(true)
            .consume_fuel(options.fuel);
        if options.perf_map {
            config.profiler(ProfilingStrategy::PerfMap);
        }
        let mut pool = PoolingAllocationConfig::default();
        let slots = options.max_concurrent_instances;
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(CORE_INSTANCES_PER_INSTANCE))
            .total_memories(slots.saturating_mul(MEMORIES_PER_INSTANCE))
            .total_tables(slots.saturating_mul(TABLES_PER_INSTANCE))
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
        let engine = Engine::new(&config).map_err(|e| engine_error("wasmtime refused the configuration", e))?;

        let mut linker = Linker::new(&engine);
        link_host(&mut linker).map_err(|e| engine_error("linking the host's imports", e))?;

        let stop_ticker = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.clone();
        let stop = stop_ticker.clone();
        std::thread::Builder::new()
            .name("recguard-epoch".into())
            .spawn(move || {
                // The epoch counts ticks of wall time since the start, without
                // drift: each sleep runs to the next tick's instant (a sleep
                // overshoots by tens of µs, which would add up over a deadline),
                // and a late wake-up counts every tick it missed.
                let started = Instant::now();
                let tick_ns = EPOCH_TICK.as_nanos() as u64;
                let mut ticks: u64 = 0;
                while !stop.load(Ordering::Relaxed) {
                    let next = started + Duration::from_nanos(tick_ns.saturating_mul(ticks + 1));
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let due = (started.elapsed().as_nanos() / u128::from(tick_ns)) as u64;
                    while ticks < due {
                        ticker_engine.increment_epoch();
                        ticks += 1;
                    }
                }
            })
            .map_err(|e| LoadError::Engine { reason: "starting the epoch thread".into(), source: Some(e.into()) })?;

        let cache = match &options.cache_dir {
            Some(dir) => Some(CompileCache::open(dir, &engine).map_err(|e| LoadError::Engine {
                reason: format!("cannot open the compile cache {}", dir.display()),
                source: Some(e.into()),
            })?),
            None => None,
        };
        let slots = Slots::new(slots);
        Ok(Runtime { inner: Arc::new(RuntimeInner { engine, linker, options, slots, cache, stop_ticker }) })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn linker(&self) -> &Linker<StoreState> {
        &self.inner.linker
    }

    pub(crate) fn cache(&self) -> Option<&CompileCache> {
        self.inner.cache.as_ref()
    }

    /// The options the runtime was created with.
    pub fn options(&self) -> &RuntimeOptions {
        &self.inner.options
    }

    /// True if both are clones of one runtime.
    pub fn same(&self, other: &Runtime) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Waits up to `timeout` for an instance slot; if none came free, how long it waited.
    pub(crate) fn slot(&self, timeout: Duration) -> Result<SlotGuard<'_>, Duration> {
        self.inner.slots.acquire(timeout)
    }

    /// Checks that `limits` can be enforced by this runtime, for a policy
    /// whose memory starts at `initial_memory_bytes`; names the limit that cannot.
    pub(crate) fn check_limits(
        &self,
        policy: &str,
        limits: &Limits,
        initial_memory_bytes: u64,
    ) -> Result<(), SettingsError> {
        let refuse = |limit, message: String| Err(SettingsError::Limits { policy: policy.to_string(), limit, message });
        let max_mib = self.inner.options.max_memory_mib;
        if limits.memory_mib > max_mib {
            return refuse("memory-mib", format!("{} is above the runtime's max-memory-mib of {max_mib}", limits.memory_mib));
        }
        if (limits.memory_bytes() as u64) < initial_memory_bytes {
            return refuse(
                "memory-mib",
                format!(
                    "{} is below the {:.1} MiB the policy's memory starts with; no evaluation could run",
                    limits.memory_mib,
                    initial_memory_bytes as f64 / (1024.0 * 1024.0)
                ),
            );
        }
        if !(1..=MAX_DEADLINE_MS).contains(&limits.deadline_ms) {
            return refuse("deadline-ms", format!("{} is outside 1..={MAX_DEADLINE_MS}", limits.deadline_ms));
        }
        match limits.fuel {
            Some(_) if !self.inner.options.fuel => {
                refuse("fuel", "needs fuel counting enabled on the runtime ([runtime] fuel = true)".into())
            }
            Some(0) => refuse("fuel", "0 leaves the policy no instruction to run".into()),
            _ => Ok(()),
        }?;
        if limits.max_effects == Some(0) {
            return refuse("max-effects", "0 would refuse even a decision that changes nothing but cites a finding".into());
        }
        Ok(())
    }
}

/// The deadline in epoch ticks (at least one whole deadline, never zero).
/// `deadline_ms` is checked to be at most [`MAX_DEADLINE_MS`] when a chain is
/// built; the arithmetic saturates all the same.
pub(crate) fn deadline_ticks(limits: &Limits) -> u64 {
    let tick_ms = EPOCH_TICK.as_millis() as u64;
    limits.deadline_ms.min(MAX_DEADLINE_MS).div_ceil(tick_ms).max(1).saturating_add(1)
}

/// Counts the runtime's instance slots, so that an evaluation waits for a
/// free one instead of failing in the pooling allocator.
struct Slots {
    state: Mutex<SlotCount>,
    freed: Condvar,
}

/// The free slots, and how many evaluations wait for one (only then does
/// freeing a slot wake anyone: a wake-up is a system call).
struct SlotCount {
    free: u32,
    waiting: u32,
}

/// A held instance slot; dropping it frees the slot. Drop it after the store.
pub(crate) struct SlotGuard<'a> {
    slots: &'a Slots,
    /// How long the evaluation waited for it (zero if one was free).
    pub waited: Duration,
}

impl Slots {
    fn new(total: u32) -> Self {
        Slots { state: Mutex::new(SlotCount { free: total, waiting: 0 }), freed: Condvar::new() }
    }

    /// A free slot, waiting up to `timeout` for one; else how long it waited.
    fn acquire(&self, timeout: Duration) -> Result<SlotGuard<'_>, Duration> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut waited = Duration::ZERO;
        if state.free == 0 {
            let started = Instant::now();
            state.waiting += 1;
            while state.free == 0 {
                waited = started.elapsed();
                let left = timeout.saturating_sub(waited);
                if left.is_zero() {
                    state.waiting -= 1;
                    return Err(waited);
                }
                state = self.freed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
            }
            state.waiting -= 1;
            waited = started.elapsed();
        }
        state.free -= 1;
        Ok(SlotGuard { slots: self, waited })
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.slots.state.lock().unwrap_or_else(|e| e.into_inner());
        state.free += 1;
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.slots.freed.notify_one();
        }
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

/// The state of one evaluation's store.
pub(crate) struct StoreState {
    pub limiter: MemoryLimiter,
    pub logs: Vec<LogLine>,
    pub logs_dropped: u32,
}

impl StoreState {
    pub fn new(limits: &Limits) -> Self {
        StoreState {
            limiter: MemoryLimiter { max_bytes: limits.memory_bytes(), used_bytes: 0 },
            logs: Vec::new(),
            logs_dropped: 0,
        }
    }
}

/// The error a store raises when a policy asks for more memory than its cap.
#[derive(Debug, thiserror::Error)]
#[error("linear memory would grow to {requested} bytes (all its memories together), above the cap of {limit} bytes")]
pub(crate) struct MemoryLimitHit {
    pub requested: usize,
    pub limit: usize,
}

/// Caps the linear memory of one policy instance, all its memories together;
/// growth past the cap traps with [`MemoryLimitHit`].
pub(crate) struct MemoryLimiter {
    max_bytes: usize,
    /// Bytes of all the instance's memories so far (each memory's creation
    /// counts as growth from zero).
    used_bytes: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.used_bytes.saturating_add(desired.saturating_sub(current));
        if total > self.max_bytes {
            return Err(MemoryLimitHit { requested: total, limit: self.max_bytes }.into());
        }
        self.used_bytes = total;
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
