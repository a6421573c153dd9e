//! `recguard bench --config recguard.toml --request request.json [--json] [--perf-map]`:
//! evaluates one request many times through the chain and reports the time
//! per request (mean, p50, p99) in total and per policy, and the share spent
//! in the host rather than in the policies — what `opa bench` and `kwctl
//! bench` report, so a policy author sees what a policy costs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;

use super::eval::read_request;
use crate::output;

/// Measure how long a chain takes per request.
#[derive(Args)]
pub struct BenchCommand {
    /// The chain configuration (TOML).
    #[arg(long, short)]
    config: PathBuf,
    /// The request to evaluate (JSON); `-` reads standard input.
    #[arg(long, short)]
    request: PathBuf,
    /// Evaluations measured.
    #[arg(long, default_value_t = 1000)]
    iterations: usize,
    /// Evaluations run first and not measured (compiled code and caches warm up).
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Print the figures as JSON, for scripts.
    #[arg(long)]
    json: bool,
    /// Write `/tmp/perf-<pid>.map`, which names the policies' compiled
    /// functions for `perf`: `perf record -g recguard bench --perf-map …`,
    /// then `perf report` shows where in a policy the time goes.
    #[arg(long)]
    perf_map: bool,
}

/// Mean and percentiles of a series of times, in microseconds.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Times {
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
}

impl Times {
    fn of(mut samples: Vec<f64>) -> Times {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Times { mean_us: samples.iter().sum::<f64>() / samples.len() as f64, p50_us: at(0.5), p99_us: at(0.99) }
    }
}

/// One policy's share of the time.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct PolicyTimes {
    policy: String,
    /// Time in the policy (instantiation, the call, copying results back).
    #[serde(flatten)]
    times: Times,
    /// Mean time the host spent on its step besides (checking and merging).
    host_mean_us: f64,
}

/// What `bench` reports.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Report {
    iterations: usize,
    candidates: usize,
    /// Per request, from the call to the outcome.
    total: Times,
    policies: Vec<PolicyTimes>,
    /// Share of the total spent outside the policies (the host's own work).
    host_share: f64,
}

impl BenchCommand {
    /// Loads the chain, warms it up, then times each evaluation.
    pub fn execute(self) -> Result<ExitCode> {
        if self.iterations == 0 {
            bail!("--iterations must be at least 1");
        }
        let chain = super::chain_from_config_with(&self.config, |options| options.perf_map |= self.perf_map)?;
        let request = read_request(&self.request).with_context(|| format!("request {}", self.request.display()))?;
        for _ in 0..self.warmup {
            chain.evaluate(&request)?;
        }
        let names: Vec<String> = chain.policies().map(|(name, _)| name.to_string()).collect();
        let mut totals = Vec::with_capacity(self.iterations);
        let mut in_policy = vec![Vec::with_capacity(self.iterations); names.len()];
        let mut in_host = vec![0.0; names.len()];
        for _ in 0..self.iterations {
            let started = Instant::now();
            let outcome = chain.evaluate(&request)?;
            totals.push(started.elapsed().as_secs_f64() * 1e6);
            for (i, trace) in outcome.trace.iter().enumerate() {
                in_policy[i].push(trace.elapsed_us as f64);
                in_host[i] += trace.host_us as f64;
            }
        }
        let total = Times::of(totals);
        let policy_mean: f64 = in_policy.iter().map(|s| s.iter().sum::<f64>() / s.len() as f64).sum();
        let report = Report {
            iterations: self.iterations,
            candidates: request.candidates.len(),
            host_share: ((total.mean_us - policy_mean) / total.mean_us).clamp(0.0, 1.0),
            total,
            policies: names
                .into_iter()
                .zip(in_policy)
                .zip(in_host)
                .map(|((policy, samples), host)| PolicyTimes {
                    policy,
                    times: Times::of(samples),
                    host_mean_us: host / self.iterations as f64,
                })
                .collect(),
        };
        if self.json {
            output::line(serde_json::to_string_pretty(&report)?)?;
        } else {
            output::line(text(&report))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The report as a table.
fn text(report: &Report) -> String {
    let row = |name: &str, t: &Times, host: String| {
        format!("{name:<24} {:>10.1} {:>10.1} {:>10.1} {host:>10}\n", t.mean_us, t.p50_us, t.p99_us)
    };
    let mut text = format!(
        "{} evaluations of a request of {} candidates; µs per request\n{:<24} {:>10} {:>10} {:>10} {:>10}\n",
        report.iterations, report.candidates, "", "mean", "p50", "p99", "host mean"
    );
    text.push_str(&row("total", &report.total, String::new()));
    for policy in &report.policies {
        text.push_str(&row(&policy.policy, &policy.times, format!("{:.1}", policy.host_mean_us)));
    }
    text.push_str(&format!("host share (outside the policies): {:.1}%", report.host_share * 100.0));
    text
}
