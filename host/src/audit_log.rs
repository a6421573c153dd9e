//! Reading a receipt store: receipts, checkpoints, chain records and the
//! components kept beside it, for `verify`, `export`, `replay`; and pruning
//! past the retention, up to a signed checkpoint.

use std::path::{Path, PathBuf};

use recguard_trust::Envelope;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::AuditError;
use crate::receipt::{ChainRecord, StoredReceipt};
use crate::store::{components_dir, connect, store_error};

/// The shortest retention the store allows: the provisions' six months.
pub const MIN_RETENTION_DAYS: u64 = 180;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Reading a store: receipts, checkpoints, chain records, components.
pub struct AuditLog {
    connection: Connection,
    path: PathBuf,
}

impl AuditLog {
    /// Opens an existing store to read.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(AuditError::Store { path: path.display().to_string(), message: "no such store".into() });
        }
        Ok(AuditLog { connection: connect(&path)?, path })
    }

    /// Receipts with `from <= seq <= to`, in order.
    pub fn receipts(&self, from: u64, to: u64) -> Result<Vec<StoredReceipt>, AuditError> {
        let error = store_error(&self.path);
        let mut statement =
            self.connection.prepare("SELECT seq, body, hash FROM receipts WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq").map_err(&error)?;
        let rows = statement
            .query_map(params![from, to], |row| Ok(StoredReceipt { seq: row.get(0)?, body: row.get(1)?, hash: row.get(2)? }))
            .map_err(&error)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&error)
    }

    /// Every receipt, in order.
    pub fn all_receipts(&self) -> Result<Vec<StoredReceipt>, AuditError> {
        self.receipts(0, i64::MAX as u64)
    }

    /// One receipt.
    pub fn receipt(&self, seq: u64) -> Result<Option<StoredReceipt>, AuditError> {
        Ok(self.receipts(seq, seq)?.pop())
    }

    /// The sequence numbers of receipts recorded in `[from_ms, to_ms]`.
    pub fn seq_range(&self, from_ms: u64, to_ms: u64) -> Result<Option<(u64, u64)>, AuditError> {
        self.connection
            .query_row(
                "SELECT MIN(seq), MAX(seq) FROM receipts WHERE recorded_at_ms BETWEEN ?1 AND ?2",
                params![from_ms, to_ms],
                |row| Ok(row.get::<_, Option<u64>>(0)?.zip(row.get::<_, Option<u64>>(1)?)),
            )
            .map_err(store_error(&self.path))
    }

    /// Every checkpoint, by `seq`: (seq, envelope).
    pub fn checkpoints(&self) -> Result<Vec<(u64, Envelope)>, AuditError> {
        let error = store_error(&self.path);
        let mut statement = self.connection.prepare("SELECT seq, envelope FROM checkpoints ORDER BY seq").map_err(&error)?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, u64>(0)?, row.get::<_, String>(1)?))).map_err(&error)?;
        let mut checkpoints = Vec::new();
        for row in rows {
            let (seq, text) = row.map_err(&error)?;
            let envelope = Envelope::from_json(text.as_bytes()).map_err(|e| AuditError::Store {
                path: self.path.display().to_string(),
                message: format!("checkpoint at receipt {seq}: {e}"),
            })?;
            checkpoints.push((seq, envelope));
        }
        Ok(checkpoints)
    }

    /// The chain record with `digest`.
    pub fn chain(&self, digest: &str) -> Result<Option<ChainRecord>, AuditError> {
        let text: Option<String> = self
            .connection
            .query_row("SELECT record FROM chains WHERE digest = ?1", params![digest], |row| row.get(0))
            .optional()
            .map_err(store_error(&self.path))?;
        text.map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| AuditError::Store { path: self.path.display().to_string(), message: format!("chain {digest}: {e}") })
        })
        .transpose()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the store keeps its components.
    pub fn components_dir(&self) -> PathBuf {
        components_dir(&self.path)
    }

    /// Deletes receipts older than `retention_days` (at least
    /// [`MIN_RETENTION_DAYS`]) at `now_ms`, but only up to a signed
    /// checkpoint, so that the rest still verifies from it; never the last
    /// receipt. Returns how many were deleted and the checkpoint the log now
    /// starts from (if it starts from one).
    pub fn prune(&mut self, retention_days: u64, now_ms: u64) -> Result<(u64, Option<u64>), AuditError> {
        if retention_days < MIN_RETENTION_DAYS {
            return Err(AuditError::Settings(format!(
                "retention of {retention_days} days is below the {MIN_RETENTION_DAYS} days (six months) the provisions require"
            )));
        }
        let error = store_error(&self.path);
        let cutoff = now_ms.saturating_sub(retention_days.saturating_mul(DAY_MS));
        let last: u64 = self.connection.query_row("SELECT COALESCE(MAX(seq), 0) FROM receipts", [], |row| row.get(0)).map_err(&error)?;
        // The first receipt younger than the retention (whatever the clock did
        // between receipts): nothing from it on may go.
        let first_young: Option<u64> = self
            .connection
            .query_row("SELECT MIN(seq) FROM receipts WHERE recorded_at_ms > ?1", params![cutoff], |row| row.get(0))
            .map_err(&error)?;
        let keep_from = first_young.unwrap_or(last).min(last);
        // The latest signed checkpoint before it: the log will start from there.
        let anchor: Option<u64> = self
            .connection
            .query_row("SELECT MAX(seq) FROM checkpoints WHERE seq < ?1", params![keep_from], |row| row.get(0))
            .map_err(&error)?;
        let Some(anchor) = anchor else { return Ok((0, None)) };
        let deleted = self.connection.execute("DELETE FROM receipts WHERE seq <= ?1", params![anchor]).map_err(&error)?;
        Ok((deleted as u64, Some(anchor)))
    }
}
