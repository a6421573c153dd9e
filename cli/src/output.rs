//! Writing to standard output without panicking: a closed pipe or a full disk
//! is an error like any other (one line on standard error, exit code 2).

use std::io::Write;

use anyhow::{Context, Result};

/// Writes `text` and a newline to standard output.
pub fn line(text: impl std::fmt::Display) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).context("cannot write to standard output")
}

/// Folds a message onto one line: its lines, trimmed, joined with ` | `.
pub fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
}
