//! Calling into a fresh instance of a compiled policy under limits: waiting
//! for an instance slot, instantiating in a new store with the deadline, the
//! memory cap and fuel, running the call, and saying which limit stopped it.
//! Every call a policy gets (`describe`, `validate-settings`, `evaluate`)
//! goes through here, so that every one is bounded the same way.

use std::time::{Duration, Instant};

use wasmtime::component::InstancePre;
use wasmtime::{PoolConcurrencyLimitError, Store, Trap};

use crate::decision::LogLevel;
use crate::error::one_line;
use crate::options::Limits;
use crate::outcome::{Failure, FailureKind, LogLine};
use crate::runtime::{deadline_ticks, MemoryLimitHit, Runtime, StoreState};

/// A call into a fresh instance: what it returned, or why it stopped.
pub(crate) enum Call<T> {
    /// The call returned this.
    Returned(T),
    /// A limit stopped the policy, or it trapped.
    Failed(Failure),
    /// No instance slot came free within the deadline; this long was waited.
    NoSlot(Duration),
}

/// The failure of a call that found no instance slot free after `waited`.
pub(crate) fn no_slot_failure(runtime: &Runtime, waited: Duration) -> Failure {
    Failure {
        kind: FailureKind::Deadline,
        message: format!(
            "no instance slot came free within {} ms (all {} of the runtime's slots are busy)",
            waited.as_millis(),
            runtime.options().max_concurrent_instances
        ),
    }
}

/// What a call reports besides its result.
#[derive(Default)]
pub(crate) struct CallReport {
    /// The policy's log lines.
    pub logs: Vec<LogLine>,
    /// Time spent waiting for an instance slot.
    pub waited: Duration,
    /// Time from instantiation until the results were copied back: what the deadline limits.
    pub ran: Duration,
}

/// Runs `body` on a fresh instance under `limits`; logs and times are discarded.
pub(crate) fn call_fresh<T>(
    runtime: &Runtime,
    pre: &InstancePre<StoreState>,
    limits: &Limits,
    body: impl FnOnce(wasmtime::component::Instance, &mut Store<StoreState>) -> wasmtime::Result<T>,
) -> Call<T> {
    call_fresh_with_report(runtime, pre, limits, &mut CallReport::default(), body)
}

/// Waits for an instance slot (up to the deadline), instantiates, runs
/// `body`, and checks the deadline once more after the results are copied
/// back: a result that arrives late is a deadline failure, not a decision.
pub(crate) fn call_fresh_with_report<T>(
    runtime: &Runtime,
    pre: &InstancePre<StoreState>,
    limits: &Limits,
    report: &mut CallReport,
    body: impl FnOnce(wasmtime::component::Instance, &mut Store<StoreState>) -> wasmtime::Result<T>,
) -> Call<T> {
    // The slot guard is declared before the store, so it is dropped after it.
    let slot = match runtime.slot(limits.deadline()) {
        Ok(slot) => slot,
        Err(waited) => {
            report.waited = waited;
            return Call::NoSlot(waited);
        }
    };
    report.waited = slot.waited;
    let started = Instant::now();
    let mut store = new_store(runtime, limits);
    let outcome = pre.instantiate(&mut store).and_then(|instance| body(instance, &mut store));
    // Measured once: the time reported is the time the deadline was checked against.
    report.ran = started.elapsed();
    let late = report.ran > limits.deadline();
    report.logs = take_logs(&mut store);
    match outcome {
        Ok(_) if late => Call::Failed(Failure {
            kind: FailureKind::Deadline,
            message: format!(
                "returned after its deadline of {} ms (limits.deadline-ms), while its results were copied back; the result was discarded",
                limits.deadline_ms
            ),
        }),
        Ok(value) => Call::Returned(value),
        Err(error) => Call::Failed(classify(error, limits)),
    }
}

/// The policy's log lines, and a line saying how many more were dropped.
fn take_logs(store: &mut Store<StoreState>) -> Vec<LogLine> {
    let mut logs = std::mem::take(&mut store.data_mut().logs);
    let dropped = store.data().logs_dropped;
    if dropped > 0 {
        logs.push(LogLine { level: LogLevel::Warn, message: format!("{dropped} further log line(s) dropped") });
    }
    logs
}

/// A store for one call: the deadline in epoch ticks, the memory cap, fuel if counted.
fn new_store(runtime: &Runtime, limits: &Limits) -> Store<StoreState> {
    let mut store = Store::new(runtime.engine(), StoreState::new(limits));
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(deadline_ticks(limits));
    if runtime.options().fuel {
        // With fuel counting on, a store starts with none: give it the budget, or no limit.
        // `set_fuel` fails only when counting is off, which the branch rules out.
        let _ = store.set_fuel(limits.fuel.unwrap_or(u64::MAX));
    }
    store
}

/// Says which limit stopped a policy (naming the limit and its value), or that it trapped.
fn classify(error: wasmtime::Error, limits: &Limits) -> Failure {
    if let Some(hit) = error.downcast_ref::<MemoryLimitHit>() {
        return Failure { kind: FailureKind::MemoryLimit, message: format!("{hit} (limits.memory-mib = {})", limits.memory_mib) };
    }
    if let Some(exhausted) = error.downcast_ref::<PoolConcurrencyLimitError>() {
        // Not expected: components that need more than a slot holds are refused at load.
        return Failure { kind: FailureKind::Trap, message: format!("the runtime's instance pool is exhausted: {exhausted}") };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Failure {
            kind: FailureKind::Deadline,
            message: format!("stopped at its deadline of {} ms (limits.deadline-ms)", limits.deadline_ms),
        },
        Some(Trap::OutOfFuel) => Failure {
            kind: FailureKind::FuelLimit,
            message: format!("ran out of fuel (limits.fuel = {})", limits.fuel.unwrap_or(0)),
        },
        _ => Failure { kind: FailureKind::Trap, message: one_line(&format!("trapped: {error:#}")) },
    }
}
