//! Starting a policy project (`recguard new <name> --lang rust|js|python`):
//! a folder that builds with `recguard build` and passes its first vectors
//! with `recguard test`, out of the box. Every language gets the same small
//! policy (drop candidates on a blocked topic, citing D9 / F9), the same two
//! vectors and a README that says what to do next.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::project::{Language, MANIFEST};
use crate::toolchains::source_tree;

const JS_POLICY: &str = r#"// {name}: drops candidates on a blocked topic (D9 / F9: providers keep a
// feature library to identify illegal and harmful information and act on it).
import { Article, Decision, Finding } from "recguard";

export const name = "{name}";
export const version = "0.1.0";
export const summary = "Drops candidates on a blocked topic.";
export const articles = [Article.D9F9];
// The request fields this policy reads; everything else arrives empty.
export const reads = ["candidates.topics"];

// Settings and their defaults; JSON keys are kebab-case ("blocked-topics").
export const defaults = {
  blockedTopics: ["gambling"],
};

// Called once when the policy loads; return a message to refuse the settings.
export function validate(settings) {
  if (settings.blockedTopics.some((t) => typeof t !== "string" || t === "")) {
    return "blocked-topics: every topic must be a non-empty string";
  }
}

export function evaluate(request, settings) {
  const decision = new Decision();
  const blocked = new Set(settings.blockedTopics);
  for (const candidate of request.candidates) {
    const topic = candidate.topics.find((t) => blocked.has(t));
    if (topic !== undefined) {
      decision.drop(candidate, new Finding("{name}.blocked-topic", Article.D9F9, `Items on ${topic} are not recommended here.`));
    }
  }
  return decision;
}
"#;

