//! The `recguard` command line, run as a user would. (These tests live with
//! the binary's package so that cargo builds the binary for them; the rest of
//! the integration tests are in `tests/all`.)

use std::process::{Command, Output};

use recguard_tests::workspace_root;

/// The `recguard` binary, run from the workspace root, with a compile cache of
/// the tests' own (under `target/`, not the user's).
fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_recguard"));
    command.current_dir(workspace_root()).env("RECGUARD_CACHE_DIR", workspace_root().join("target/test-compile-cache"));
    command
}

/// Runs the `recguard` binary from the workspace root.
fn recguard(args: &[&str]) -> Output {
    // Building the tests crate (a dev-dependency) builds every policy component.
    let _ = recguard_tests::components::MINORS;
    command().args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn eval_prints_the_outcome_of_each_example_request() {
    let output = recguard(&[
        "eval",
        "--config",
        "examples/recguard.toml",
        "--request",
        "examples/requests/minor-at-23h.json",
        "--request",
        "examples/requests/hot-list.json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let outcomes: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(outcomes[0]["verdict"]["kind"], "block");
    assert_eq!(outcomes[0]["verdict"]["code"], "minors.curfew");
    assert_eq!(outcomes[1]["verdict"]["kind"], "serve");
    assert_eq!(outcomes[1]["trace"][1]["policy"], "hot-list-integrity");
}

#[test]
fn a_failing_vector_fails_the_run_and_says_where() {
    let dir = std::env::temp_dir().join(format!("recguard-vector-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("vectors")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"minors\"\n").unwrap();
    let vector = std::fs::read_to_string(workspace_root().join("policies/minors/vectors/01-curfew-blocks-at-23h.json")).unwrap();
    std::fs::write(dir.join("vectors/wrong.json"), vector.replace("\"block\"", "\"serve\"")).unwrap();
    let component = workspace_root().join("target/policies/minors.wasm");
    let output = recguard(&["test", dir.to_str().unwrap(), "--component", component.to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("at $.verdict.kind: expected \"serve\", got \"block\""), "{text}");
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn inspect_prints_the_descriptor_and_the_wit() {
    let output = recguard(&["inspect", "target/policies/minors.wasm"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("name:     minors"), "{text}");
    assert!(text.contains("D16 / F18"), "{text}");
    assert!(
        text.contains("applies to: users aged under8, from8to12, from12to16, from16to18 or in minors mode (with its default settings"),
        "{text}"
    );
    let output = recguard(&["inspect", "target/policies/disclosure.wasm"]);
    let text = stdout(&output);
    assert!(text.contains("applies to: (depends on its settings; it refuses its defaults: "), "{text}");
    assert!(text.contains("export evaluate: func(request: request, settings: list<u8>) -> result<decision, string>"), "{text}");
}

#[test]
fn errors_are_one_clear_message_and_exit_code_2() {
    let output = recguard(&["eval", "--config", "examples/recguard.toml", "--request", "Cargo.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.starts_with("recguard: request Cargo.toml:"), "{message}");
    assert!(!message.contains("panicked"), "{message}");

    let output = recguard(&["eval", "--config", "no-such.toml", "--request", "-"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read config no-such.toml"), "{}", stderr(&output));

    let output = recguard(&["inspect", "Cargo.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a WebAssembly file"), "{}", stderr(&output));
}

#[test]
fn test_runs_every_reference_policys_vectors_against_its_component() {
    let mut dirs: Vec<String> = std::fs::read_dir(workspace_root().join("policies"))
        .unwrap()
        .map(|e| format!("policies/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 12, "{dirs:?}");
    let mut args = vec!["test"];
    args.extend(dirs.iter().map(String::as_str));
    let output = recguard(&args);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(text.lines().last().unwrap().ends_with("passed, 0 failed"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}

/// Runs `recguard` with standard output going to `stdout`.
fn recguard_to(args: &[&str], stdout: std::process::Stdio) -> Output {
    let _ = recguard_tests::components::MINORS;
    command()
        .args(args)
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

/// Asserts the README's promise: one line on standard error, exit code 2, no panic.
fn assert_one_line_error(output: &Output, expected: &str) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.starts_with("recguard: ") && message.contains(expected), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

const EVAL: [&str; 5] = ["eval", "--config", "examples/recguard.toml", "--request", "examples/requests/hot-list.json"];

#[test]
fn a_closed_or_full_standard_output_is_an_error_not_a_panic() {
    // Before: exit 101 and a backtrace.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = recguard_to(&EVAL, writer.into());
    assert_one_line_error(&output, "cannot write to standard output");

    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = recguard_to(&EVAL, full.into());
    assert_one_line_error(&output, "cannot write to standard output");
}

#[test]
fn config_and_settings_errors_are_one_line() {
    let dir = std::env::temp_dir().join(format!("recguard-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let minors = workspace_root().join("target/policies/minors.wasm");
    let demo_key = workspace_root().join("keys/demo-regulator.pub");
    let policy = format!(
        "[trust]\nregulator-keys = [{:?}]\n[[policy]]\npath = {:?}\nissuer = \"regulator\"\n",
        demo_key.to_str().unwrap(),
        minors.to_str().unwrap()
    );

    // Before: six lines of TOML snippet.
    let bad_toml = write("bad.toml", &format!("{policy}mode = enforce\n"));
    let output = recguard(&["eval", "--config", &bad_toml, "--request", "examples/requests/hot-list.json"]);
    assert_one_line_error(&output, "line 6, column 8");

    let wrong_type = write("type.toml", &format!("[limits]\ndeadline-ms = \"soon\"\n{policy}"));
    let output = recguard(&["eval", "--config", &wrong_type, "--request", "examples/requests/hot-list.json"]);
    assert_one_line_error(&output, "deadline-ms");

    // Before: the whole default settings on a second line.
    let bad_settings = write("settings.toml", &format!("{policy}[policy.settings]\ncurfew-start = \"25:00\"\n"));
    let output = recguard(&["eval", "--config", &bad_settings, "--request", "examples/requests/hot-list.json"]);
    assert_one_line_error(&output, "curfew-start");

    let impossible = write("limits.toml", &format!("{policy}limits = {{ memory-mib = 0 }}\n"));
    let output = recguard(&["eval", "--config", &impossible, "--request", "examples/requests/hot-list.json"]);
    assert_one_line_error(&output, "memory-mib 0 is below");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn endless_inputs_are_cut_at_their_limits() {
    // Before: reading /dev/zero ran until memory was gone.
    let output = recguard(&["eval", "--config", "examples/recguard.toml", "--request", "/dev/zero"]);
    assert_one_line_error(&output, "larger than the 16 MiB a request may have");
    let output = recguard(&["inspect", "/dev/zero"]);
    assert_one_line_error(&output, "larger than the 128 MiB a policy component may have");
    let output = recguard(&["eval", "--config", "/dev/zero", "--request", "examples/requests/hot-list.json"]);
    assert_one_line_error(&output, "larger than the 1 MiB a config may have");
}

#[test]
fn the_summary_shows_verdict_counts_and_findings_at_a_glance() {
    let output = recguard(&[
        "eval",
        "--config",
        "examples/recguard.toml",
        "--format",
        "summary",
        "--request",
        "examples/requests/minor-at-23h.json",
        "--request",
        "examples/requests/hot-list.json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let blocked = text.lines().next().unwrap();
    assert!(blocked.starts_with("req-minor-2300: BLOCKED by minors (minors.curfew, D16 / F18"), "{text}");
    assert!(blocked.contains("Retry after 2026-"), "{text}");
    let served = text.lines().find(|l| l.contains(": SERVED")).expect("the hot-list request is served");
    assert!(served.contains("dropped"), "{text}");
    assert!(text.contains("hot-list.fake-engagement") && text.contains("D13 / F14"), "{text}");
}

#[test]
fn a_second_run_reuses_the_compiled_component_from_the_cache() {
    let cache = std::env::temp_dir().join(format!("recguard-cli-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let inspect = || {
        let output = command().env("RECGUARD_CACHE_DIR", &cache).args(["inspect", "target/policies/minors.wasm"]).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert!(inspect().contains("compiled: now, and kept in the compile cache"));
    assert!(inspect().contains("compiled: earlier (read from the compile cache)"));
    let off = command().env("RECGUARD_CACHE_DIR", "off").args(["inspect", "target/policies/minors.wasm"]).output().unwrap();
    assert!(stdout(&off).contains("compiled: now (no compile cache)"), "{}", stdout(&off));
    std::fs::remove_dir_all(&cache).ok();
}

#[test]
fn bench_reports_time_per_request_in_total_and_per_policy() {
    let output = recguard(&[
        "bench", "--config", "examples/recguard.toml", "--request", "examples/requests/hot-list.json",
        "--iterations", "30", "--warmup", "3", "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["iterations"], 30);
    assert_eq!(report["candidates"], 6);
    let policies: Vec<&str> = report["policies"].as_array().unwrap().iter().map(|p| p["policy"].as_str().unwrap()).collect();
    assert_eq!(policies, ["minors", "hot-list-integrity"]);
    let total = &report["total"];
    assert!(total["p50-us"].as_f64().unwrap() > 0.0);
    assert!(total["p50-us"].as_f64().unwrap() <= total["p99-us"].as_f64().unwrap());
    let share = report["host-share"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share), "{share}");
    let text = stdout(&recguard(&["bench", "--config", "examples/recguard.toml", "--request", "examples/requests/hot-list.json", "--iterations", "5", "--warmup", "0"]));
    assert!(text.contains("host share") && text.contains("hot-list-integrity"), "{text}");
    let zero = recguard(&["bench", "--config", "examples/recguard.toml", "--request", "examples/requests/hot-list.json", "--iterations", "0"]);
    assert_one_line_error(&zero, "--iterations must be at least 1");
}

#[test]
fn bench_perf_map_names_the_policies_functions() {
    let _ = recguard_tests::components::MINORS;
    let child = command()
        .args(["bench", "--config", "examples/recguard.toml", "--request", "examples/requests/hot-list.json"])
        .args(["--iterations", "1", "--warmup", "0", "--perf-map"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let map = std::path::PathBuf::from(format!("/tmp/perf-{}.map", child.id()));
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let text = std::fs::read_to_string(&map).unwrap_or_else(|e| panic!("{}: {e}", map.display()));
    std::fs::remove_file(&map).unwrap();
    // perf's map format: start address, size (hex), name; the name demangled
    // (with v0 mangling, each crate's name carries its disambiguator in brackets).
    let evaluate = text
        .lines()
        .find(|line| line.contains(" <minors") && line.contains("::Minors as recguard_sdk") && line.ends_with("::Policy>::evaluate"))
        .unwrap_or_else(|| panic!("no line for the minors policy's evaluate in {}", map.display()));
    let fields: Vec<&str> = evaluate.splitn(3, ' ').collect();
    assert!(fields[0].starts_with("0x") && u64::from_str_radix(fields[1], 16).unwrap() > 0, "{evaluate}");
}

#[test]
fn keygen_sign_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let output = recguard(&["keygen", "--out", &path("regulator.pem")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("ed25519:"));
    let again = recguard(&["keygen", "--out", &path("regulator.pem")]);
    assert_one_line_error(&again, "exists; use --force");
    assert!(recguard(&["keygen", "--out", &path("other.pem")]).status.success());

    let component = path("minors.wasm");
    std::fs::copy(workspace_root().join("target/policies/minors.wasm"), &component).unwrap();
    let unsigned = recguard(&["verify", &component, "--regulator-key", &path("regulator.pub")]);
    assert_eq!(unsigned.status.code(), Some(1));
    assert!(stdout(&unsigned).contains("NOT SIGNED"), "{}", stdout(&unsigned));

    let signed = recguard(&["sign", &component, "--key", &path("regulator.pem"), "--issuer", "regulator"]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    assert!(stdout(&signed).contains("signed minors"), "{}", stdout(&signed));

    let ok = recguard(&["verify", &component, "--regulator-key", &path("regulator.pub")]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("OK minors") && stdout(&ok).contains("issued by the regulator"), "{}", stdout(&ok));

    let other_key = recguard(&["verify", &component, "--regulator-key", &path("other.pub")]);
    assert_eq!(other_key.status.code(), Some(1));
    assert!(stdout(&other_key).contains("REFUSED: signed by an untrusted key"), "{}", stdout(&other_key));

    let wrong_role = recguard(&["verify", &component, "--provider-key", &path("regulator.pub")]);
    assert_eq!(wrong_role.status.code(), Some(1));
    assert!(stdout(&wrong_role).contains("REFUSED: wrong role"), "{}", stdout(&wrong_role));

    let mut bytes = std::fs::read(&component).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&component, bytes).unwrap();
    let truncated = recguard(&["verify", &component, "--regulator-key", &path("regulator.pub")]);
    assert_eq!(truncated.status.code(), Some(1));
    assert!(stdout(&truncated).contains("REFUSED: digest mismatch"), "{}", stdout(&truncated));
}

/// The README's walk-through: a provider's chain writes receipts; the
/// provider exports a period; a regulator verifies the export with the
/// provider's public key alone, and the provider replays a receipt.
#[test]
fn a_regulator_checks_a_providers_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let root = workspace_root();
    let config = std::fs::read_to_string(root.join("examples/recguard-audited.toml"))
        .unwrap()
        .replace("../target/receipts.db", &path("receipts.db"))
        .replace("\"../", &format!("\"{}/", root.display()));
    std::fs::write(path("recguard.toml"), config).unwrap();

    let eval = recguard(&[
        "eval", "--format", "summary", "--config", &path("recguard.toml"),
        "--request", "examples/requests/minor-at-23h.json", "--request", "examples/requests/hot-list.json",
    ]);
    assert!(eval.status.success(), "{}", stderr(&eval));
    assert!(stdout(&eval).contains("[receipt 1]") && stdout(&eval).contains("[receipt 2]"), "{}", stdout(&eval));

    let export = recguard(&["audit", "export", "--store", &path("receipts.db"), "--out", &path("log.jsonl")]);
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(stdout(&export).contains("exported 2 receipts"), "{}", stdout(&export));

    let provider_key = root.join("keys/demo-provider.pub");
    let verify = recguard(&["audit", "verify", "--export", &path("log.jsonl"), "--provider-key", provider_key.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    assert!(stdout(&verify).contains("OK, 2 receipts 1..2 chained, 1 signed checkpoints match"), "{}", stdout(&verify));

    let replay = recguard(&["replay", "1", "--to", "2", "--store", &path("receipts.db")]);
    assert!(replay.status.success(), "{}{}", stdout(&replay), stderr(&replay));
    assert_eq!(stdout(&replay), "receipt 1: identical\nreceipt 2: identical\n");

    // One changed character in the export: the regulator's check names the receipt.
    let text = std::fs::read_to_string(path("log.jsonl")).unwrap();
    std::fs::write(path("forged.jsonl"), text.replacen("req-minor-2300", "req-minor-2301", 1)).unwrap();
    let forged = recguard(&["audit", "verify", "--export", &path("forged.jsonl"), "--provider-key", provider_key.to_str().unwrap()]);
    assert_eq!(forged.status.code(), Some(1));
    assert!(stdout(&forged).contains("BROKEN at receipt 1"), "{}", stdout(&forged));

    let prune = recguard(&["audit", "prune", "--store", &path("receipts.db"), "--retention-days", "30"]);
    assert_one_line_error(&prune, "below the 180 days");
}
