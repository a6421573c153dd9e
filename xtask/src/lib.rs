//! Builds the workspace's policy crates into WebAssembly components, with
//! `recguard-build` (which says how). Used by `cargo xtask build-policies`.

pub mod contract;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use recguard_build::rust;

/// The workspace root (the folder above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A policy crate found in the workspace.
pub struct Policy {
    /// The Cargo package name; the component is `<package>.wasm`.
    pub package: String,
}

/// Every policy crate under `policies/` and `tests/policies/`.
pub fn discover_policies(root: &Path) -> Result<Vec<Policy>> {
    let mut found = Vec::new();
    for dir in ["policies", "tests/policies"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let manifest = path.join("Cargo.toml");
            if !manifest.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&manifest)?;
            let value: toml::Table = toml::from_str(&text)
                .with_context(|| format!("reading {}", manifest.display()))?;
            let package = value
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .with_context(|| format!("{} has no package name", manifest.display()))?;
            found.push(Policy { package: package.to_string() });
        }
    }
    if found.is_empty() {
        bail!("no policy crates under policies/ or tests/policies/");
    }
    Ok(found)
}

/// Builds `policies` (all of them if empty) into `<root>/target/policies/<package>.wasm`
/// and returns the components' paths.
pub fn build_policies(root: &Path, packages: &[String]) -> Result<Vec<PathBuf>> {
    let all = discover_policies(root)?;
    let selected: Vec<&Policy> = if packages.is_empty() {
        all.iter().collect()
    } else {
        packages
            .iter()
            .map(|name| all.iter().find(|p| &p.package == name).with_context(|| format!("no policy package named '{name}'")))
            .collect::<Result<_>>()?
    };
    let toolchain = rust::find_toolchain()?;
    let packages: Vec<&str> = selected.iter().map(|policy| policy.package.as_str()).collect();
    let cores = rust::compile_core_modules(root, &root.join("target/wasm"), &toolchain, &packages)?;
    let out_dir = root.join("target/policies");
    std::fs::create_dir_all(&out_dir)?;
    let mut built = Vec::new();
    for (package, core) in packages.iter().zip(cores) {
        let out = out_dir.join(format!("{package}.wasm"));
        rust::componentize(&core, &out)?;
        built.push(out);
    }
    if packages.len() == all.len() {
        built.extend(build_twins(root)?);
    }
    Ok(built)
}

/// The JavaScript and Python twins of reference policies: the policy
/// projects at `policies/<policy>/<language>/`, each built into
/// `target/policies/<policy>-<language>.wasm` and staged under
/// `target/twins/` (never in the source tree, whose changes make cargo run
/// the tests' build script again). A twin whose inputs are unchanged since
/// its last build, and whose component is still the one that build wrote,
/// is not built again (see [`TwinStamp`]).
pub fn build_twins(root: &Path) -> Result<Vec<PathBuf>> {
    let mut built = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("policies"))?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs {
        for language in ["js", "python"] {
            let project_dir = dir.join(language);
            if !project_dir.join(recguard_build::project::MANIFEST).is_file() {
                continue;
            }
            let mut project = recguard_build::Project::open(&project_dir)?;
            project.work_dir = root.join("target/twins").join(format!("{}-{language}", project.name));
            let out = root.join("target/policies").join(format!("{}-{language}.wasm", project.name));
            let stamp_path = project.work_dir.join("built.stamp");
            let inputs = TwinStamp::inputs_digest(root, &project)?;
            let fresh = std::fs::read_to_string(&stamp_path).ok().and_then(|text| TwinStamp::parse(&text));
            if fresh.is_some_and(|stamp| stamp.inputs == inputs && stamp.matches_output(&out)) {
                built.push(out);
                continue;
            }
            recguard_build::build(&project, &out).with_context(|| format!("building {}", project_dir.display()))?;
            let stamp = TwinStamp::of_output(inputs, &out)?;
            std::fs::write(&stamp_path, stamp.render()).with_context(|| format!("writing {}", stamp_path.display()))?;
            built.push(out);
        }
    }
    Ok(built)
}

/// What a twin's last build was made from and what it wrote: the digest of
/// its inputs (the project's files, the SDKs and the contract this build of
/// recguard carries, the pinned toolchains' lock files and the
/// deterministic-build library), and the size and
/// modification time of the component it wrote.
#[derive(Debug, PartialEq)]
pub struct TwinStamp {
    /// SHA-256 of the inputs, hex.
    pub inputs: String,
    /// The component's size in bytes.
    pub output_bytes: u64,
    /// The component's modification time, nanoseconds since the Unix epoch.
    pub output_modified_ns: u128,
}

