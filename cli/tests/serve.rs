//! `recguard serve`, started as a provider would start it (the real binary,
//! a real loopback port), and talked to over HTTP: every route, bad input
//! of each kind, saturation answering 503, and SIGTERM draining what is in flight.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use recguard_server::grpc::pb::batch_answer::Answer;
use recguard_server::grpc::pb::sidecar_client::SidecarClient;
use recguard_server::grpc::pb::BatchRequest;
use recguard_tests::{components, workspace_root};

/// A running server, killed when dropped.
struct Server {
    child: Child,
    base: String,
    /// The admin listener, if it has one.
    admin: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &str, extra: &[&str]) -> Server {
    start_with(config, extra, Stdio::inherit())
}

/// Starts the server with its log going to `stderr`; returns once it listens.
fn start_with(config: &str, extra: &[&str], stderr: Stdio) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recguard"))
        .current_dir(workspace_root())
        .args(["serve", "--config", config, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the server starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let mut urls = first.split_whitespace().filter_map(|w| w.find("http://").map(|at| w[at..].trim_end_matches(')').to_string()));
    let base = urls.next().unwrap_or_else(|| panic!("no address in {first:?}"));
    Server { child, base, admin: urls.next() }
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
fn a_policy_stopped_at_its_deadline_is_counted_by_limit_and_error_policy() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loop.toml");
    let text = format!(
        "[trust]\nallow-unsigned = true\n[[policy]]\npath = {:?}\nissuer = \"provider\"\non-error = \"fail-open\"\nlimits = {{ deadline-ms = 20 }}\n[policy.settings]\nbehaviour = \"loop\"\n",
        components::SCRIPTED
    );
    std::fs::write(&config, text).unwrap();
    let server = start(config.to_str().unwrap(), &[]);
    let (status, body, _) = post(&format!("{}/v1/evaluate", server.base), &example("hot-list.json"));
    assert_eq!(status, 200, "{body}");
    let outcome: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(outcome["verdict"]["kind"], "serve", "fail-open serves: {body}");
    let metrics = get(&format!("{}/metrics", server.base));
    assert!(metrics.contains("recguard_limit_hits_total{policy=\"scripted\",limit=\"deadline\"} 1"), "{metrics}");
    assert!(
        metrics.contains("recguard_policy_failures_total{policy=\"scripted\",kind=\"deadline\",handled=\"fail-open\"} 1"),
        "{metrics}"
    );
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

    // Over gRPC as well, on the same admission: one call runs, the others get UNAVAILABLE with retry-after.
    let message = recguard_server::grpc::request_message(&serde_json::from_str(&request).unwrap()).unwrap();
    let statuses: Vec<Result<(), tonic::Status>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let message = message.clone();
                let base = server.base.clone();
                scope.spawn(move || with_grpc(&base, async |client| client.evaluate(message).await.map(|_| ())))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().any(Result::is_ok), "{statuses:?}");
    let refused: Vec<&tonic::Status> = statuses.iter().filter_map(|s| s.as_ref().err()).collect();
    assert!(!refused.is_empty(), "{statuses:?}");
    for status in refused {
        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
        assert_eq!(status.metadata().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"), "{status:?}");
    }
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

/// The first policy's name in `GET /v1/policies`.
fn first_policy(base: &str) -> String {
    let policies: serde_json::Value = serde_json::from_str(&get(&format!("{base}/v1/policies"))).unwrap();
    policies["policies"][0]["name"].as_str().unwrap().to_string()
}

/// Polls `check` for up to 20 s.
fn eventually(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(20), "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn reload_swaps_a_good_chain_in_and_keeps_the_last_good_one_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.wasm");
    std::fs::copy(workspace_root().join(components::NOOP), &policy).unwrap();
    let config = dir.path().join("recguard.toml");
    std::fs::write(&config, "[trust]\nallow-unsigned = true\n[[policy]]\npath = \"policy.wasm\"\nissuer = \"provider\"\n").unwrap();
    let server = start(
        config.to_str().unwrap(),
        &["--admin-listen", "127.0.0.1:0", "--watch-interval-ms", "100"],
    );
    let admin = server.admin.clone().expect("an admin listener");
    let base = server.base.clone();
    assert_eq!(first_policy(&base), "noop");

    // On demand, from the admin listener only.
    let (status, body, _) = post(&format!("{admin}/v1/reload"), "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"reloaded\":true"), "{body}");
    assert_eq!(post(&format!("{base}/v1/reload"), "").0, 404, "not on the API listener");

    // A corrupt component swapped in: the watcher's reload fails, the last good chain serves.
    std::fs::write(&policy, b"\0asm garbage, half written").unwrap();
    eventually("the failed reload shows in /readyz", || get(&format!("{base}/readyz")).contains("the last reload failed"));
    let (status, body, _) = post(&format!("{base}/v1/evaluate"), &example("hot-list.json"));
    assert_eq!(status, 200, "the last good chain serves: {body}");
    assert_eq!(first_policy(&base), "noop");
    let metrics = get(&format!("{base}/metrics"));
    assert!(metrics.contains("recguard_reloads_total{result=\"failed\"}"), "{metrics}");
    assert!(metrics.contains("recguard_last_reload_failed 1"), "{metrics}");
    let (status, body, _) = post(&format!("{admin}/v1/reload"), "");
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("policy.wasm"), "the error names the file: {body}");

    // A good component: swapped in on change, and the failure clears.
    std::fs::copy(workspace_root().join(components::PROBE), &policy).unwrap();
    eventually("the probe serves", || first_policy(&base) == "probe");
    assert_eq!(get(&format!("{base}/readyz")), "ready\n");
    assert!(get(&format!("{base}/metrics")).contains("recguard_last_reload_failed 0"));

    // SIGHUP reloads too.
    let before = get(&format!("{base}/metrics"));
    let ok_reloads = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("recguard_reloads_total{result=\"ok\"}"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    eventually("SIGHUP reloads", || ok_reloads(&get(&format!("{base}/metrics"))) > ok_reloads(&before));
}

