//! `cargo xtask build-policies`: builds every policy crate under `policies/`
//! and `tests/policies/` into a component in `target/policies/`.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Build tasks for recguard")]
struct Args {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build every policy into target/policies/<name>.wasm.
    BuildPolicies {
        /// Build only these packages (default: all under policies/ and tests/policies/).
        #[arg(long = "package", short = 'p')]
        packages: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let Task::BuildPolicies { packages } = Args::parse().command;
    let root = xtask::workspace_root();
    match xtask::build_policies(&root, &packages) {
        Ok(built) => {
            for path in built {
                println!("built {}", path.strip_prefix(&root).unwrap_or(&path).display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("xtask: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}
