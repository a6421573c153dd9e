//! Writing policies in Rust, JavaScript and Python, as an author would:
//! `recguard new`, `recguard build`, `recguard test`, then a chain with
//! `recguard eval`. The JavaScript and Python componentizers are the pinned
//! ones `scripts/setup.sh` installs into `toolchains/`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use recguard_tests::workspace_root;
use serde_json::Value;

/// The CLI, run in `dir` with `args`, sharing the tests' compile cache.
fn recguard_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_recguard"));
    command
        .current_dir(dir)
        .env("RECGUARD_CACHE_DIR", workspace_root().join("target/test-compile-cache"))
        // A new Rust project compiles where the workspace's policies do, so
        // that the standard library (built from source for wasm32) and the
        // SDK are compiled once, not once more per test run.
        .env("CARGO_TARGET_DIR", workspace_root().join("target/wasm"))
        .args(args);
    command
}

fn recguard(dir: &Path, args: &[&str]) -> Output {
    recguard_command(dir, args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn a_new_project_in_each_language_builds_passes_its_vectors_and_is_signed() {
    let scratch = tempfile::tempdir().unwrap();
    for language in ["js", "python", "rust"] {
        let name = format!("topics-{language}");
        let created = recguard(scratch.path(), &["new", &name, "--lang", language]);
        assert!(created.status.success(), "{}", text(&created));
        let project = scratch.path().join(&name);
        let built = recguard(&project, &["build"]);
        assert!(built.status.success(), "{language}: {}", text(&built));
        let said = text(&built);
        assert!(said.contains(&format!("target/policies/{name}.wasm")), "{said}");
        assert!(!said.contains("wasi"), "{language}: the component imports WASI: {said}");
        // A build says whether it can be repeated bit for bit (see the test below).
        match language {
            "js" => assert!(said.contains("; reproducible"), "{said}"),
            "python" => assert!(said.contains("; not reproducible: componentize-py"), "{said}"),
            _ => assert!(!said.contains("reproducible"), "{said}"),
        }
        let tested = recguard(&project, &["test", "."]);
        assert!(tested.status.success(), "{language}: {}", text(&tested));
        assert!(text(&tested).contains("2 passed, 0 failed"), "{}", text(&tested));
        // Signed and verified like any other component.
        let component = format!("target/policies/{name}.wasm");
        let keys = workspace_root().join("keys");
        let key = keys.join("demo-provider.pem");
        let signed = recguard(&project, &["sign", "--key", key.to_str().unwrap(), "--issuer", "provider", &component]);
        assert!(signed.status.success(), "{language}: {}", text(&signed));
        let public = keys.join("demo-provider.pub");
        let verified = recguard(&project, &["verify", &component, "--provider-key", public.to_str().unwrap()]);
        assert!(verified.status.success(), "{language}: {}", text(&verified));
        assert!(text(&verified).contains("D9 / F9"), "{}", text(&verified));
    }
    // A second project of the same name is refused, not overwritten.
    let again = recguard(scratch.path(), &["new", "topics-js", "--lang", "js"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    let bad = recguard(scratch.path(), &["new", "Bad_Name", "--lang", "js"]);
    assert!(text(&bad).contains("lowercase letters, digits and dashes"), "{}", text(&bad));
}

#[test]
fn a_python_build_does_not_look_through_the_machines_own_python_packages() {
    // Without an environment of its own, componentize-py asks `pipenv` and
    // the first `python3` on PATH where the machine's packages are. Stand-ins
    // that leave a mark show whether it did.
    let scratch = tempfile::tempdir().unwrap();
    let bin = scratch.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let mark = scratch.path().join("asked");
    for program in ["python3", "pipenv"] {
        let stand_in = bin.join(program);
        std::fs::write(&stand_in, format!("#!/bin/sh\necho {program} >> '{}'\nexit 1\n", mark.display())).unwrap();
        std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let created = recguard(scratch.path(), &["new", "isolated", "--lang", "python"]);
    assert!(created.status.success(), "{}", text(&created));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let built = recguard_command(&scratch.path().join("isolated"), &["build"])
        .env("PATH", path)
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built));
    assert!(!mark.exists(), "the build asked {}", std::fs::read_to_string(&mark).unwrap_or_default());
}

#[test]
fn a_javascript_project_builds_for_starlingmonkey_too() {
    let scratch = tempfile::tempdir().unwrap();
    let created = recguard(scratch.path(), &["new", "topics-sm", "--lang", "js"]);
    assert!(created.status.success(), "{}", text(&created));
    let project = scratch.path().join("topics-sm");
    let manifest = project.join("recguard.toml");
    let mut text_of_manifest = std::fs::read_to_string(&manifest).unwrap();
    text_of_manifest.push_str("engine = \"starlingmonkey\"\n");
    std::fs::write(&manifest, text_of_manifest).unwrap();
    let built = recguard(&project, &["build"]);
    assert!(built.status.success(), "{}", text(&built));
    // StarlingMonkey's component is the large one (about 12 MB), QuickJS's about 2.
    let said = text(&built);
    let megabytes: f64 = said.split(" (").nth(1).and_then(|s| s.split(" MB").next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(megabytes > 8.0, "{said}");
    // Checked against the contract's world when built; running its vectors
    // would compile 12 MB of code, which the QuickJS project above already covers.
    assert!(said.contains("imports recguard:policy/types@0.3.0, recguard:policy/host@0.3.0"), "{said}");
    assert!(said.contains("; not reproducible: componentize-js"), "{said}");
}

#[test]
fn a_quickjs_build_is_reproducible() {
    // Two builds of one source, in two folders at two different times, give
    // the same bytes: QuickJS's build-time snapshot holds no clock reading or
    // random bytes of the machine that built it.
    let scratch = tempfile::tempdir().unwrap();
    let mut components = Vec::new();
    for folder in ["first", "second"] {
        let parent = scratch.path().join(folder);
        std::fs::create_dir_all(&parent).unwrap();
        let created = recguard(&parent, &["new", "same-source", "--lang", "js"]);
        assert!(created.status.success(), "{}", text(&created));
        let built = recguard(&parent.join("same-source"), &["build"]);
        assert!(built.status.success(), "{}", text(&built));
        assert!(text(&built).contains("; reproducible"), "{}", text(&built));
        components.push(std::fs::read(parent.join("same-source/target/policies/same-source.wasm")).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    assert!(components[0] == components[1], "two builds of the same source differ");
}

const JS_AMBIENT: &str = r#"import { Article, Decision, Finding } from "recguard";
export const name = "ambient";
export const version = "0.1.0";
export const summary = "Calls what a policy may not.";
export const articles = [Article.D9F9];
export const reads = ["now-ms", "candidates.id"];
export function evaluate(request) {
  const what = request.candidates[0].id;
  console.log("asked for", what, { n: request.candidates.length });
  if (what === "date-now") Date.now();
  if (what === "new-date") new Date();
  if (what === "random") Math.random();
  if (what === "throw") throw new TypeError("boom");
  if (what === "date-of-request") console.info(new Date(request.nowMs).toISOString());
  return new Decision();
}
"#;

const PYTHON_AMBIENT: &str = r#"import datetime
import random
import time

from recguard import Article, Decision

NAME = "ambient"
VERSION = "0.1.0"
SUMMARY = "Calls what a policy may not."
ARTICLES = [Article.D9F9]
READS = ["now-ms", "candidates.id"]


def evaluate(request, settings):
    what = request.candidates[0].id
    print("asked for", what, len(request.candidates))
    if what == "date-now":
        time.time()
    if what == "new-date":
        datetime.datetime.now()
    if what == "random":
        random.random()
    if what == "throw":
        raise TypeError("boom")
    if what == "date-of-request":
        print(datetime.datetime.fromtimestamp(request.now_ms / 1000, datetime.timezone.utc).isoformat())
    return Decision()
"#;

/// Evaluates a request whose one candidate is `what` (the policy reads only
/// candidate ids) through the ambient policy (fail-open).
fn evaluate(project: &Path, what: &str) -> Value {
    let request = format!(
        r#"{{"id": "{what}", "now-ms": 1795579200000, "utc-offset-minutes": 480, "surface": "feed",
            "user": {{"id": "u", "age-band": "adult"}}, "candidates": [{{"id": "{what}", "kind": "video"}}]}}"#
    );
    std::fs::write(project.join("request.json"), request).unwrap();
    let output = recguard(project, &["eval", "--config", "chain.toml", "--request", "request.json"]);
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn clocks_randomness_and_escaping_errors_become_the_policys_error_and_output_goes_to_the_trace() {
    let scratch = tempfile::tempdir().unwrap();
    for (language, file, source, clock, date, random) in [
        ("javascript", "src/policy.js", JS_AMBIENT, "Date.now() is not available", "new Date() is not available", "Math.random() is not available"),
        ("python", "src/policy.py", PYTHON_AMBIENT, "time.time() is not available", "datetime.now() is not available", "random.random() is not available"),
    ] {
        let project = scratch.path().join(language);
        std::fs::create_dir_all(project.join("src")).unwrap();
        std::fs::write(project.join(file), source).unwrap();
        std::fs::write(project.join("recguard.toml"), format!("[policy]\nname = \"ambient\"\nlanguage = \"{language}\"\n")).unwrap();
        std::fs::write(
            project.join("chain.toml"),
            "[trust]\nallow-unsigned = true\n\n[[policy]]\npath = \"target/policies/ambient.wasm\"\nissuer = \"provider\"\non-error = \"fail-open\"\n",
        )
        .unwrap();
        let built = recguard(&project, &["build"]);
        assert!(built.status.success(), "{language}: {}", text(&built));

        for (what, expected) in [("date-now", clock), ("new-date", date), ("random", random), ("throw", "TypeError: boom")] {
            let outcome = evaluate(&project, what);
            let step = &outcome["trace"][0];
            assert_eq!(outcome["verdict"]["kind"], "serve", "{language} {what}: fail-open serves: {outcome}");
            assert_eq!(step["status"]["kind"], "failed", "{language} {what}: {step}");
            let failure = &step["status"]["failure"];
            assert_eq!(failure["kind"], "policy-error", "{language} {what}: an error, not a trap: {failure}");
            assert!(failure["message"].as_str().unwrap().contains(expected), "{language} {what}: {failure}");
        }
        let outcome = evaluate(&project, "date-of-request");
        let step = &outcome["trace"][0];
        assert_eq!(step["status"]["kind"], "applied", "{language}: {step}");
        let logs: Vec<&str> = step["logs"].as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect();
        assert!(logs[0].starts_with("asked for date-of-request"), "{language}: {logs:?}");
        assert!(logs[1].starts_with("2026-11-25T04:00:00"), "{language}: the request's own time: {logs:?}");
    }
}

#[test]
fn a_project_without_a_manifest_or_with_a_bad_one_is_refused_with_a_reason() {
    let scratch = tempfile::tempdir().unwrap();
    let output = recguard(scratch.path(), &["build"]);
    assert!(!output.status.success());
    assert!(text(&output).contains("no recguard.toml"), "{}", text(&output));
    std::fs::write(scratch.path().join("recguard.toml"), "[policy]\nname = \"x\"\nlanguage = \"cobol\"\n").unwrap();
    let output = recguard(scratch.path(), &["build"]);
    assert!(text(&output).contains("unknown variant `cobol`"), "{}", text(&output));
    std::fs::write(scratch.path().join("recguard.toml"), "[policy]\nname = \"x\"\nlanguage = \"python\"\n").unwrap();
    let output = recguard(scratch.path(), &["build"]);
    assert!(text(&output).contains("src/policy.py does not exist"), "{}", text(&output));
}
