//! `recguard`: evaluate requests through a policy chain, inspect policies,
//! run policy test vectors. A thin layer over `recguard-host`.

#![deny(missing_docs)]

use std::process::ExitCode;

use clap::Parser;

mod commands;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    match cli.execute() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("recguard: {error:#}");
            ExitCode::from(2)
        }
    }
}
