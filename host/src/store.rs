//! The embedded receipt store: SQLite (WAL), one writer thread, group commit.
//!
//! Evaluating threads hand their receipt to the writer through a bounded
//! queue and never wait on each other's writes. The writer takes everything
//! queued (up to [`MAX_BATCH`]) into one transaction: it assigns sequence
//! numbers, chains the hashes, commits once, then answers the waiters.
//! Components are kept content-addressed beside the database
//! (`<store>.components/sha256-<hex>.wasm`, with their `.sig`), so that a
//! receipt can be replayed with exactly the code that decided.
//!
//! Reading a store back is [`crate::AuditLog`] (`audit_log.rs`).
//!
//! Durability ([`Durability`]):
//! - `sync`: an outcome is returned only once its receipt is committed with
//!   `synchronous = FULL`: a crash of the process or the machine loses no
//!   receipt of a returned outcome.
//! - `async`: the outcome is returned once the receipt is queued; the queue
//!   holds at most `queue` receipts. A crash of the process loses what was
//!   queued and not yet committed (at most `queue` receipts, in practice
//!   those of the last group window, [`ASYNC_GROUP_WINDOW`], and the commit
//!   in progress: a few milliseconds); the machine
//!   losing power may also lose the last commits (`synchronous = NORMAL`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use recguard_trust::SecretKey;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;
use crate::receipt::{AuditError, AuditSink, ChainRecord, Checkpoint, ComponentFile, StoredReceipt, GENESIS};
use crate::request::Request;

/// The most receipts committed in one transaction.
pub const MAX_BATCH: usize = 4096;

/// With `async` durability, how long the writer lets receipts gather after a
/// commit before it looks at the queue again. While it waits, queueing a
/// receipt wakes no thread (no system call on the caller's path), and the
/// writer commits one group per window rather than one per evaluation. This
/// is also the most an `async` crash loses beyond what was queued.
pub const ASYNC_GROUP_WINDOW: Duration = Duration::from_millis(1);

/// When an outcome may be returned, relative to its receipt being durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// Only once the receipt is committed (the default).
    #[default]
    Sync,
    /// Once the receipt is queued (see the module's documentation for what a crash loses).
    Async,
}

/// The `[audit]` table of a config file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct AuditConfig {
    /// The SQLite file (relative to the config file); none: no receipts.
    pub store: Option<PathBuf>,
    /// `sync` or `async`.
    pub durability: Durability,
    /// Receipts queued at most (async back-pressure).
    pub queue: usize,
    /// Sign a checkpoint after this many receipts...
    pub checkpoint_every: u64,
    /// ...or this many seconds after the last one, whichever comes first.
    pub checkpoint_seconds: u64,
    /// The provider's private key that signs checkpoints (relative to the
    /// config file); none: no checkpoints (the chain of hashes alone).
    pub checkpoint_key: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            store: None,
            durability: Durability::Sync,
            queue: 10_000,
            checkpoint_every: 1000,
            checkpoint_seconds: 60,
            checkpoint_key: None,
        }
    }
}

/// Options of an [`AuditStore`].
#[derive(Clone)]
pub struct AuditOptions {
    /// When outcomes are returned.
    pub durability: Durability,
    /// Receipts queued at most.
    pub queue: usize,
    /// Receipts between checkpoints.
    pub checkpoint_every: u64,
    /// Time between checkpoints.
    pub checkpoint_interval: Duration,
    /// The key that signs checkpoints.
    pub checkpoint_key: Option<Arc<SecretKey>>,
    /// The clock receipts are stamped with, ms since the epoch (the system's
    /// by default; tests of retention set their own).
    pub clock: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl std::fmt::Debug for AuditOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditOptions")
            .field("durability", &self.durability)
            .field("queue", &self.queue)
            .field("checkpoint_every", &self.checkpoint_every)
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("checkpoint_key", &self.checkpoint_key)
            .finish_non_exhaustive()
    }
}