#[test]
fn the_log_is_json_lines_on_request() {
    let mut server = start_with("examples/recguard.toml", &["--log-format", "json"], Stdio::piped());
    let mut stderr = server.child.stderr.take().unwrap();
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let mut log = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}: {log}");
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let serving = lines.iter().find(|l| l["fields"]["message"] == "serving").unwrap_or_else(|| panic!("{log}"));
    assert_eq!(serving["level"], "INFO");
    assert_eq!(serving["fields"]["policies"], 2);
    assert!(lines.iter().any(|l| l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("stopped"))), "{log}");
}

/// A validator of `schema`, one of `document`'s, whose references resolve in the document.
fn validator_for(document: &serde_json::Value, schema: &serde_json::Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = document["components"].clone();
    jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

/// Checks `body` (the answer to `method path` with `status`) against the
/// schema the OpenAPI document gives for it.
fn conforms(document: &serde_json::Value, method: &str, path: &str, status: u16, body: &str) {
    let operation = &document["paths"][path][method];
    let schema = &operation["responses"][status.to_string()]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "the document has no JSON answer for {method} {path} {status}");
    let validator = validator_for(document, schema);
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{method} {path} {status}: {e}: {body}"));
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path())).take(5).collect();
    assert!(errors.is_empty(), "{method} {path} {status} does not match the document: {errors:?}");
}

