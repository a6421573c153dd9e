//! `recguard new <name> --lang rust|js|python`: starts a policy project that
//! builds with `recguard build` and passes its vectors with `recguard test`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use recguard_build::Language;

use crate::output;

/// Start a policy project.
#[derive(Args)]
pub struct NewCommand {
    /// The policy's name (lowercase letters, digits, dashes); also the folder's, unless --dir.
    name: String,
    /// The language: rust, js or python.
    #[arg(long, value_parser = parse_language)]
    lang: Language,
    /// Where to create the project (default: ./<name>).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn parse_language(text: &str) -> Result<Language, String> {
    text.parse()
}

impl NewCommand {
    /// Writes the project and says what to run next.
    pub fn execute(self) -> Result<ExitCode> {
        let dir = self.dir.clone().unwrap_or_else(|| PathBuf::from(&self.name));
        let written = recguard_build::new::create(&dir, &self.name, self.lang)?;
        for path in &written {
            output::line(format!("created {}", path.display()))?;
        }
        output::line(format!("next: cd {} && recguard build && recguard test .", dir.display()))?;
        Ok(ExitCode::SUCCESS)
    }
}
