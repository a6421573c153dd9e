//! `recguard inspect policy.wasm`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::output;
use recguard_host::{CacheUse, Limits, PolicyComponent};

/// Print a policy's descriptor and the WIT of its component.
#[derive(Args)]
pub struct InspectCommand {
    /// The policy component.
    policy: PathBuf,
    /// Print only the descriptor, as JSON.
    #[arg(long)]
    json: bool,
}

impl InspectCommand {
    /// Loads the component (which checks its world) and prints what it says.
    pub fn execute(self) -> Result<ExitCode> {
        let runtime = super::runtime()?;
        let component = PolicyComponent::load_file(&runtime, &self.policy)?;
        let descriptor = component.descriptor();
        if self.json {
            output::line(serde_json::to_string_pretty(descriptor)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        output::line(format!("name:     {}", descriptor.name))?;
        output::line(format!("version:  {}", descriptor.version))?;
        output::line(format!("digest:   {}", component.digest()))?;
        output::line(format!("compiled: {}", describe_cache_use(component.cache_use())))?;
        output::line(format!("summary:  {}", descriptor.summary))?;
        let articles: Vec<String> = descriptor.articles.iter().map(|a| a.to_string()).collect();
        output::line(format!("articles: {}", articles.join(", ")))?;
        output::line(format!("reads:    {}", descriptor.reads.join(", ")))?;
        output::line(format!(
            "receives: {} (every other request field reaches it empty)",
            component.reads().paths().join(", ")
        ))?;
        let applies_to = match component.validate_settings(&descriptor.default_settings, &Limits::default()) {
            Ok(checked) => checked.applies_to.to_string(),
            Err(error) => format!("(depends on its settings; it refuses its defaults: {})", recguard_host::one_line(&error.to_string())),
        };
        output::line(format!("applies to: {applies_to} (with its default settings; skipped on other requests)"))?;
        let defaults: serde_json::Value = serde_json::from_str(&descriptor.default_settings)
            .unwrap_or(serde_json::Value::String(descriptor.default_settings.clone()));
        output::line(format!("default settings:\n{}", serde_json::to_string_pretty(&defaults)?))?;
        output::line(format!("\nWIT:\n{}", component_wit(&self.policy)?))?;
        Ok(ExitCode::SUCCESS)
    }
}

fn describe_cache_use(cache: &CacheUse) -> String {
    match cache {
        CacheUse::Off => "now (no compile cache)".into(),
        CacheUse::Hit => "earlier (read from the compile cache)".into(),
        CacheUse::Stored => "now, and kept in the compile cache".into(),
        CacheUse::NotStored { reason } => format!("now; not kept in the compile cache: {reason}"),
    }
}

/// The WIT world of a component, as text.
fn component_wit(path: &PathBuf) -> Result<String> {
    let bytes = std::fs::read(path)?;
    let decoded = wit_component::decode(&bytes).context("decoding the component's WIT")?;
    let mut printer = wit_component::WitPrinter::default();
    printer.print(decoded.resolve(), decoded.package(), &[])?;
    Ok(printer.output.to_string())
}
