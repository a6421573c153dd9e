//! Logging to the evaluation's trace through the host's `log` import.
//!
//! Natively (in unit tests) lines go to standard error instead.

use crate::bindings::recguard::policy::host;
use crate::bindings::recguard::policy::types::LogLevel;

fn write(level: LogLevel, message: &str) {
    if cfg!(target_arch = "wasm32") {
        host::log(level, message);
    } else {
        eprintln!("[{level:?}] {message}");
    }
}

/// Writes a debug line to the trace.
pub fn debug(message: &str) {
    write(LogLevel::Debug, message);
}

/// Writes an informational line to the trace.
pub fn info(message: &str) {
    write(LogLevel::Info, message);
}

/// Writes a warning to the trace.
pub fn warn(message: &str) {
    write(LogLevel::Warn, message);
}