impl TwinStamp {
    /// Digests everything a twin's build reads.
    pub fn inputs_digest(root: &Path, project: &recguard_build::Project) -> Result<String> {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut files = Vec::new();
        collect_files(&project.dir, &mut files)?;
        files.sort();
        for file in files {
            let relative = file.strip_prefix(&project.dir).unwrap_or(&file);
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            for part in [relative.to_string_lossy().as_bytes(), &bytes] {
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part);
            }
        }
        for text in [recguard_build::script::JS_SDK, recguard_build::script::PYTHON_SDK, recguard_build::script::POLICY_WIT] {
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        // The deterministic-build library decides whether a QuickJS build is
        // reproducible: a twin built without it is built again once it is there.
        for toolchain_file in
            ["toolchains/package-lock.json", "toolchains/requirements.txt", "toolchains/lib/libdeterministic-build.so"]
        {
            let bytes = std::fs::read(root.join(toolchain_file)).unwrap_or_default();
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
        Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The stamp of a build of `inputs` that wrote `output`.
    pub fn of_output(inputs: String, output: &Path) -> Result<TwinStamp> {
        let (output_bytes, output_modified_ns) =
            file_identity(output).with_context(|| format!("reading the metadata of {}", output.display()))?;
        Ok(TwinStamp { inputs, output_bytes, output_modified_ns })
    }

    /// Whether `output` is still the component this build wrote.
    pub fn matches_output(&self, output: &Path) -> bool {
        file_identity(output).is_ok_and(|identity| identity == (self.output_bytes, self.output_modified_ns))
    }

    /// The stamp as text: one `key value` line each.
    pub fn render(&self) -> String {
        format!("inputs {}\noutput-bytes {}\noutput-modified-ns {}\n", self.inputs, self.output_bytes, self.output_modified_ns)
    }

    /// Reads a stamp written by [`TwinStamp::render`]; none if it is not one.
    pub fn parse(text: &str) -> Option<TwinStamp> {
        let mut lines = text.lines().map(|line| line.split_once(' '));
        let (Some(("inputs", inputs)), Some(("output-bytes", bytes)), Some(("output-modified-ns", modified))) =
            (lines.next()?, lines.next()?, lines.next()?)
        else {
            return None;
        };
        Some(TwinStamp { inputs: inputs.to_string(), output_bytes: bytes.parse().ok()?, output_modified_ns: modified.parse().ok()? })
    }
}

/// A file's size and modification time (nanoseconds since the Unix epoch).
fn file_identity(path: &Path) -> std::io::Result<(u64, u128)> {
    let metadata = std::fs::metadata(path)?;
    let modified = metadata.modified()?.duration_since(std::time::UNIX_EPOCH).map_err(std::io::Error::other)?;
    Ok((metadata.len(), modified.as_nanos()))
}

/// The source files of a project folder: what its build copies
/// ([`recguard_build::script::is_source`]).
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if !recguard_build::script::is_source(&entry.file_name().to_string_lossy()) {
            continue;
        }
        if entry.file_type()?.is_dir() {
            collect_files(&entry.path(), files)?;
        } else {
            files.push(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(dir: &Path, source: &str) -> recguard_build::Project {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("recguard.toml"), "[policy]\nname = \"twin\"\nlanguage = \"javascript\"\n").unwrap();
        std::fs::write(dir.join("src/policy.js"), source).unwrap();
        recguard_build::Project::open(dir).unwrap()
    }

    #[test]
    fn a_stamp_reads_back_and_goes_stale_when_a_source_or_the_output_changes() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path();
        let first = project(&root.join("p"), "export const a = 1;\n");
        let inputs = TwinStamp::inputs_digest(root, &first).unwrap();
        // Build output and hidden files are not inputs.
        std::fs::create_dir_all(root.join("p/target")).unwrap();
        std::fs::write(root.join("p/target/x"), "built").unwrap();
        std::fs::write(root.join("p/.editor"), "state").unwrap();
        assert_eq!(TwinStamp::inputs_digest(root, &first).unwrap(), inputs);

        let out = root.join("twin.wasm");
        std::fs::write(&out, "component").unwrap();
        let stamp = TwinStamp::of_output(inputs.clone(), &out).unwrap();
        assert_eq!(TwinStamp::parse(&stamp.render()), Some(TwinStamp::of_output(inputs.clone(), &out).unwrap()));
        assert!(stamp.matches_output(&out));
        assert_eq!(TwinStamp::parse("inputs abc\n"), None);

        // Another component written there is not the one the build wrote.
        std::fs::write(&out, "another component").unwrap();
        assert!(!stamp.matches_output(&out));
        // An edited source is another input.
        let edited = project(&root.join("p"), "export const a = 2;\n");
        assert_ne!(TwinStamp::inputs_digest(root, &edited).unwrap(), inputs);
    }
}
