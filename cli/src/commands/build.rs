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
        // A build can take a while and prints nothing until it ends; say what
        // is happening (on standard error, so that standard output stays the result).
        eprintln!("{}", what_building_takes(&project));
        let built = recguard_build::build(&project, &out)?;
        let reproducible = match &built.reproducible {
            Some(recguard_build::Reproducible::Yes) => "; reproducible".to_string(),
            Some(recguard_build::Reproducible::No(why)) => format!("; not reproducible: {why}"),
            None => String::new(),
        };
        output::line(format!(
            "built {} ({:.1} MB, {:.1} s): imports {}{}{reproducible}",
            built.path.display(),
            built.bytes as f64 / 1e6,
            built.took.as_secs_f64(),
            built.imports.join(", "),
            if built.stripped.is_empty() { String::new() } else { format!("; removed build-time export(s) {}", built.stripped.join(", ")) }
        ))?;
        Ok(ExitCode::SUCCESS)
    }
}

/// What is about to run and how long it usually takes.
fn what_building_takes(project: &Project) -> String {
    use recguard_build::{Engine, Language};
    let how = match (project.language, project.engine) {
        (Language::Rust, _) => "Rust for wasm32 with cargo; a first build takes 1–2 minutes (more where the standard library is built from source)",
        (Language::JavaScript, Engine::QuickJs) => "JavaScript with componentize-qjs (QuickJS; a few seconds)",
        (Language::JavaScript, Engine::StarlingMonkey) => "JavaScript with componentize-js (StarlingMonkey; about 10 s)",
        (Language::Python, _) => "Python with componentize-py (10–20 s)",
    };
    format!("building {}: {how}", project.name)
}