impl Default for AuditOptions {
    fn default() -> Self {
        let config = AuditConfig::default();
        AuditOptions {
            durability: config.durability,
            queue: config.queue,
            checkpoint_every: config.checkpoint_every,
            checkpoint_interval: Duration::from_secs(config.checkpoint_seconds),
            checkpoint_key: None,
            clock: Arc::new(system_ms),
        }
    }
}

/// Milliseconds since the epoch, by the system clock.
pub fn system_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

enum Message {
    Append { chain: Arc<str>, request: Arc<Request>, outcome: Arc<Outcome>, reply: Option<SyncSender<Result<u64, String>>> },
    Flush(SyncSender<Result<(), String>>),
}

/// The embedded receipt store. Share it (`Arc`) among chains; dropping the
/// last handle commits what is queued and signs a final checkpoint.
pub struct AuditStore {
    path: PathBuf,
    durability: Durability,
    sender: Mutex<Option<SyncSender<Message>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// A connection for registering chains (the writer has its own).
    registry: Mutex<Connection>,
}

impl std::fmt::Debug for AuditStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditStore").field("path", &self.path).field("durability", &self.durability).finish_non_exhaustive()
    }
}

pub(crate) fn store_error(path: &Path) -> impl Fn(rusqlite::Error) -> AuditError + '_ {
    move |e| AuditError::Store { path: path.display().to_string(), message: e.to_string() }
}

/// Opens (creating if needed) the database at `path` with the store's tables.
pub(crate) fn connect(path: &Path) -> Result<Connection, AuditError> {
    connect_with_page_size(path, DEFAULT_PAGE_SIZE)
}

/// SQLite's page size for a store written with `sync` receipts: each commit
/// holds a few receipts, and a small page keeps what it rewrites small
/// (4 KiB pages: 47 µs per small receipt committed in fours; 64 KiB: 96–109 µs).
const DEFAULT_PAGE_SIZE: u32 = 4096;
/// SQLite's page size for a store written with `async` receipts: commits are
/// groups of large receipts (a 100-candidate receipt is about 56 KB of JSON),
/// which fewer, larger pages write faster (64 KiB pages: 155 µs per such
/// receipt, against 233–243 µs with 4 KiB pages; measured on this project's
/// 2-core VM). SQLite fixes the page size when the database is created.
const ASYNC_PAGE_SIZE: u32 = 65536;

/// [`connect`], giving a database created now pages of `page_size` bytes.
fn connect_with_page_size(path: &Path, page_size: u32) -> Result<Connection, AuditError> {
    let error = store_error(path);
    let connection = Connection::open(path).map_err(&error)?;
    connection.busy_timeout(Duration::from_secs(10)).map_err(&error)?;
    // Takes effect only on a new, empty database; an existing one keeps its pages.
    connection.pragma_update(None, "page_size", page_size).map_err(&error)?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS receipts (
                 seq INTEGER PRIMARY KEY, recorded_at_ms INTEGER NOT NULL, request_id TEXT NOT NULL,
                 body TEXT NOT NULL, hash TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS receipts_by_time ON receipts (recorded_at_ms);
             CREATE INDEX IF NOT EXISTS receipts_by_request ON receipts (request_id);
             CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY, envelope TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS chains (digest TEXT PRIMARY KEY, record TEXT NOT NULL);",
        )
        .map_err(&error)?;
    Ok(connection)
}

/// Where the components of the store at `path` are kept.
pub fn components_dir(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".components");
    path.with_file_name(name)
}

/// The file of the component with `digest` in `dir`.
pub fn component_file(dir: &Path, digest: &str) -> PathBuf {
    dir.join(format!("{}.wasm", digest.replace(':', "-")))
}

