//! The on-disk compile cache: a component compiled once is kept in
//! wasmtime's precompiled form, so that a CLI run or a restarted host loads
//! it in milliseconds instead of compiling it again.
//!
//! An entry is keyed by the component's SHA-256 and a hash of everything
//! about the engine that compiled code depends on (wasmtime's version, its
//! target, its settings), so a changed component or engine never meets an
//! old entry. An entry that wasmtime refuses (truncated, from another engine)
//! is compiled again and replaced. Entries are written to a temporary file
//! and renamed into place, so a reader never sees half an entry.
//!
//! Precompiled code is machine code that the host runs: the cache directory
//! must be writable only by the host's user (it is created with mode 0700).
//!
//! Entries are mapped into memory, not read: while a component loaded from an
//! entry lives, the entry must not be changed in place (truncating it would
//! crash the process that maps it). The cache only ever replaces an entry by
//! renaming a new file over it; to clear the cache, delete its files or the
//! directory, which is safe while hosts run.
//!
//! The cache does not grow without bound: a hit marks its entry used (its
//! modification time), and each time an entry is stored, entries unused for
//! [`UNUSED_DAYS`] days are deleted, those of other engines (another
//! wasmtime, other settings) included, and so are temporary files that a
//! crashed writer left behind.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Entries not used for this many days are deleted when a new one is stored.
pub(crate) const UNUSED_DAYS: u64 = 30;

/// A temporary file older than this is a crashed writer's and is deleted.
const ABANDONED_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A directory of precompiled components.
#[derive(Debug)]
pub(crate) struct CompileCache {
    dir: PathBuf,
    /// Hex SHA-256 of the engine's compatibility hash.
    engine_key: String,
}

/// Feeds what a `Hash` implementation writes into SHA-256, so that the key
/// is stable across processes (the std hasher is randomly seeded).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Only the digest is used; `finish` is part of the trait.
        0
    }
}

impl CompileCache {
    /// Opens (creating if needed) a cache directory for `engine`.
    pub fn open(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
        let mut hasher = Sha256Hasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        let engine_key = format!("{:x}", hasher.0.finalize());
        Ok(CompileCache { dir: dir.to_path_buf(), engine_key })
    }

    fn entry(&self, digest: &str) -> PathBuf {
        let digest = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.dir.join(format!("{digest}-{}.cwasm", &self.engine_key[..16]))
    }

    /// The precompiled component with this digest, if the cache holds a usable one.
    ///
    /// The entry is mapped, not read: its pages are loaded as the code runs,
    /// and nothing is copied (a 35 MB entry of a Python policy is otherwise
    /// read and then copied again into executable memory on every start).
    pub fn load(&self, engine: &Engine, digest: &str) -> Option<Component> {
        let entry = self.entry(digest);
        if !entry.is_file() {
            return None;
        }
        // SAFETY: the file is an entry this cache wrote with
        // `Component::serialize` for an engine of the same compatibility hash
        // (the file name says so, and wasmtime checks its own header and
        // refuses a mismatch, which is then recompiled). The directory is the
        // host's own (mode 0700), as trusted as the host's binary. An entry is
        // never changed in place while it may be mapped: `store` writes a new
        // file and renames it over the old one.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize_file(engine, &entry) }.ok()?;
        // Mark the entry used, so that pruning keeps it; failing to only
        // makes it look older.
        if let Ok(file) = std::fs::File::open(&entry) {
            let _ = file.set_modified(SystemTime::now());
        }
        Some(component)
    }

    /// Keeps `component` under `digest`. Failing to write only costs a later
    /// compile, so the error is returned for the caller to report, not to stop on.
    pub fn store(&self, digest: &str, component: &Component) -> std::io::Result<()> {
        let bytes = component.serialize().map_err(std::io::Error::other)?;
        let entry = self.entry(digest);
        let temporary = entry.with_extension(format!("tmp{}", std::process::id()));
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &entry)?;
        self.prune(SystemTime::now());
        Ok(())
    }

    /// Deletes entries unused for [`UNUSED_DAYS`] days as of `now`, and
    /// abandoned temporary files. Best effort: a file that cannot be read or
    /// deleted is left.
    fn prune(&self, now: SystemTime) {
        let Ok(files) = std::fs::read_dir(&self.dir) else { return };
        let unused = Duration::from_secs(UNUSED_DAYS * 24 * 3600);
        for file in files.flatten() {
            let path = file.path();
            let Some(extension) = path.extension().and_then(|e| e.to_str()) else { continue };
            let limit = if extension == "cwasm" {
                unused
            } else if extension.starts_with("tmp") {
                ABANDONED_AFTER
            } else {
                continue;
            };
            let age = file.metadata().and_then(|m| m.modified()).ok().and_then(|modified| now.duration_since(modified).ok());
            if age.is_some_and(|age| age > limit) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}
