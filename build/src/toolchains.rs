//! Finding the pinned JavaScript and Python componentizers.
//!
//! `toolchains/package.json` (with its lock file) and
//! `toolchains/requirements.txt` pin them; `scripts/setup.sh` installs them
//! into `toolchains/node_modules` and the virtual environment
//! `toolchains/python`. They are looked for in `$RECGUARD_TOOLCHAINS`, then in
//! the `toolchains/` folder of the source tree recguard was built from, then
//! on `PATH`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// A componentizer: the program that turns a script into a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Componentizer {
    /// componentize-qjs (QuickJS), for JavaScript; the default engine.
    QuickJs,
    /// componentize-js (StarlingMonkey, SpiderMonkey's embedding), for JavaScript.
    StarlingMonkey,
    /// componentize-py (CPython), for Python.
    Python,
}

impl Componentizer {
    /// The program's name.
    pub fn program(self) -> &'static str {
        match self {
            Componentizer::QuickJs => "componentize-qjs",
            Componentizer::StarlingMonkey => "componentize-js",
            Componentizer::Python => "componentize-py",
        }
    }

    /// Where the program sits inside a toolchains folder.
    fn relative_path(self) -> PathBuf {
        match self {
            Componentizer::QuickJs | Componentizer::StarlingMonkey => Path::new("node_modules/.bin").join(self.program()),
            Componentizer::Python => Path::new("python/bin").join(self.program()),
        }
    }

    /// The path of the program, or an error that says how to install it.
    pub fn locate(self) -> Result<PathBuf> {
        for dir in toolchain_dirs() {
            let path = dir.join(self.relative_path());
            if path.is_file() {
                return Ok(path);
            }
        }
        if let Some(path) = on_path(self.program()) {
            return Ok(path);
        }
        bail!(
            "{} is not installed: run `./scripts/setup.sh` in the recguard source tree (it installs the pinned \
             versions into toolchains/), or set RECGUARD_TOOLCHAINS to a folder that has them",
            self.program()
        )
    }
}

/// The library that fixes the clock and entropy a componentizer's build-time
/// pre-initialisation sees (`toolchains/deterministic-build.c`, which
/// `scripts/setup.sh` compiles into `toolchains/lib/`), if it is installed.
pub fn deterministic_build_library() -> Option<PathBuf> {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return None;
    }
    toolchain_dirs().into_iter().map(|dir| dir.join("lib/libdeterministic-build.so")).find(|path| path.is_file())
}

/// The folders searched for installed toolchains, in order.
pub fn toolchain_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("RECGUARD_TOOLCHAINS") {
        dirs.push(PathBuf::from(dir));
    }
    dirs.push(source_tree().join("toolchains"));
    dirs
}

/// The source tree recguard was built from (holds `wit/` and the SDKs).
pub fn source_tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}
