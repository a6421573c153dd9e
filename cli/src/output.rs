//! Writing to standard output without panicking: a closed pipe or a full disk
//! is an error like any other (one line on standard error, exit code 2).

use std::io::Write;

use anyhow::{Context, Result};

/// Writes `text` and a newline to standard output.
pub fn line(text: impl std::fmt::Display) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).context("cannot write to standard output")
}

pub use recguard_host::one_line;
