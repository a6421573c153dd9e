//! `cargo xtask build-policies`: builds every policy crate under `policies/`
//! and `tests/policies/` into a component in `target/policies/`.
//! `cargo xtask contract [--check]`: generates the contract's types from `wit/`.

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
    /// Generate the contract's types from wit/ (host/src/wire.rs, guest-sdk/src/names.rs, tests/wire_bridge.rs).
    Contract {
        /// Only check that the generated files are current; fail naming those that are not.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> std::process::ExitCode {
    let root = xtask::workspace_root();
    let packages = match Args::parse().command {
        Task::BuildPolicies { packages } => packages,
        Task::Contract { check } => return contract(&root, check),
    };
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

fn contract(root: &std::path::Path, check: bool) -> std::process::ExitCode {
    match xtask::contract::run(root, check) {
        Ok(stale) if check && !stale.is_empty() => {
            for path in stale {
                eprintln!("xtask: {} is not what wit/ gives; run `cargo run -p xtask -- contract`", path.display());
            }
            std::process::ExitCode::from(1)
        }
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("xtask: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}
