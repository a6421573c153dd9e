//! A policy project: a folder with a `recguard.toml` that says what the
//! policy is called, what it is written in and where its source is.
//!
//! ```toml
//! [policy]
//! name = "topic-filter"     # the component is <name>.wasm
//! language = "javascript"   # "rust", "javascript" or "python"
//! source = "src/policy.js"  # the module that exports the policy
//! engine = "quickjs"        # JavaScript only: "quickjs" (default) or "starlingmonkey"
//! vectors = "vectors"       # test vectors, for `recguard test` (the default)
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::toolchains::Componentizer;

/// The file that makes a folder a policy project.
pub const MANIFEST: &str = "recguard.toml";

/// What a policy is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Rust, with the `recguard-sdk` crate.
    Rust,
    /// JavaScript (an ES module), with `guest-sdk/js`.
    #[serde(alias = "js")]
    JavaScript,
    /// Python, with `guest-sdk/python`.
    Python,
}

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "rust" => Ok(Language::Rust),
            "js" | "javascript" => Ok(Language::JavaScript),
            "python" | "py" => Ok(Language::Python),
            other => Err(format!("unknown language `{other}`: use rust, js or python")),
        }
    }
}

/// The JavaScript engine a JavaScript policy is built with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// QuickJS (componentize-qjs): small components, the faster here.
    #[default]
    QuickJs,
    /// StarlingMonkey (componentize-js).
    StarlingMonkey,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    policy: PolicySection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySection {
    name: String,
    language: Language,
    source: Option<PathBuf>,
    engine: Option<Engine>,
    vectors: Option<PathBuf>,
}

/// A policy project, read from its `recguard.toml`.
#[derive(Clone, Debug)]
pub struct Project {
    /// The project's folder.
    pub dir: PathBuf,
    /// The policy's name; the component is `<name>.wasm`.
    pub name: String,
    /// What the policy is written in.
    pub language: Language,
    /// The module that exports the policy, relative to `dir` (a Rust project: its Cargo.toml).
    pub source: PathBuf,
    /// The JavaScript engine (JavaScript only).
    pub engine: Engine,
    /// The folder of test vectors.
    pub vectors: PathBuf,
    /// Where a build stages its work: `<dir>/target` unless the caller
    /// chooses another (the workspace builds its reference twins under its
    /// own `target/`, so that a build never writes into the source tree).
    /// A Rust project's compilation goes to `CARGO_TARGET_DIR` if that is
    /// set, as with cargo, else to `wasm/` here.
    pub work_dir: PathBuf,
}

impl Project {
    /// Reads the project in `dir`.
    pub fn open(dir: &Path) -> Result<Project> {
        let dir = &dir.canonicalize().with_context(|| format!("no folder {}", dir.display()))?;
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{} is not a policy project: no {MANIFEST} (start one with `recguard new`)", dir.display()))?;
        let manifest: Manifest = toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        let policy = manifest.policy;
        if policy.name.is_empty() || !policy.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            bail!("{}: name `{}` must be lowercase letters, digits and dashes", path.display(), policy.name);
        }
        if policy.engine.is_some() && policy.language != Language::JavaScript {
            bail!("{}: `engine` applies to JavaScript policies only", path.display());
        }
        let source = policy.source.unwrap_or_else(|| match policy.language {
            Language::Rust => PathBuf::from("Cargo.toml"),
            Language::JavaScript => PathBuf::from("src/policy.js"),
            Language::Python => PathBuf::from("src/policy.py"),
        });
        if !dir.join(&source).is_file() {
            bail!("{}: the source {} does not exist", path.display(), dir.join(&source).display());
        }
        Ok(Project {
            dir: dir.to_path_buf(),
            name: policy.name,
            language: policy.language,
            source,
            engine: policy.engine.unwrap_or_default(),
            vectors: dir.join(policy.vectors.unwrap_or_else(|| PathBuf::from("vectors"))),
            work_dir: dir.join("target"),
        })
    }

    /// The componentizer that builds this project, if it is a script.
    pub fn componentizer(&self) -> Option<Componentizer> {
        match (self.language, self.engine) {
            (Language::Rust, _) => None,
            (Language::JavaScript, Engine::QuickJs) => Some(Componentizer::QuickJs),
            (Language::JavaScript, Engine::StarlingMonkey) => Some(Componentizer::StarlingMonkey),
            (Language::Python, _) => Some(Componentizer::Python),
        }
    }

    /// Where `recguard build` writes the component by default.
    pub fn default_output(&self) -> PathBuf {
        self.dir.join("target/policies").join(format!("{}.wasm", self.name))
    }
}
