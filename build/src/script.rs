//! JavaScript and Python policies: the project's source is staged beside the
//! SDK and a generated entry module, then componentized with WASI stubbed
//! out (a policy gets no clock, randomness or I/O, so nothing it decides
//! depends on the build or the machine).
//!
//! The staging folder is `recguard-build/<language>/` in the project's work
//! folder ([`Project::work_dir`], normally `<project>/target/`):
//! - `policy/`: a copy of the folder that holds the project's source;
//! - the SDK (`recguard.js`, or the `recguard` package for Python), as built
//!   into this recguard, so that a project builds against the SDK of the
//!   host that runs it;
//! - the entry (`main.js` or `app.py`), which exports the project's policy
//!   through the SDK's glue (`exportPolicy` / `export_policy`).
//!
//! The componentizers run the policy's top level once at build time and
//! snapshot the engine's memory, and during that run the engine reads the
//! build machine's clock and entropy. For QuickJS, the componentizer runs with
//! `toolchains/deterministic-build.c` preloaded, which gives it a fixed clock
//! and fixed bytes, so that the same source and toolchains give the same
//! component ([`Reproducible`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::project::{Language, Project};
use crate::toolchains::{deterministic_build_library, Componentizer};
use crate::Reproducible;

/// The JavaScript SDK, as this recguard was built with it.
pub const JS_SDK: &str = include_str!("../../guest-sdk/js/recguard.js");
/// The Python SDK, as this recguard was built with it.
pub const PYTHON_SDK: &str = include_str!("../../guest-sdk/python/recguard/__init__.py");
/// The contract the component is built against.
pub const POLICY_WIT: &str = include_str!("../../wit/policy.wit");

/// The JavaScript entry: the project's module exported through the SDK.
const JS_ENTRY: &str = "import * as policy from \"./policy-source/{source}\";\n\
import { exportPolicy } from \"./recguard.js\";\n\
const exported = exportPolicy(policy);\n\
export const describe = exported.describe;\n\
export const validateSettings = exported.validateSettings;\n\
export const evaluate = exported.evaluate;\n";

/// The Python entry: the project's module exported through the SDK.
const PYTHON_ENTRY: &str = "import recguard\nimport {module}\n\nWitWorld = recguard.export_policy({module})\n";

