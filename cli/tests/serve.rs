//! `recguard serve`, started as a provider would start it (the real binary,
//! a real loopback port), and talked to over HTTP: every route, bad input
//! of each kind, saturation answering 503, and SIGTERM draining what is in flight.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use recguard_tests::{components, workspace_root};

/// A running server, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recguard"))
        .current_dir(workspace_root())
        .args(["serve", "--config", config, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let base = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no address in {first:?}")).to_string();
    Server { child, base }
}

fn post(url: &str, body: &str) -> (u16, String, Option<String>) {
    match ureq::post(url).set("content-type", "application/json").send_string(body) {
        Ok(response) => (response.status(), response.into_string().unwrap(), None),
        Err(ureq::Error::Status(code, response)) => {
            let retry = response.header("retry-after").map(str::to_string);
            (code, response.into_string().unwrap(), retry)
        }
        Err(e) => panic!("POST {url}: {e}"),
    }
}

fn get(url: &str) -> String {
    ureq::get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}")).into_string().unwrap()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(workspace_root().join("examples/requests").join(name)).unwrap()
}

/// A config of the scripted test policy spinning `spin` loop iterations (unsigned: development).
fn spinning_config(dir: &std::path::Path, spin: u64) -> String {
    let path = dir.join("spin.toml");
    let text = format!(
        "[trust]\nallow-unsigned = true\n[[policy]]\npath = {:?}\nissuer = \"provider\"\nlimits = {{ deadline-ms = 5000 }}\n[policy.settings]\nbehaviour = \"spin\"\nspin = {spin}\n",
        components::SCRIPTED
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn every_route_answers() {
    let server = start("examples/recguard.toml", &[]);
    assert_eq!(get(&format!("{}/healthz", server.base)), "ok\n");
    assert_eq!(get(&format!("{}/readyz", server.base)), "ready\n");

    let policies: serde_json::Value = serde_json::from_str(&get(&format!("{}/v1/policies", server.base))).unwrap();
    let names: Vec<&str> = policies["policies"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["minors", "hot-list-integrity"]);
    assert!(policies["policies"][0]["signed-by"].as_str().unwrap().starts_with("ed25519:"));
    assert!(policies["policies"][0]["digest"].as_str().unwrap().starts_with("sha256:"));

    let (status, body, _) = post(&format!("{}/v1/evaluate", server.base), &example("minor-at-23h.json"));
    assert_eq!(status, 200, "{body}");
    let outcome: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(outcome["verdict"]["kind"], "block");

    let batch = format!("[{}, {}, {{\"id\": 1}}]", example("hot-list.json"), example("minor-at-23h.json"));
    let (status, body, _) = post(&format!("{}/v1/evaluate:batch", server.base), &batch);
    assert_eq!(status, 200, "{body}");
    let items: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(items[0]["outcome"]["verdict"]["kind"], "serve");
    assert_eq!(items[1]["outcome"]["verdict"]["kind"], "block");
    assert!(items[2]["error"].as_str().unwrap().starts_with("request 2:"), "{}", items[2]);

    let metrics = get(&format!("{}/metrics", server.base));
    assert!(metrics.contains("recguard_requests_total{verdict=\"block\"} 2"), "{metrics}");
    assert!(metrics.contains("recguard_requests_total{verdict=\"serve\"} 1"), "{metrics}");
    assert!(metrics.contains("recguard_requests_total{verdict=\"error\"} 1"), "{metrics}");
    assert!(metrics.contains("recguard_policy_evaluation_seconds_count{policy=\"minors\"}"), "{metrics}");
}

#[test]
fn bad_input_gets_400_or_413_with_the_clis_message() {
    let server = start("examples/recguard.toml", &["--max-body-bytes", "20000"]);
    let url = format!("{}/v1/evaluate", server.base);
    let (status, body, _) = post(&url, "{ not json");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"error\""), "{body}");

    let unknown = example("hot-list.json").replacen("\"surface\"", "\"surfce\"", 1);
    let (status, body, _) = post(&url, &unknown);
    assert_eq!(status, 400);
    assert!(body.contains("surfce"), "{body}");

    let wrong_type = example("hot-list.json").replacen("\"now-ms\": ", "\"now-ms\": \"soon\", \"x\": ", 1);
    let (status, body, _) = post(&url, &wrong_type);
    assert_eq!(status, 400, "{body}");

    let (status, _, _) = post(&url, &" ".repeat(30_000));
    assert_eq!(status, 413);
    // The server carries on.
    let (status, _, _) = post(&url, &example("hot-list.json"));
    assert_eq!(status, 200);
}

#[test]
fn a_saturated_server_answers_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&spinning_config(dir.path(), 200_000_000), &["--workers", "1", "--queue", "0"]);
    let url = format!("{}/v1/evaluate", server.base);
    let request = example("hot-list.json");
    let answers: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| {
                let (status, _, retry) = post(&url, &request);
                (status, retry)
            }))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().any(|(s, _)| *s == 200), "{answers:?}");
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!refused.is_empty(), "{answers:?}");
    assert!(refused.iter().all(|(_, retry)| retry.as_deref() == Some("1")), "{answers:?}");
}

#[test]
fn sigterm_drains_the_requests_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&spinning_config(dir.path(), 200_000_000), &[]);
    let url = format!("{}/v1/evaluate", server.base);
    let request = example("hot-list.json");
    std::thread::scope(|scope| {
        let in_flight = scope.spawn(|| post(&url, &request));
        std::thread::sleep(Duration::from_millis(50));
        let pid = server.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let (status, body, _) = in_flight.join().unwrap();
        assert_eq!(status, 200, "the request in flight finished: {body}");
    });
    let started = Instant::now();
    let exit = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the server did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
}
