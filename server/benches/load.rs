//! Load test of the sidecar, on loopback only, bounded in time:
//! `cargo bench -p recguard-server --bench load` (after the policies are
//! built and signed: `scripts/demo.sh` or `scripts/test.sh`).
//!
//! 1. In-process: the whole reference suite (`examples/all-reference-policies.toml`)
//!    on a 100-candidate request, JSON parsing included (`Chain::evaluate_json`).
//! 2. The same request to `recguard serve`'s router over HTTP/1.1 keep-alive
//!    for `LOAD_SECONDS` (default 30) each: from one client (below
//!    saturation: on this 2-core machine the client needs the other core),
//!    then from as many clients as workers (the machine saturated, client
//!    included): throughput, p50 / p99 / max, errors.
//! 3. The same over gRPC (`recguard.v1.Sidecar/Evaluate`, HTTP/2 on the
//!    same port), from one client, for a third of the time.
//! 4. The suite plus a policy that loops for ever, fail-open, with a 10 ms
//!    deadline, from one client: the good requests' latency against that deadline.
//!
//! Targets (issue 10): server p50 ≤ 1.5× in-process; no errors below
//! saturation; with the looping policy, p99 ≤ its deadline + 2 ms.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use recguard_host::Chain;
use recguard_server::ServerOptions;

/// Latencies, sorted.
struct Latencies(Vec<Duration>);

impl Latencies {
    fn new(mut all: Vec<Duration>) -> Self {
        all.sort();
        Latencies(all)
    }

    fn quantile(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        self.0[((self.0.len() - 1) as f64 * q).round() as usize]
    }

    fn max(&self) -> Duration {
        self.0.last().copied().unwrap_or_default()
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// The in-process latencies of `chain` on `body` for `seconds`.
fn in_process(chain: &Chain, body: &str, seconds: u64) -> Latencies {
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut all = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        std::hint::black_box(chain.evaluate_json(body).expect("an outcome"));
        all.push(started.elapsed());
    }
    Latencies::new(all)
}

/// Serves `chain` on a loopback port from a background runtime; returns its base URL.
fn start(chain: Arc<Chain>, options: ServerOptions) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let listener = recguard_server::bind("127.0.0.1:0".parse().expect("an address")).await.expect("a port");
            tx.send(listener.local_addr().expect("an address")).expect("the bench waits");
            recguard_server::serve(listener, chain, options, std::future::pending()).await.expect("serving");
        });
    });
    format!("http://{}", rx.recv().expect("the server starts"))
}

/// `clients` threads posting `body` for `seconds`: latencies and errors.
fn load(url: &str, body: &str, clients: usize, seconds: u64) -> (Latencies, usize, Duration) {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
                    let (mut all, mut errors) = (Vec::new(), 0);
                    while Instant::now() < until {
                        let sent = Instant::now();
                        let answer = agent.post(url).set("content-type", "application/json").send_string(body);
                        match answer.map(|r| r.into_string()) {
                            Ok(Ok(_)) => all.push(sent.elapsed()),
                            _ => errors += 1,
                        }
                    }
                    (all, errors)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a client")).collect()
    });
    let errors = results.iter().map(|(_, e)| e).sum();
    let all = results.into_iter().flat_map(|(all, _)| all).collect();
    (Latencies::new(all), errors, started.elapsed())
}

/// The suite's config plus a policy that loops for ever, fail-open, with a
/// `deadline_ms` deadline (unsigned: the config allows it for this bench).
fn suite_with_a_loop(dir: &Path, deadline_ms: u64) -> PathBuf {
    let examples = root().join("examples");
    let text = std::fs::read_to_string(examples.join("all-reference-policies.toml")).expect("the suite's config");
    let mut config: toml::Table = text.parse().expect("TOML");
    let absolute = |value: &mut toml::Value| {
        if let Some(path) = value.as_str() {
            *value = toml::Value::String(examples.join(path).to_string_lossy().into_owned());
        }
    };
    if let Some(policies) = config.get_mut("policy").and_then(|p| p.as_array_mut()) {
        for policy in policies.iter_mut() {
            if let Some(path) = policy.get_mut("path") {
                absolute(path);
            }
        }
    }
    if let Some(trust) = config.get_mut("trust").and_then(|t| t.as_table_mut()) {
        if let Some(keys) = trust.get_mut("regulator-keys").and_then(|k| k.as_array_mut()) {
            keys.iter_mut().for_each(absolute);
        }
        trust.insert("allow-unsigned".into(), toml::Value::Boolean(true));
    }
    let looping: toml::Table = format!(
        "path = {:?}\nissuer = \"provider\"\non-error = \"fail-open\"\nlimits = {{ deadline-ms = {deadline_ms} }}\nsettings = {{ behaviour = \"loop\" }}\n",
        root().join("target/policies/scripted.wasm").to_string_lossy()
    )
    .parse()
    .expect("TOML");
    if let Some(policies) = config.get_mut("policy").and_then(|p| p.as_array_mut()) {
        policies.push(toml::Value::Table(looping));
    }
    let path = dir.join("suite-with-a-loop.toml");
    std::fs::write(&path, toml::to_string(&config).expect("TOML")).expect("writing the config");
    path
}

