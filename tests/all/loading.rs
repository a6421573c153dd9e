//! Loading: only components of the recguard:policy world are accepted, with
//! errors that name what is missing or extra.

use recguard_host::{LoadError, PolicyComponent, PolicyOptions};
use recguard_tests::components;
use serde_json::json;

use crate::helpers::{load, runtime};

fn load_wat(text: &str) -> LoadError {
    let bytes = wat::parse_str(text).expect("valid WAT");
    PolicyComponent::load_bytes(runtime(), &bytes, "test.wasm").expect_err("rejected")
}

#[test]
fn a_component_of_another_world_is_rejected_naming_what_differs() {
    let error = load_wat(
        r#"(component
             (import "wasi:cli/environment@0.2.0" (instance))
             (core module $m (func (export "run")))
             (core instance $i (instantiate $m))
             (func (export "run") (canon lift (core func $i "run"))))"#,
    );
    let message = error.to_string();
    assert!(matches!(error, LoadError::WrongWorld { .. }), "{message}");
    assert!(message.contains("unexpected import `wasi:cli/environment@0.2.0`"), "{message}");
    assert!(message.contains("unexpected export `run`"), "{message}");
    assert!(message.contains("missing export `evaluate`"), "{message}");
}

#[test]
fn a_core_module_is_rejected_with_what_to_do() {
    let error = load_wat("(module)");
    assert!(matches!(error, LoadError::NotAComponent { .. }));
    assert!(error.to_string().contains("cargo xtask build-policies"), "{error}");
}

#[test]
fn bytes_that_are_not_wasm_are_rejected() {
    let error = PolicyComponent::load_bytes(runtime(), b"{\"not\": \"wasm\"}", "policy.json").err().unwrap();
    assert!(matches!(error, LoadError::NotWasm { .. }), "{error}");
}

#[test]
fn a_missing_file_names_the_path() {
    let error = PolicyComponent::load_file(runtime(), "/nonexistent/minors.wasm").err().unwrap();
    assert!(error.to_string().contains("/nonexistent/minors.wasm"), "{error}");
}

#[test]
fn a_policy_describes_itself() {
    let minors = load(components::MINORS);
    let descriptor = minors.descriptor();
    assert_eq!(descriptor.name, "minors");
    assert_eq!(descriptor.articles[0].to_string(), "D16 / F18");
    assert!(descriptor.reads.contains(&"user.age-band".to_string()));
    let defaults: serde_json::Value = serde_json::from_str(&descriptor.default_settings).unwrap();
    assert_eq!(defaults["curfew-start"], "22:00");
    assert!(minors.digest().starts_with("sha256:"));
}

#[test]
fn invalid_settings_are_rejected_once_at_load_with_the_policys_message() {
    let bad_clock = PolicyOptions::regulator().settings(json!({"curfew-start": "25:00"}));
    let error = recguard_host::Chain::builder(runtime()).trust(recguard_host::Trust::development()).policy(load(components::MINORS), bad_clock).err().unwrap();
    let message = error.to_string();
    assert!(message.contains("curfew-start") && message.contains("HH:MM"), "{message}");

    let typo = PolicyOptions::regulator().settings(json!({"curfew-strat": "23:00"}));
    let error = recguard_host::Chain::builder(runtime()).trust(recguard_host::Trust::development()).policy(load(components::MINORS), typo).err().unwrap();
    assert!(error.to_string().contains("unknown field `curfew-strat`"), "{error}");
}

