//! `recguard build [<project>]`: turns a policy project (Rust, JavaScript or
//! Python, as its `recguard.toml` says) into a checked component.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use recguard_build::Project;

use crate::output;

/// Build a policy project into a component.
#[derive(Args)]
pub struct BuildCommand {
    /// The project's folder (holds recguard.toml).
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Where to write the component (default: <project>/target/policies/<name>.wasm).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

impl BuildCommand {
    /// Builds, checks and writes the component; prints its size and imports.
    pub fn execute(self) -> Result<ExitCode> {
        let project = Project::open(&self.project)?;
        let out = self.out.clone().unwrap_or_else(|| project.default_output());
        let built = recguard_build::build(&project, &out)?;
        output::line(format!(
            "built {} ({:.1} MB, {:.1} s): imports {}{}",
            built.path.display(),
            built.bytes as f64 / 1e6,
            built.took.as_secs_f64(),
            built.imports.join(", "),
            if built.stripped.is_empty() { String::new() } else { format!("; removed build-time export(s) {}", built.stripped.join(", ")) }
        ))?;
        Ok(ExitCode::SUCCESS)
    }
}
