//! `recguard`: evaluate requests through a policy chain, inspect policies,
//! run policy test vectors. A thin layer over `recguard-host`.

#![deny(missing_docs)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

mod commands;
mod output;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    match cli.execute() {
        Ok(code) => code,
        Err(error) => {
            // One line, whatever the causes' own messages hold; a closed
            // standard error cannot be reported anywhere, so it is ignored.
            let message = output::one_line(&format!("{error:#}"));
            let _ = writeln!(std::io::stderr().lock(), "recguard: {message}");
            ExitCode::from(2)
        }
    }
}