/// One gRPC client calling `Evaluate` with `body` (as its message) for `seconds`.
fn load_grpc(base: &str, body: &str, seconds: u64) -> (Latencies, usize, Duration) {
    use recguard_server::grpc::{pb::sidecar_client::SidecarClient, request_message};
    let message = request_message(&serde_json::from_str(body).expect("JSON")).expect("a request message");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(base.to_string()).expect("a URL").connect().await.expect("connected");
        let mut client = SidecarClient::new(channel);
        let started = Instant::now();
        let until = started + Duration::from_secs(seconds);
        let (mut all, mut errors) = (Vec::new(), 0);
        while Instant::now() < until {
            let sent = Instant::now();
            match client.evaluate(message.clone()).await {
                Ok(_) => all.push(sent.elapsed()),
                Err(_) => errors += 1,
            }
        }
        (Latencies::new(all), errors, started.elapsed())
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours skips the run.
    if std::env::args().skip(1).any(|a| !a.starts_with('-') && a != "load") {
        return;
    }
    let seconds: u64 = std::env::var("LOAD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let body = serde_json::to_string(&recguard_tests::mixed_request(100, "hot-list")).expect("JSON");
    let chain = Arc::new(Chain::from_config_file(root().join("examples/all-reference-policies.toml")).expect("the suite"));
    let options = ServerOptions::default();
    let clients = options.workers.max(2);

    let local = in_process(&chain, &body, 5.min(seconds));
    println!(
        "in-process (the suite, 100 candidates, JSON parsed): {} evaluations, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        local.0.len(),
        micros(local.quantile(0.5)),
        micros(local.quantile(0.99)),
        micros(local.max())
    );

    let base = start(chain, options.clone());
    let url = format!("{base}/v1/evaluate");
    for clients in [1, clients] {
        let (served, errors, took) = load(&url, &body, clients, seconds);
        let ratio = served.quantile(0.5).as_secs_f64() / local.quantile(0.5).as_secs_f64();
        println!(
            "server ({clients} client{}, {seconds} s): {} requests, {:.0}/s, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs, {errors} errors; p50 / in-process p50 = {ratio:.2}",
            if clients == 1 { "" } else { "s" },
            served.0.len(),
            served.0.len() as f64 / took.as_secs_f64(),
            micros(served.quantile(0.5)),
            micros(served.quantile(0.99)),
            micros(served.max())
        );
    }

    let grpc_seconds = (seconds / 3).max(1);
    let (served, errors, took) = load_grpc(&base, &body, grpc_seconds);
    println!(
        "server over gRPC (1 client, {grpc_seconds} s): {} requests, {:.0}/s, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs, {errors} errors; p50 / in-process p50 = {:.2}",
        served.0.len(),
        served.0.len() as f64 / took.as_secs_f64(),
        micros(served.quantile(0.5)),
        micros(served.quantile(0.99)),
        micros(served.max()),
        served.quantile(0.5).as_secs_f64() / local.quantile(0.5).as_secs_f64()
    );

    let dir = tempfile::tempdir().expect("a scratch directory");
    let deadline_ms = 10;
    let looping = Chain::from_config_file(suite_with_a_loop(dir.path(), deadline_ms)).expect("the suite with a loop");
    let base = start(Arc::new(looping), options);
    let (good, errors, took) = load(&format!("{base}/v1/evaluate"), &body, 1, 10.min(seconds));
    let p99 = good.quantile(0.99);
    println!(
        "server, plus a policy looping for ever (fail-open, {deadline_ms} ms deadline): {} requests, {:.0}/s, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs, {errors} errors; p99 within deadline + 2 ms: {}",
        good.0.len(),
        good.0.len() as f64 / took.as_secs_f64(),
        micros(good.quantile(0.5)),
        micros(p99),
        micros(good.max()),
        if p99 <= Duration::from_millis(deadline_ms + 2) { "yes" } else { "no" }
    );
}
