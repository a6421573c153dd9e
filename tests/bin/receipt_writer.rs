//! A child process for the crash tests (`tests/all/audit.rs`): evaluates
//! requests through minors + hot-list with a receipt store, and prints
//! `returned <request id> <receipt seq>` for every outcome it gets back
//! (seq 0 when `async` acknowledges before the receipt is durable), until it
//! is killed.
//!
//! Usage: `receipt-writer <store.db> <compile cache dir> <request id prefix> <sync|async>`

use std::io::Write;
use std::sync::Arc;

use recguard_host::{AuditOptions, AuditStore, Chain, Durability, PolicyOptions, Runtime, RuntimeOptions, Trust};
use recguard_tests::{components, load_unsigned, mixed_request};

/// The async queue's bound: what a crash may lose at most.
const QUEUE: usize = 64;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, store, cache, prefix, durability] = &args[..] else {
        eprintln!("usage: receipt-writer <store.db> <compile cache dir> <request id prefix> <sync|async>");
        std::process::exit(2);
    };
    let durability = if durability == "async" { Durability::Async } else { Durability::Sync };
    let runtime = Runtime::new(RuntimeOptions { cache_dir: Some(cache.into()), ..RuntimeOptions::default() }).expect("runtime");
    let options = AuditOptions { durability, queue: QUEUE, checkpoint_every: 7, ..AuditOptions::default() };
    let store = AuditStore::open(store, options).expect("the store");
    let chain = Chain::builder(&runtime)
        .trust(Trust::development())
        .audit(Arc::new(store))
        .policy(load_unsigned(&runtime, components::MINORS), PolicyOptions::regulator())
        .and_then(|b| b.policy(load_unsigned(&runtime, components::HOT_LIST_INTEGRITY), PolicyOptions::regulator()))
        .and_then(|b| b.build())
        .expect("the chain");
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let mut request = mixed_request(1 + i % 20, if i % 2 == 0 { "hot-list" } else { "feed" });
        request.id = format!("{prefix}-{i}");
        let outcome = chain.evaluate(&request).expect("an outcome");
        let seq = match durability {
            Durability::Sync => outcome.receipt.expect("a sync store numbers every receipt"),
            Durability::Async => 0,
        };
        writeln!(out, "returned {} {seq}", request.id).expect("stdout");
        out.flush().expect("stdout");
    }
}
