//! One chain shared by many threads, and used from tokio via spawn_blocking.

use std::sync::Arc;

use recguard_host::{Chain, PolicyOptions, Verdict};
use recguard_tests::{components, simple_request};

use crate::helpers::chain;

fn shared_chain() -> Arc<Chain> {
    Arc::new(chain(vec![
        (components::MINORS, PolicyOptions::regulator()),
        (components::HOT_LIST_INTEGRITY, PolicyOptions::regulator()),
    ]))
}

#[test]
fn a_chain_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Chain>();
    assert_send_sync::<recguard_host::PolicyComponent>();
}

#[test]
fn many_threads_share_one_chain_and_get_independent_answers() {
    let chain = shared_chain();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let chain = chain.clone();
            std::thread::spawn(move || {
                // Even threads ask at 23:00 Beijing (curfew), odd ones at noon.
                let now = if i % 2 == 0 { 1_795_618_800_000 } else { 1_795_579_200_000 };
                (0..25).map(|_| chain.evaluate(&simple_request(now, "from12to16", "feed", 20)).unwrap().is_blocked()).collect::<Vec<_>>()
            })
        })
        .collect();
    for (i, thread) in threads.into_iter().enumerate() {
        let blocked = thread.join().unwrap();
        assert!(blocked.iter().all(|b| *b == (i % 2 == 0)), "thread {i}: {blocked:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_callers_use_spawn_blocking() {
    let chain = shared_chain();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let chain = chain.clone();
            tokio::task::spawn_blocking(move || chain.evaluate(&simple_request(1_795_579_200_000, "adult", "feed", 10)).unwrap())
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().verdict, Verdict::Serve);
    }
}
