//! Loading a policy component: checking that it is of the `recguard:policy`
//! world, compiling it once (or taking it from the compile cache) into an
//! `InstancePre`, and calling its exports, each in a fresh instance under
//! limits (`fresh.rs`).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, TypedFunc};

use recguard_trust::Envelope;

use crate::applies::AppliesTo;
use crate::decision::{Decision, Descriptor};
use crate::error::{EvaluateError, LoadError, SettingsError};
use crate::options::{Limits, MAX_DEADLINE_MS};
use crate::outcome::{Failure, FailureKind, LogLine};
use crate::reads::Reads;
use crate::request::Request;
use crate::wire;
use crate::fresh::{call_fresh, call_fresh_with_report, no_slot_failure, Call, CallReport};
use crate::runtime::{Runtime, StoreState};
use crate::world::{check_header, check_resources, check_world};

/// The largest component file the host reads, in MiB. Policies built from
/// Python or JavaScript run to about 20 MiB; Rust ones to a few hundred KiB.
pub const MAX_COMPONENT_MIB: u64 = 128;

type EvaluateParams<'a> = (&'a wire::Request, &'a [u8]);
type EvaluateResults = (Result<Decision, String>,);
type ValidateParams<'a> = (&'a str,);
type ValidateResults = (Result<wire::CheckedSettings, String>,);

/// A compiled policy, ready to be instantiated afresh for each evaluation.
/// It holds the [`Runtime`] it was compiled for.
///
/// Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct PolicyComponent {
    inner: Arc<Inner>,
    /// The issuer's signature, kept beside the file (see [`crate::signature_path`]).
    signature: Option<Arc<Envelope>>,
}

impl std::fmt::Debug for PolicyComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyComponent")
            .field("origin", &self.inner.origin)
            .field("digest", &self.inner.digest)
            .field("descriptor", &self.inner.descriptor)
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// The component's bytes, for a receipt store to keep.
    bytes: Arc<[u8]>,
    cache: CacheUse,
    runtime: Runtime,
    origin: String,
    digest: String,
    descriptor: Descriptor,
    reads: Reads,
    initial_memory_bytes: u64,
    pre: InstancePre<StoreState>,
    validate: ComponentExportIndex,
    evaluate: ComponentExportIndex,
}

/// What one evaluation of one policy produced.
#[derive(Debug)]
pub struct Evaluation {
    /// The decision, or why there is none.
    pub result: Result<Decision, Failure>,
    /// What the policy logged.
    pub logs: Vec<LogLine>,
    /// Wall-clock time from instantiation until the results were copied
    /// back: the time the policy's deadline limits (a result is applied only
    /// if this is within the deadline).
    pub elapsed: Duration,
    /// Wall-clock time spent waiting for an instance slot before that.
    pub waited: Duration,
}

impl PolicyComponent {
    /// Loads and compiles a component from a file (at most [`MAX_COMPONENT_MIB`] MiB),
    /// with its signature if one is kept beside it (`<file>.sig`); it describes
    /// itself under the default [`Limits`].
    pub fn load_file(runtime: &Runtime, path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Self::load_file_under(runtime, path, &Limits::default())
    }

    /// As [`load_file`](Self::load_file), with the component's `describe`
    /// call under the deadline of `limits`, those the policy will run under (a
    /// config's); see [`load_bytes_under`](Self::load_bytes_under).
    pub fn load_file_under(runtime: &Runtime, path: impl AsRef<Path>, limits: &Limits) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let read = |source| LoadError::Read { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(read)?;
        let limit = MAX_COMPONENT_MIB * 1024 * 1024;
        let mut bytes = Vec::new();
        // Read one byte past the limit to tell "at the limit" from "above it"
        // (the file's reported length cannot be trusted: /dev/zero has none).
        file.take(limit + 1).read_to_end(&mut bytes).map_err(read)?;
        if bytes.len() as u64 > limit {
            return Err(LoadError::TooLarge { origin, limit_mib: MAX_COMPONENT_MIB });
        }
        let signature_file = signature_path(&origin);
        let signature = Envelope::read(&signature_file)
            .map_err(|error| LoadError::SignatureFile { path: signature_file, error })?;
        let component = Self::load_bytes_under(runtime, &bytes, &origin, limits)?;
        Ok(match signature {
            Some(envelope) => component.with_signature(envelope),
            None => component,
        })
    }

    /// The component with `envelope` as its issuer's signature (checked when it joins a chain).
    pub fn with_signature(mut self, envelope: Envelope) -> Self {
        self.signature = Some(Arc::new(envelope));
        self
    }

    /// The issuer's signature, if the component has one.
    pub fn signature(&self) -> Option<&Envelope> {
        self.signature.as_deref()
    }

