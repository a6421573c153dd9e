//! One module per subcommand, each a clap struct with `execute()`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod eval;
mod inspect;
mod summary;
mod test;

/// recguard: a WebAssembly policy runtime for recommendation systems.
#[derive(Parser)]
#[command(name = "recguard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate requests through the chain a config file describes; prints each outcome (JSON, or a summary).
    Eval(eval::EvalCommand),
    /// Print what a policy component describes, and its WIT.
    Inspect(inspect::InspectCommand),
    /// Run a policy's test vectors against its compiled component.
    Test(test::TestCommand),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Eval(c) => c.execute(),
            Command::Inspect(c) => c.execute(),
            Command::Test(c) => c.execute(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