impl AuditStore {
    /// Opens the store at `path` (creating it) and starts its writer.
    pub fn open(path: impl AsRef<Path>, options: AuditOptions) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        if options.queue == 0 || options.checkpoint_every == 0 {
            return Err(AuditError::Settings("queue and checkpoint-every must be at least 1".into()));
        }
        let (synchronous, page_size) = match options.durability {
            Durability::Sync => ("FULL", DEFAULT_PAGE_SIZE),
            Durability::Async => ("NORMAL", ASYNC_PAGE_SIZE),
        };
        let writer_connection = connect_with_page_size(&path, page_size)?;
        writer_connection.pragma_update(None, "synchronous", synchronous).map_err(store_error(&path))?;
        let registry = connect(&path)?;
        let mut writer = Writer::new(writer_connection, &path, options.clone())?;
        let (sender, receiver) = mpsc::sync_channel(options.queue);
        let handle = std::thread::Builder::new()
            .name("recguard-audit".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| AuditError::Stopped(e.to_string()))?;
        Ok(AuditStore {
            path,
            durability: options.durability,
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(handle)),
            registry: Mutex::new(registry),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn send(&self, message: Message) -> Result<(), AuditError> {
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(sender) = sender else { return Err(AuditError::Stopped("the store was closed".into())) };
        sender.send(message).map_err(|_| AuditError::Stopped("the writer thread ended".into()))
    }

    /// Waits until every receipt queued so far is committed.
    pub fn flush(&self) -> Result<(), AuditError> {
        let (reply, done) = mpsc::sync_channel(1);
        self.send(Message::Flush(reply))?;
        done.recv().map_err(|_| AuditError::Stopped("the writer thread ended".into()))?.map_err(AuditError::Stopped)
    }

    /// Commits what is queued, signs a last checkpoint and stops the writer.
    pub fn close(&self) -> Result<(), AuditError> {
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(sender);
        if let Some(handle) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            handle.join().map_err(|_| AuditError::Stopped("the writer thread panicked".into()))?;
        }
        Ok(())
    }
}

impl Drop for AuditStore {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl AuditSink for AuditStore {
    fn register(&self, digest: &str, record: &ChainRecord, components: &[ComponentFile<'_>]) -> Result<(), AuditError> {
        let dir = components_dir(&self.path);
        let io = |e: std::io::Error| AuditError::Store { path: dir.display().to_string(), message: e.to_string() };
        std::fs::create_dir_all(&dir).map_err(io)?;
        for component in components {
            let file = component_file(&dir, component.digest);
            if !file.exists() {
                let partial = file.with_extension("partial");
                std::fs::write(&partial, component.bytes).map_err(io)?;
                std::fs::rename(&partial, &file).map_err(io)?;
            }
            if let Some(signature) = component.signature {
                std::fs::write(crate::component::signature_path(&file.display().to_string()), signature.to_json()).map_err(io)?;
            }
        }
        let record = serde_json::to_string(record).expect("a chain record always serialises");
        let registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        registry
            .execute("INSERT OR IGNORE INTO chains (digest, record) VALUES (?1, ?2)", params![digest, record])
            .map_err(store_error(&self.path))?;
        Ok(())
    }

    fn append(&self, chain: &Arc<str>, request: Arc<Request>, outcome: Arc<Outcome>) -> Result<Option<u64>, AuditError> {
        let chain = chain.clone();
        match self.durability {
            Durability::Async => {
                self.send(Message::Append { chain, request, outcome, reply: None })?;
                Ok(None)
            }
            Durability::Sync => {
                let (reply, done) = mpsc::sync_channel(1);
                let message = Message::Append { chain, request, outcome, reply: Some(reply) };
                self.send(message)?;
                let seq = done.recv().map_err(|_| AuditError::Stopped("the writer thread ended".into()))?;
                seq.map(Some).map_err(AuditError::Stopped)
            }
        }
    }
}

/// The writer thread's state: the head of the chain and the checkpoint schedule.
struct Writer {
    connection: Connection,
    path: PathBuf,
    options: AuditOptions,
    last_seq: u64,
    last_hash: String,
    checkpointed_seq: u64,
    checkpointed_at: Instant,
}

impl Writer {
    fn new(connection: Connection, path: &Path, options: AuditOptions) -> Result<Self, AuditError> {
        let error = store_error(path);
        let last: Option<(u64, String)> = connection
            .query_row("SELECT seq, hash FROM receipts ORDER BY seq DESC LIMIT 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
            .map_err(&error)?;
        let checkpointed_seq: u64 =
            connection.query_row("SELECT COALESCE(MAX(seq), 0) FROM checkpoints", [], |row| row.get(0)).map_err(&error)?;
        let (last_seq, last_hash) = match last {
            Some(last) => last,
            None if checkpointed_seq > 0 => {
                return Err(AuditError::Store {
                    path: path.display().to_string(),
                    message: format!("the store has a checkpoint at receipt {checkpointed_seq} but no receipt: it was emptied; `recguard audit verify` says more"),
                })
            }
            None => (0, GENESIS.to_string()),
        };
        Ok(Writer { connection, path: path.to_path_buf(), options, last_seq, last_hash, checkpointed_seq, checkpointed_at: Instant::now() })
    }

    fn run(&mut self, receiver: Receiver<Message>) {
        loop {
            let first = match receiver.recv_timeout(self.options.checkpoint_interval.max(Duration::from_millis(10))) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    self.checkpoint_if_due();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(message) => batch.push(message),
                    Err(_) => break,
                }
            }
            self.commit(batch);
            self.checkpoint_if_due();
            if self.options.durability == Durability::Async {
                std::thread::sleep(ASYNC_GROUP_WINDOW);
            }
        }
        if self.last_seq > self.checkpointed_seq {
            self.checkpoint();
        }
    }

