//! Loading a policy component: checking that it is of the `recguard:policy`
//! world, compiling it once into an `InstancePre`, and evaluating it in a
//! fresh instance under limits.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, TypedFunc};
use wasmtime::component::types::ComponentItem;
use wasmtime::{Store, Trap};

use crate::decision::{Decision, Descriptor};
use crate::error::LoadError;
use crate::outcome::{Failure, FailureKind};
use crate::request::Request;
use crate::runtime::{Limits, LogLine, MemoryLimitHit, Runtime, StoreState, HOST_INTERFACE, TYPES_INTERFACE};

const EXPORTS: [&str; 3] = ["describe", "validate-settings", "evaluate"];

type EvaluateParams<'a> = (&'a Request, &'a str);
type EvaluateResults = (Result<Decision, String>,);

/// A compiled policy, ready to be instantiated afresh for each evaluation.
///
/// Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct PolicyComponent {
    inner: Arc<Inner>,
}

struct Inner {
    origin: String,
    digest: String,
    descriptor: Descriptor,
    pre: InstancePre<StoreState>,
    describe: ComponentExportIndex,
    validate: ComponentExportIndex,
    evaluate: ComponentExportIndex,
}

/// What one evaluation of one policy produced.
pub struct Evaluation {
    /// The decision, or why there is none.
    pub result: Result<Decision, Failure>,
    /// What the policy logged.
    pub logs: Vec<LogLine>,
    /// Wall-clock time of instantiation and call.
    pub elapsed: Duration,
}

impl PolicyComponent {
    /// Loads and compiles a component from a file.
    pub fn load_file(runtime: &Runtime, path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read { path: path.to_path_buf(), error })?;
        Self::load_bytes(runtime, &bytes, &path.display().to_string())
    }

    /// Loads and compiles a component from bytes; `origin` names it in errors.
    pub fn load_bytes(runtime: &Runtime, bytes: &[u8], origin: &str) -> Result<Self, LoadError> {
        let origin = origin.to_string();
        check_header(bytes, &origin)?;
        let component = Component::new(runtime.engine(), bytes)
            .map_err(|e| LoadError::Compile { origin: origin.clone(), message: format!("{e:#}") })?;
        check_world(runtime, &component, &origin)?;
        let wrong_world = |problem: String| LoadError::WrongWorld { origin: origin.clone(), problems: vec![problem] };
        let pre = runtime
            .linker()
            .instantiate_pre(&component)
            .map_err(|e| wrong_world(format!("its imports do not match what the host provides: {e:#}")))?;
        let index = |name: &str| {
            component
                .get_export_index(None, name)
                .ok_or_else(|| wrong_world(format!("missing export `{name}`")))
        };
        let (describe, validate, evaluate) = (index("describe")?, index("validate-settings")?, index("evaluate")?);

        // Type-check the three exports once, and ask the policy to describe itself.
        let mut store = new_store(runtime, &Limits::default());
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| LoadError::Describe { origin: origin.clone(), message: format!("{e:#}") })?;
        let mistyped = |name: &str, e: wasmtime::Error| {
            wrong_world(format!("export `{name}` does not have the type recguard:policy@0.1.0 gives it: {e:#}"))
        };
        let describe_fn = instance
            .get_typed_func::<(), (Descriptor,)>(&mut store, &describe)
            .map_err(|e| mistyped("describe", e))?;
        instance
            .get_typed_func::<(&str,), (Result<(), String>,)>(&mut store, &validate)
            .map_err(|e| mistyped("validate-settings", e))?;
        instance
            .get_typed_func::<EvaluateParams<'_>, EvaluateResults>(&mut store, &evaluate)
            .map_err(|e| mistyped("evaluate", e))?;
        let (descriptor,) = describe_fn
            .call(&mut store, ())
            .map_err(|e| LoadError::Describe { origin: origin.clone(), message: format!("{e:#}") })?;

        let digest = sha256_hex(bytes);
        Ok(PolicyComponent {
            inner: Arc::new(Inner { origin, digest, descriptor, pre, describe, validate, evaluate }),
        })
    }

    /// What the policy says about itself.
    pub fn descriptor(&self) -> &Descriptor {
        &self.inner.descriptor
    }

    /// Where the component was loaded from.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// SHA-256 of the component's bytes, as `sha256:<hex>`, for the audit record.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// Asks the policy whether `settings` (a JSON object) are valid.
    pub fn validate_settings(&self, runtime: &Runtime, settings: &str) -> Result<(), LoadError> {
        let policy = self.inner.descriptor.name.clone();
        let mut store = new_store(runtime, &Limits::default());
        let outcome = self.inner.pre.instantiate(&mut store).and_then(|instance| {
            let func = instance.get_typed_func::<(&str,), (Result<(), String>,)>(&mut store, &self.inner.validate)?;
            Ok(func.call(&mut store, (settings,))?.0)
        });
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(LoadError::InvalidSettings {
                policy,
                message,
                defaults: self.inner.descriptor.default_settings.clone(),
            }),
            Err(e) => Err(LoadError::Describe { origin: self.inner.origin.clone(), message: format!("{e:#}") }),
        }
    }

    /// Evaluates one request in a fresh instance under `limits`.
    pub fn evaluate(&self, runtime: &Runtime, request: &Request, settings: &str, limits: &Limits) -> Evaluation {
        let started = Instant::now();
        let mut store = new_store(runtime, limits);
        let result = self.call_evaluate(&mut store, request, settings);
        let elapsed = started.elapsed();
        let result = match result {
            Ok(Ok(decision)) => match decision.check_finding_indices() {
                Ok(()) => Ok(decision),
                Err(message) => Err(Failure { kind: FailureKind::InvalidDecision, message }),
            },
            Ok(Err(message)) => Err(Failure { kind: FailureKind::PolicyError, message }),
            Err(error) => Err(classify(error, limits)),
        };
        let mut logs = std::mem::take(&mut store.data_mut().logs);
        let dropped = store.data().logs_dropped;
        if dropped > 0 {
            logs.push(LogLine {
                level: crate::decision::LogLevel::Warn,
                message: format!("{dropped} further log line(s) dropped"),
            });
        }
        Evaluation { result, logs, elapsed }
    }

    fn call_evaluate(
        &self,
        store: &mut Store<StoreState>,
        request: &Request,
        settings: &str,
    ) -> wasmtime::Result<Result<Decision, String>> {
        let instance = self.inner.pre.instantiate(&mut *store)?;
        let func = instance
            .get_func(&mut *store, &self.inner.evaluate)
            .ok_or_else(|| wasmtime::Error::msg("the component has no `evaluate` export"))?;
        // SAFETY: `load_bytes` type-checked this export of this component
        // against exactly these parameter and result types (`get_typed_func`);
        // every instance comes from the same `InstancePre`, so the check holds
        // and need not be repeated on every request.
        #[allow(unsafe_code)]
        let func = unsafe { TypedFunc::<EvaluateParams<'_>, EvaluateResults>::new_unchecked(func) };
        Ok(func.call(&mut *store, (request, settings))?.0)
    }

    /// Calls `describe` in a fresh instance (the loaded descriptor is cached; this is for checks).
    pub fn describe_again(&self, runtime: &Runtime) -> wasmtime::Result<Descriptor> {
        let mut store = new_store(runtime, &Limits::default());
        let instance = self.inner.pre.instantiate(&mut store)?;
        let func = instance.get_typed_func::<(), (Descriptor,)>(&mut store, &self.inner.describe)?;
        Ok(func.call(&mut store, ())?.0)
    }
}