#[test]
fn the_openapi_document_describes_every_real_answer() {
    let server = start("examples/recguard.toml", &["--max-body-bytes", "20000", "--admin-listen", "127.0.0.1:0"]);
    let base = &server.base;
    let document: serde_json::Value = serde_json::from_str(&get(&format!("{base}/openapi.json"))).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut paths: Vec<&str> = document["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/healthz", "/metrics", "/openapi.json", "/readyz", "/v1/evaluate", "/v1/evaluate:batch", "/v1/policies", "/v1/reload"]
    );

    // Every example request is a request by the schema too; a misspelt field is not.
    let requests =
        validator_for(&document, &document["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"]["application/json"]["schema"]);
    for entry in std::fs::read_dir(workspace_root().join("examples/requests")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(requests.is_valid(&value), "{text}");
        let misspelt: serde_json::Value = serde_json::from_str(&text.replacen("\"surface\"", "\"surfce\"", 1)).unwrap();
        assert!(!requests.is_valid(&misspelt));
    }

    // Each answer as the server gave it.
    let evaluate = format!("{base}/v1/evaluate");
    for name in ["hot-list.json", "minor-at-23h.json"] {
        let (status, body, _) = post(&evaluate, &example(name));
        conforms(&document, "post", "/v1/evaluate", status, &body);
    }
    let (status, body, _) = post(&evaluate, "{ not json");
    assert_eq!(status, 400);
    conforms(&document, "post", "/v1/evaluate", status, &body);
    let (status, body, _) = post(&evaluate, &" ".repeat(30_000));
    assert_eq!(status, 413);
    conforms(&document, "post", "/v1/evaluate", status, &body);
    let batch = format!("[{}, {{\"id\": 1}}]", example("hot-list.json"));
    let (status, body, _) = post(&format!("{base}/v1/evaluate:batch"), &batch);
    conforms(&document, "post", "/v1/evaluate:batch", status, &body);
    conforms(&document, "get", "/v1/policies", 200, &get(&format!("{base}/v1/policies")));
    let (status, body, _) = post(&format!("{}/v1/reload", server.admin.as_ref().unwrap()), "");
    conforms(&document, "post", "/v1/reload", status, &body);
}

/// Runs `work` with a gRPC client of the server at `base`.
fn with_grpc<T>(
    base: &str,
    work: impl AsyncFnOnce(&mut SidecarClient<tonic::transport::Channel>) -> T,
) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(base.to_string()).unwrap().connect().await.unwrap();
        work(&mut SidecarClient::new(channel)).await
    })
}

/// An outcome's JSON read back, without the times each step took (which differ between runs).
fn timeless(outcome: serde_json::Value) -> recguard_host::Outcome {
    let mut outcome: recguard_host::Outcome = serde_json::from_value(outcome).unwrap();
    for step in &mut outcome.trace {
        (step.elapsed_us, step.host_us) = (0, 0);
    }
    outcome
}

#[test]
fn grpc_answers_as_http_does_on_the_same_port() {
    let server = start("examples/recguard.toml", &[]);
    let base = server.base.clone();
    for name in ["hot-list.json", "minor-at-23h.json"] {
        let json: serde_json::Value = serde_json::from_str(&example(name)).unwrap();
        let message = recguard_server::grpc::request_message(&json).unwrap();
        let outcome = with_grpc(&base, async |client| client.evaluate(message).await.unwrap().into_inner());
        let (status, body, _) = post(&format!("{base}/v1/evaluate"), &example(name));
        assert_eq!(status, 200);
        let over_http: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(timeless(recguard_server::grpc::outcome_json(&outcome)), timeless(over_http), "{name}");
    }

    // A batch: an answer per request, in order, a bad one named by its index.
    let good = recguard_server::grpc::request_message(&serde_json::from_str(&example("hot-list.json")).unwrap()).unwrap();
    let mut no_user = good.clone();
    no_user.user = None;
    let answers = with_grpc(&base, async |client| {
        let batch = BatchRequest { requests: vec![good.clone(), no_user.clone()] };
        client.evaluate_batch(batch).await.unwrap().into_inner().answers
    });
    assert!(matches!(answers[0].answer, Some(Answer::Outcome(_))), "{answers:?}");
    let Some(Answer::Error(error)) = &answers[1].answer else { panic!("{answers:?}") };
    assert!(error.starts_with("request 1:") && error.contains("user"), "{error}");

    // A bad request: INVALID_ARGUMENT with the message the CLI prints.
    let mut bad_time = good.clone();
    bad_time.now_ms = 1;
    let status = with_grpc(&base, async |client| client.evaluate(bad_time).await.unwrap_err());
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("now-ms"), "{status:?}");

    let metrics = get(&format!("{base}/metrics"));
    assert!(metrics.contains("recguard_requests_total{verdict=\"error\"} 2"), "{metrics}");
}