    /// Writes a batch in one transaction and answers its waiters.
    fn commit(&mut self, batch: Vec<Message>) {
        let (start_seq, start_hash) = (self.last_seq, self.last_hash.clone());
        let mut replies = Vec::new();
        let mut flushes = Vec::new();
        let result = (|| -> rusqlite::Result<()> {
            let transaction = self.connection.transaction()?;
            {
                let mut insert = transaction.prepare_cached(
                    "INSERT INTO receipts (seq, recorded_at_ms, request_id, body, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for message in batch {
                    match message {
                        Message::Append { chain, request, outcome, reply } => {
                            let seq = self.last_seq + 1;
                            let now = (self.options.clock)();
                            let receipt = StoredReceipt::new(seq, now, &chain, &self.last_hash, &request, &outcome);
                            // Released before the reply, so that a waiting caller holds the outcome alone.
                            drop(outcome);
                            insert.execute(params![seq, now, request.id, receipt.body, receipt.hash])?;
                            self.last_seq = seq;
                            self.last_hash = receipt.hash;
                            replies.push((reply, seq));
                        }
                        Message::Flush(reply) => flushes.push(reply),
                    }
                }
            }
            transaction.commit()
        })();
        match result {
            Ok(()) => {
                for (reply, seq) in replies {
                    if let Some(reply) = reply {
                        let _ = reply.send(Ok(seq));
                    }
                }
                for reply in flushes {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                // Nothing of the batch was written: the head goes back, every waiter hears why.
                self.last_seq = start_seq;
                self.last_hash = start_hash;
                let message = format!("audit store {}: {e}", self.path.display());
                for (reply, _) in replies {
                    if let Some(reply) = reply {
                        let _ = reply.send(Err(message.clone()));
                    }
                }
                for reply in flushes {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }

    fn checkpoint_if_due(&mut self) {
        let pending = self.last_seq - self.checkpointed_seq;
        if pending > 0 && (pending >= self.options.checkpoint_every || self.checkpointed_at.elapsed() >= self.options.checkpoint_interval) {
            self.checkpoint();
        }
    }

    fn checkpoint(&mut self) {
        let Some(key) = &self.options.checkpoint_key else { return };
        let checkpoint = Checkpoint { seq: self.last_seq, head: self.last_hash.clone(), signed_at_ms: (self.options.clock)() };
        let envelope = checkpoint.sign(key).to_json();
        let written = self
            .connection
            .execute("INSERT OR REPLACE INTO checkpoints (seq, envelope) VALUES (?1, ?2)", params![checkpoint.seq, envelope]);
        if written.is_ok() {
            self.checkpointed_seq = checkpoint.seq;
            self.checkpointed_at = Instant::now();
        }
    }
}