    /// Loads and compiles a component from bytes; `origin` names it in errors.
    /// It describes itself under the default [`Limits`].
    pub fn load_bytes(runtime: &Runtime, bytes: &[u8], origin: &str) -> Result<Self, LoadError> {
        Self::load_bytes_under(runtime, bytes, origin, &Limits::default())
    }

    /// As [`load_bytes`](Self::load_bytes), with the component's `describe`
    /// call under the deadline of `limits` (brought within 1..=60 000 ms). Its
    /// other limits stay the defaults here: they are checked, and refused with
    /// the policy's name, when the policy joins a chain.
    pub fn load_bytes_under(runtime: &Runtime, bytes: &[u8], origin: &str, limits: &Limits) -> Result<Self, LoadError> {
        let limits = &Limits { deadline_ms: limits.deadline_ms.clamp(1, MAX_DEADLINE_MS), ..Limits::default() };
        let origin = origin.to_string();
        if bytes.len() as u64 > MAX_COMPONENT_MIB * 1024 * 1024 {
            return Err(LoadError::TooLarge { origin, limit_mib: MAX_COMPONENT_MIB });
        }
        check_header(bytes, &origin)?;
        let digest = sha256_hex(bytes);
        let (component, cache) = compile_or_reuse(runtime, bytes, &digest, &origin)?;
        check_world(runtime, &component, &origin)?;
        let wrong_world = |problem: String| LoadError::WrongWorld { origin: origin.clone(), problems: vec![problem] };
        let initial_memory_bytes = check_resources(&component).map_err(&wrong_world)?;
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
        let describe_failed = |failure| LoadError::Describe { origin: origin.clone(), failure };
        let call = call_fresh(runtime, &pre, limits, |instance, store| {
            let mistyped = |name: &str, e: wasmtime::Error| {
                wrong_world(format!("export `{name}` does not have the type recguard:policy@0.3.0 gives it: {e:#}"))
            };
            let describe_fn = match instance.get_typed_func::<(), (Descriptor,)>(&mut *store, &describe) {
                Ok(f) => f,
                Err(e) => return Ok(Err(mistyped("describe", e))),
            };
            if let Err(e) = instance.get_typed_func::<ValidateParams<'_>, ValidateResults>(&mut *store, &validate) {
                return Ok(Err(mistyped("validate-settings", e)));
            }
            if let Err(e) = instance.get_typed_func::<EvaluateParams<'_>, EvaluateResults>(&mut *store, &evaluate) {
                return Ok(Err(mistyped("evaluate", e)));
            }
            Ok(Ok(describe_fn.call(&mut *store, ())?.0))
        });
        let descriptor = match call {
            Call::Returned(Ok(descriptor)) => descriptor,
            Call::Returned(Err(wrong)) => return Err(wrong),
            Call::Failed(failure) => return Err(describe_failed(failure)),
            Call::NoSlot(waited) => return Err(describe_failed(no_slot_failure(runtime, waited))),
        };

        let reads = Reads::from_paths(&descriptor.reads)
            .map_err(|problem| wrong_world(format!("its descriptor {problem}")))?;
        Ok(PolicyComponent {
            inner: Arc::new(Inner {
                bytes: Arc::from(bytes),
                cache,
                runtime: runtime.clone(),
                origin,
                digest,
                descriptor,
                reads,
                initial_memory_bytes,
                pre,
                validate,
                evaluate,
            }),
            signature: None,
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

    /// The component's bytes, as loaded.
    pub fn bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// SHA-256 of the component's bytes, as `sha256:<hex>`, for the audit record.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// Whether the compiled code came from the runtime's compile cache.
    pub fn cache_use(&self) -> &CacheUse {
        &self.inner.cache
    }

    /// The runtime the component was compiled for.
    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    /// The bytes of linear memory the policy starts with; a memory cap below it is refused.
    pub fn initial_memory_bytes(&self) -> u64 {
        self.inner.initial_memory_bytes
    }

    /// The request fields the policy reads (from its descriptor): the only
    /// ones it receives.
    pub fn reads(&self) -> Reads {
        self.inner.reads
    }

    /// Asks the policy, under `limits`, whether `settings` (a JSON object)
    /// are valid; returns them in the policy's own compact encoding, which
    /// [`PolicyComponent::evaluate`] takes, with the requests they let it
    /// decide anything on (checked against what it reads).
    pub fn validate_settings(&self, settings: &str, limits: &Limits) -> Result<CheckedSettings, SettingsError> {
        let policy = self.inner.descriptor.name.clone();
        let call = call_fresh(&self.inner.runtime, &self.inner.pre, limits, |instance, store| {
            let func = instance.get_typed_func::<ValidateParams<'_>, ValidateResults>(&mut *store, &self.inner.validate)?;
            Ok(func.call(&mut *store, (settings,))?.0)
        });
        match call {
            Call::Returned(Ok(checked)) => match AppliesTo::check(checked.applies_to, self.inner.reads) {
                Ok(applies_to) => Ok(CheckedSettings { encoded: checked.encoded, applies_to }),
                Err(message) => Err(SettingsError::Scope { policy, message }),
            },
            Call::Returned(Err(message)) => Err(SettingsError::Rejected { policy, message }),
            Call::Failed(failure) => Err(SettingsError::Failed { policy, failure }),
            Call::NoSlot(waited) => Err(SettingsError::Failed { policy, failure: no_slot_failure(&self.inner.runtime, waited) }),
        }
    }

    /// Evaluates one request in a fresh instance under `limits`, with
    /// settings as [`PolicyComponent::validate_settings`] returned them. A
    /// policy's failure is part of the [`Evaluation`]; the only error is a
    /// runtime with no instance slot free within the policy's deadline.
    ///
    /// This builds the request's columns for this one call; a [`Chain`](crate::Chain)
    /// builds them once for all its policies.
    pub fn evaluate(&self, request: &Request, settings: &[u8], limits: &Limits) -> Result<Evaluation, EvaluateError> {
        self.evaluate_columns(&mut wire::Request::from_rows(request), settings, limits)
    }

    /// Evaluates the request's columns, showing the policy only the fields it
    /// reads: the others are moved out for the call and back after it.
    pub(crate) fn evaluate_columns(
        &self,
        request: &mut wire::Request,
        settings: &[u8],
        limits: &Limits,
    ) -> Result<Evaluation, EvaluateError> {
        let mut stash = wire::Request::default();
        self.inner.reads.hide(request, &mut stash);
        let evaluation = self.call_evaluate(request, settings, limits);
        self.inner.reads.restore(request, &mut stash);
        evaluation
    }

    fn call_evaluate(&self, request: &wire::Request, settings: &[u8], limits: &Limits) -> Result<Evaluation, EvaluateError> {
        let mut report = CallReport::default();
        let call = call_fresh_with_report(&self.inner.runtime, &self.inner.pre, limits, &mut report, |instance, store| {
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
        });
        let result = match call {
            Call::Returned(Ok(decision)) => Ok(decision),
            Call::Returned(Err(message)) => Err(Failure { kind: FailureKind::PolicyError, message }),
            Call::Failed(failure) => Err(failure),
            Call::NoSlot(waited) => {
                return Err(EvaluateError::Capacity {
                    policy: self.inner.descriptor.name.clone(),
                    slots: self.inner.runtime.options().max_concurrent_instances,
                    waited_ms: waited.as_millis() as u64,
                })
            }
        };
        Ok(Evaluation { result, logs: report.logs, elapsed: report.ran, waited: report.waited })
    }
}

/// Settings a policy accepted, from [`PolicyComponent::validate_settings`].
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedSettings {
    /// The policy's own compact encoding of them, which
    /// [`PolicyComponent::evaluate`] takes.
    pub encoded: Vec<u8>,
    /// The requests on which the policy can decide anything with them; a
    /// [`Chain`](crate::Chain) skips it on the others.
    pub applies_to: AppliesTo,
}

/// What the compile cache did for a component when it was loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// The runtime has no compile cache.
    Off,
    /// The compiled code was read from the cache: nothing was compiled.
    Hit,
    /// The component was compiled and kept in the cache.
    Stored,
    /// The component was compiled, but could not be kept in the cache.
    NotStored {
        /// Why not.
        reason: String,
    },
}

/// The compiled component, from the runtime's cache if it holds it, else compiled now (and kept).
fn compile_or_reuse(runtime: &Runtime, bytes: &[u8], digest: &str, origin: &str) -> Result<(Component, CacheUse), LoadError> {
    let engine = runtime.engine();
    if let Some(component) = runtime.cache().and_then(|cache| cache.load(engine, digest)) {
        return Ok((component, CacheUse::Hit));
    }
    let component =
        Component::new(engine, bytes).map_err(|e| LoadError::Compile { origin: origin.to_string(), source: e.into() })?;
    let cache = match runtime.cache() {
        None => CacheUse::Off,
        Some(cache) => match cache.store(digest, &component) {
            Ok(()) => CacheUse::Stored,
            Err(error) => CacheUse::NotStored { reason: error.to_string() },
        },
    };
    Ok((component, cache))
}

/// Where the signature of the component at `origin` is kept: beside it, as `<origin>.sig`.
pub fn signature_path(origin: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{origin}.sig"))
}

/// SHA-256 of `bytes` as recguard writes digests: `sha256:<hex>`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    sha256_hex(bytes)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