/// `sha256:<hex>` of some bytes, as the audit record writes digests.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn new_store(runtime: &Runtime, limits: &Limits) -> Store<StoreState> {
    let mut store = Store::new(runtime.engine(), StoreState::new(limits));
    store.limiter(|state| &mut state.limiter);
    store.set_epoch_deadline(limits.deadline_ticks());
    if runtime.options().fuel {
        // With fuel counting on, a store starts with none: give it the budget, or no limit.
        // `set_fuel` fails only when counting is off, which the branch rules out.
        let _ = store.set_fuel(limits.fuel.unwrap_or(u64::MAX));
    }
    store
}

/// Says which limit stopped a policy, or that it trapped.
fn classify(error: wasmtime::Error, limits: &Limits) -> Failure {
    if let Some(hit) = error.downcast_ref::<MemoryLimitHit>() {
        return Failure { kind: FailureKind::MemoryLimit, message: hit.to_string() };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Failure {
            kind: FailureKind::Deadline,
            message: format!("stopped at its deadline of {} ms", limits.deadline_ms),
        },
        Some(Trap::OutOfFuel) => Failure {
            kind: FailureKind::FuelLimit,
            message: format!("ran out of fuel ({} units)", limits.fuel.unwrap_or(0)),
        },
        _ => Failure { kind: FailureKind::Trap, message: format!("{error:#}") },
    }
}

fn check_header(bytes: &[u8], origin: &str) -> Result<(), LoadError> {
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return Err(LoadError::NotWasm { origin: origin.to_string() });
    }
    // Layer 0 with version 1 is a core module; components use layer 1.
    if bytes[4..8] == [1, 0, 0, 0] {
        return Err(LoadError::NotAComponent { origin: origin.to_string() });
    }
    Ok(())
}

/// Lists every import and export that differs from the policy world.
fn check_world(runtime: &Runtime, component: &Component, origin: &str) -> Result<(), LoadError> {
    let engine = runtime.engine();
    let ty = component.component_type();
    let mut problems = Vec::new();
    for (name, _) in ty.imports(engine) {
        if name != HOST_INTERFACE && name != TYPES_INTERFACE {
            problems.push(format!(
                "unexpected import `{name}`: a policy may import only `{HOST_INTERFACE}` (no WASI, clock, randomness or I/O)"
            ));
        }
    }
    let mut exported = Vec::new();
    for (name, item) in ty.exports(engine) {
        match item.ty {
            ComponentItem::ComponentFunc(_) if EXPORTS.contains(&name) => exported.push(name.to_string()),
            ComponentItem::Type(_) => {}
            _ => problems.push(format!(
                "unexpected export `{name}`: the policy world exports only {}",
                EXPORTS.map(|e| format!("`{e}`")).join(", ")
            )),
        }
    }
    for name in EXPORTS {
        if !exported.iter().any(|e| e == name) {
            problems.push(format!("missing export `{name}`"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LoadError::WrongWorld { origin: origin.to_string(), problems })
    }
}