const PYTHON_POLICY: &str = r#""""{name}: drops candidates on a blocked topic (D9 / F9: providers keep a
feature library to identify illegal and harmful information and act on it)."""

from recguard import Article, Decision, Finding

NAME = "{name}"
VERSION = "0.1.0"
SUMMARY = "Drops candidates on a blocked topic."
ARTICLES = [Article.D9F9]
# The request fields this policy reads; everything else arrives empty.
READS = ["candidates.topics"]

# Settings and their defaults; JSON keys are kebab-case ("blocked-topics").
DEFAULTS = {
    "blocked_topics": ["gambling"],
}


def validate(settings):
    """Called once when the policy loads; return a message to refuse the settings."""
    if any(not isinstance(t, str) or not t for t in settings.blocked_topics):
        return "blocked-topics: every topic must be a non-empty string"
    return None


def evaluate(request, settings):
    decision = Decision()
    blocked = set(settings.blocked_topics)
    for candidate in request.candidates:
        topic = next((t for t in candidate.topics if t in blocked), None)
        if topic is not None:
            decision.drop(candidate, Finding("{name}.blocked-topic", Article.D9F9, f"Items on {topic} are not recommended here."))
    return decision
"#;

const RUST_POLICY: &str = r#"//! {name}: drops candidates on a blocked topic (D9 / F9: providers keep a
//! feature library to identify illegal and harmful information and act on it).

use recguard_sdk::prelude::*;

/// Settings and their defaults; JSON keys are kebab-case ("blocked-topics").
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Topics whose items are dropped.
    pub blocked_topics: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { blocked_topics: vec!["gambling".into()] }
    }
}

/// The policy.
pub struct BlockedTopics;

impl Policy for BlockedTopics {
    type Settings = Settings;
    const NAME: &'static str = "{name}";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Drops candidates on a blocked topic.";
    const ARTICLES: &'static [Article] = &[Article::D9F9];
    /// The request fields this policy reads; everything else arrives empty.
    const READS: &'static [&'static str] = &["candidates.topics"];

    fn validate(settings: &Settings) -> Result<(), String> {
        if settings.blocked_topics.iter().any(|t| t.is_empty()) {
            return Err("blocked-topics: every topic must be a non-empty string".into());
        }
        Ok(())
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
        let mut decision = Decision::new();
        for candidate in request.candidates().iter() {
            if let Some(topic) = candidate.topics().find(|t| settings.blocked_topics.iter().any(|b| b == t)) {
                let finding = Finding::new("{name}.blocked-topic", Article::D9F9, format!("Items on {topic} are not recommended here."));
                decision.drop(&candidate, &finding);
            }
        }
        decision
    }
}

export_policy!(BlockedTopics);
"#;

const RUST_MANIFEST: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
recguard-sdk = { path = "{sdk}" }
serde = { version = "1", features = ["derive"] }

# A project of its own, not a member of any workspace above it.
[workspace]

# What `recguard build` compiles policies with.
[profile.policy]
inherits = "release"
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = "debuginfo"
"#;

const VECTOR_DROPS: &str = r#"{
  "name": "an item on a blocked topic is dropped, citing D9 / F9",
  "request": {
    "id": "v1", "now-ms": 1795579200000, "utc-offset-minutes": 480, "surface": "feed",
    "user": { "id": "u1", "age-band": "adult" },
    "candidates": [
      { "id": "a", "kind": "video", "topics": ["science"] },
      { "id": "b", "kind": "video", "topics": ["music", "gambling"] },
      { "id": "c", "kind": "article", "topics": [] }
    ]
  },
  "expect": {
    "verdict": { "kind": "serve" },
    "candidates": [ { "id": "a" }, { "id": "c" } ],
    "trace": [ { "findings": [ { "code": "{name}.blocked-topic", "article": "D9 / F9" } ] } ]
  }
}
"#;

const VECTOR_SETTINGS: &str = r#"{
  "name": "settings choose the topics: nothing on them, nothing dropped",
  "settings": { "blocked-topics": ["lottery"] },
  "request": {
    "id": "v2", "now-ms": 1795579200000, "utc-offset-minutes": 480, "surface": "feed",
    "user": { "id": "u1", "age-band": "adult" },
    "candidates": [ { "id": "a", "kind": "video", "topics": ["gambling"] } ]
  },
  "expect": { "candidates": [ { "id": "a" } ] }
}
"#;

const README: &str = r#"# {name}

A recguard policy in {language}: drops candidates on a blocked topic (D9 / F9).

```sh
recguard build            # the component: target/policies/{name}.wasm
recguard test .           # runs vectors/*.json against it
recguard inspect target/policies/{name}.wasm
```

Change `{source}` (the rule), add vectors under `vectors/` (each a request, optional
settings, and the parts of the outcome you expect), and sign the component before a
provider runs it: `recguard sign target/policies/{name}.wasm --key … --issuer provider`.
"#;

/// Creates a policy project called `name` in `dir` (which must not exist or
/// be empty) and returns the files written.
pub fn create(dir: &Path, name: &str, language: Language) -> Result<Vec<PathBuf>> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') || name.starts_with('-') {
        bail!("the name `{name}` must be lowercase letters, digits and dashes (it names the component and its finding codes)");
    }
    if dir.exists() && std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.next().is_some() {
        bail!("{} already exists and is not empty", dir.display());
    }
    let (language_name, source, policy) = match language {
        Language::JavaScript => ("javascript", "src/policy.js", JS_POLICY.to_string()),
        Language::Python => ("python", "src/policy.py", PYTHON_POLICY.to_string()),
        Language::Rust => ("rust", "src/lib.rs", RUST_POLICY.to_string()),
    };
    let mut files: Vec<(PathBuf, String)> = vec![(PathBuf::from(source), policy.replace("{name}", name))];
    let manifest_source = match language {
        Language::Rust => {
            let sdk = source_tree().join("guest-sdk");
            files.push((PathBuf::from("Cargo.toml"), RUST_MANIFEST.replace("{name}", name).replace("{sdk}", &sdk.display().to_string())));
            "Cargo.toml"
        }
        _ => source,
    };
    files.push((
        PathBuf::from(MANIFEST),
        format!("[policy]\nname = \"{name}\"\nlanguage = \"{language_name}\"\nsource = \"{manifest_source}\"\n"),
    ));
    files.push((PathBuf::from("vectors/01-blocked-topic-dropped.json"), VECTOR_DROPS.replace("{name}", name)));
    files.push((PathBuf::from("vectors/02-settings-choose-the-topics.json"), VECTOR_SETTINGS.to_string()));
    files.push((PathBuf::from("README.md"), README.replace("{name}", name).replace("{language}", language_name).replace("{source}", source)));
    files.push((PathBuf::from(".gitignore"), "target/\n".to_string()));
    let mut written = Vec::new();
    for (relative, text) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