/// Builds a JavaScript or Python project into a component (not yet stripped
/// of its build-time exports) and returns its bytes, and whether building
/// again gives the same ones.
pub fn componentize(project: &Project, componentizer: Componentizer) -> Result<(Vec<u8>, Reproducible)> {
    let program = componentizer.locate()?;
    let staging = project.work_dir.join("recguard-build").join(match project.language {
        Language::Python => "python",
        _ => "js",
    });
    if staging.exists() {
        std::fs::remove_dir_all(&staging).with_context(|| format!("clearing {}", staging.display()))?;
    }
    let source = project.dir.join(&project.source);
    let source_dir = source.parent().context("the source has no folder")?;
    let file_name = source.file_name().context("the source has no file name")?.to_string_lossy().to_string();
    let is_js = project.language == Language::JavaScript;
    copy_dir(source_dir, &staging.join("policy-source"), is_js, 1)?;
    let wit_dir = staging.join("wit");
    std::fs::create_dir_all(&wit_dir)?;
    std::fs::write(wit_dir.join("policy.wit"), POLICY_WIT)?;
    let out = staging.join("component.wasm");
    let mut command = Command::new(&program);
    let reproducible = fix_clock_and_entropy(&mut command, componentizer);
    match componentizer {
        Componentizer::QuickJs | Componentizer::StarlingMonkey => {
            std::fs::write(staging.join("recguard.js"), JS_SDK)?;
            std::fs::write(staging.join("main.js"), JS_ENTRY.replace("{source}", &file_name))?;
            if componentizer == Componentizer::QuickJs {
                command
                    .args(["--wit"])
                    .arg(&wit_dir)
                    .args(["--world", "policy", "--js"])
                    .arg(staging.join("main.js"))
                    .arg("--module-root")
                    .arg(&staging)
                    .args(["--stub-wasi", "--sync", "-o"])
                    .arg(&out);
            } else {
                command
                    .arg(staging.join("main.js"))
                    .arg("--wit")
                    .arg(&wit_dir)
                    .args(["--world-name", "policy", "-d", "stdio", "random", "clocks", "http", "fetch-event", "-o"])
                    .arg(&out);
            }
        }
        Componentizer::Python => {
            let module = file_name.strip_suffix(".py").with_context(|| format!("{} is not a .py file", source.display()))?;
            let package = staging.join("sdk/recguard");
            std::fs::create_dir_all(&package)?;
            std::fs::write(package.join("__init__.py"), PYTHON_SDK)?;
            std::fs::write(staging.join("app.py"), PYTHON_ENTRY.replace("{module}", module))?;
            // componentize-py looks for packages that carry their own WIT (a
            // `componentize-py.toml`) in `$VIRTUAL_ENV`'s site-packages, and
            // without one in the site-packages of whatever `python3` is first on
            // PATH: the build machine's own packages. An empty environment keeps
            // the build to the project and the SDK. (Beside the staging
            // folder, not in it: that folder is on the app's Python path.)
            let no_packages = project.work_dir.join("recguard-build").join("python-env");
            std::fs::create_dir_all(no_packages.join("lib/python3/site-packages"))?;
            command
                .env("VIRTUAL_ENV", &no_packages)
                .arg("-d")
                .arg(&wit_dir)
                .args(["-w", "policy", "componentize", "app", "-p"])
                .arg(&staging)
                .arg("-p")
                .arg(staging.join("policy-source"))
                .arg("-p")
                .arg(staging.join("sdk"))
                .args(["--stub-wasi", "-o"])
                .arg(&out)
                // Reproducible: no hash randomisation or timestamps in what the
                // build pre-initialises.
                .env("PYTHONHASHSEED", "0")
                .env("SOURCE_DATE_EPOCH", "0")
                .env("PYTHONDONTWRITEBYTECODE", "1");
        }
    }
    let output = command.current_dir(&staging).output().with_context(|| format!("running {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{}{}",
            componentizer.program(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let bytes = std::fs::read(&out).with_context(|| format!("{} wrote no component at {}", componentizer.program(), out.display()))?;
    Ok((bytes, reproducible))
}

/// Runs the componentizer with a fixed clock and fixed entropy where that
/// makes its output reproducible, and says whether it does.
fn fix_clock_and_entropy(command: &mut Command, componentizer: Componentizer) -> Reproducible {
    match componentizer {
        Componentizer::QuickJs => match deterministic_build_library() {
            Some(library) => {
                let preload = match std::env::var_os("LD_PRELOAD") {
                    Some(existing) if !existing.is_empty() => {
                        let mut both = library.into_os_string();
                        both.push(" ");
                        both.push(existing);
                        both
                    }
                    _ => library.into_os_string(),
                };
                // The library fixes what code in componentize-qjs's native
                // module (where its Wizer runs) reads, and nothing else.
                command.env("LD_PRELOAD", preload).env("RECGUARD_DETERMINISTIC_IN", "componentize-qjs").env("SOURCE_DATE_EPOCH", "0");
                Reproducible::Yes
            }
            None if cfg!(all(target_os = "linux", target_env = "gnu")) => Reproducible::No(
                "toolchains/lib/libdeterministic-build.so is missing (./scripts/setup.sh builds it), so the build-time \
                 snapshot holds this machine's clock and random bytes"
                    .into(),
            ),
            None => Reproducible::No(
                "fixing the build-time clock and random bytes needs Linux with glibc, so the snapshot holds this \
                 machine's clock and random bytes"
                    .into(),
            ),
        },
        Componentizer::StarlingMonkey => Reproducible::No(
            "componentize-js's output differs from build to build, even with a fixed clock and fixed random bytes; \
             use QuickJS (the default engine) for reproducible builds"
                .into(),
        ),
        Componentizer::Python => Reproducible::No(
            "componentize-py's snapshot holds the modification times of the files it reads for each build \
             (Python's import system keeps them), and a few other values that differ"
                .into(),
        ),
    }
}

/// Whether a file or folder of a project is part of its source, which a
/// build copies: not build output (`target`), installed packages
/// (`node_modules`), Python's bytecode caches or hidden files.
pub fn is_source(name: &str) -> bool {
    !(name.starts_with('.') || name == "target" || name == "node_modules" || name == "__pycache__")
}

/// Copies a folder's source files and subfolders ([`is_source`]).
/// JavaScript modules get their imports of the SDK (`from "recguard"`)
/// pointed at the staged `recguard.js`, `depth` folders up: the
/// componentizers resolve only relative imports.
fn copy_dir(from: &Path, to: &Path, javascript: bool, depth: usize) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if !is_source(&name_text) {
            continue;
        }
        let path: PathBuf = entry.path();
        if entry.file_type()?.is_dir() {
            copy_dir(&path, &to.join(&name), javascript, depth + 1)?;
        } else if javascript && (name_text.ends_with(".js") || name_text.ends_with(".mjs")) {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let sdk = format!("\"{}recguard.js\"", "../".repeat(depth));
            let text = text.replace("from \"recguard\"", &format!("from {sdk}")).replace("from 'recguard'", &format!("from {sdk}"));
            std::fs::write(to.join(&name), text)?;
        } else {
            std::fs::copy(&path, to.join(&name)).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}