#[test]
fn a_compiled_component_is_kept_and_reused_and_a_bad_entry_is_replaced() {
    use recguard_host::{CacheUse, Runtime, RuntimeOptions};
    let dir = std::env::temp_dir().join(format!("recguard-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = Runtime::new(RuntimeOptions { cache_dir: Some(dir.clone()), ..RuntimeOptions::default() }).unwrap();
    let first = PolicyComponent::load_file(&runtime, components::MINORS).unwrap();
    assert_eq!(first.cache_use(), &CacheUse::Stored);
    let again = PolicyComponent::load_file(&runtime, components::MINORS).unwrap();
    assert_eq!(again.cache_use(), &CacheUse::Hit);
    assert_eq!(again.digest(), first.digest());
    assert_eq!(again.descriptor(), first.descriptor());

    // The reused code decides exactly as the freshly compiled code.
    let request = recguard_tests::mixed_request(50, "hot-list");
    let limits = recguard_host::Limits::default();
    let decide = |c: &PolicyComponent| {
        let settings = c.validate_settings("{}", &limits).unwrap().encoded;
        c.evaluate(&request, &settings, &limits).unwrap().result.unwrap()
    };
    assert_eq!(decide(&again), decide(&first));

    // A damaged entry is not trusted: the component is compiled again and the entry replaced.
    // (It is damaged as a disk or a tool would leave it, as a new file: an entry
    // is mapped while a component loaded from it lives, and the cache never
    // changes one in place.)
    let entry = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "cwasm")).unwrap();
    std::fs::remove_file(&entry).unwrap();
    std::fs::write(&entry, b"not precompiled code").unwrap();
    let rebuilt = PolicyComponent::load_file(&runtime, components::MINORS).unwrap();
    assert_eq!(rebuilt.cache_use(), &CacheUse::Stored);
    assert_eq!(PolicyComponent::load_file(&runtime, components::MINORS).unwrap().cache_use(), &CacheUse::Hit);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_compile_cache_forgets_what_was_not_used_for_thirty_days() {
    use recguard_host::{CacheUse, Runtime, RuntimeOptions};
    use std::time::{Duration, SystemTime};
    let dir = tempfile::tempdir().unwrap();
    let days_ago = |days: u64| SystemTime::now() - Duration::from_secs(days * 24 * 3600);
    let age = |path: &std::path::Path, when: SystemTime| std::fs::File::open(path).unwrap().set_modified(when).unwrap();
    let old = dir.path().join("0000-0000000000000000.cwasm");
    let recent = dir.path().join("1111-0000000000000000.cwasm");
    let abandoned = dir.path().join("2222-0000000000000000.tmp4242");
    let unrelated = dir.path().join("notes.txt");
    for (path, when) in [(&old, days_ago(31)), (&recent, days_ago(29)), (&abandoned, days_ago(2)), (&unrelated, days_ago(400))] {
        std::fs::write(path, b"x").unwrap();
        age(path, when);
    }
    let runtime = Runtime::new(RuntimeOptions { cache_dir: Some(dir.path().to_path_buf()), ..RuntimeOptions::default() }).unwrap();

    // Storing an entry sweeps: what was unused for more than 30 days goes, and
    // a temporary file a crashed writer left; the rest stays.
    let stored = PolicyComponent::load_file(&runtime, components::NOOP).unwrap();
    assert_eq!(stored.cache_use(), &CacheUse::Stored);
    assert!(!old.exists() && !abandoned.exists());
    assert!(recent.exists() && unrelated.exists());

    // A hit marks its entry used, so that an entry in use is never swept.
    let hex = stored.digest().strip_prefix("sha256:").unwrap().to_string();
    let entry = |hex: &str| {
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().contains(hex)).unwrap()
    };
    let noop = entry(&hex);
    age(&noop, days_ago(45));
    assert_eq!(PolicyComponent::load_file(&runtime, components::NOOP).unwrap().cache_use(), &CacheUse::Hit);
    assert_eq!(PolicyComponent::load_file(&runtime, components::MINORS).unwrap().cache_use(), &CacheUse::Stored);
    assert!(noop.exists(), "an entry used today was swept");
    let modified = std::fs::metadata(&noop).unwrap().modified().unwrap();
    assert!(SystemTime::now().duration_since(modified).unwrap() < Duration::from_secs(3600));
}
