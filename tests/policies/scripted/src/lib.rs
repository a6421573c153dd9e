//! A test policy that does what its settings say: scripted effects for the
//! merge tests, or hostile behaviour for the limit tests.

use std::collections::BTreeMap;

use recguard_sdk::prelude::*;

/// What the policy does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// Return the scripted decision.
    #[default]
    Decide,
    /// Loop for ever.
    Loop,
    /// Allocate memory until stopped.
    GrowMemory,
    /// Panic (a trap).
    Panic,
}

/// The script.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// What to do.
    pub behaviour: Behaviour,
    /// Candidates to drop.
    pub drop: Vec<String>,
    /// Labels to attach, by candidate.
    pub label: BTreeMap<String, String>,
    /// Moves, by candidate.
    #[serde(rename = "move")]
    pub move_by: BTreeMap<String, i32>,
    /// Prices, by candidate.
    pub reprice: BTreeMap<String, u64>,
    /// A new order.
    pub rerank: Option<Vec<String>>,
    /// A notice text.
    pub notice: Option<String>,
    /// A block reason.
    pub block: Option<String>,
    /// Tags to set aside.
    pub set_aside: Vec<String>,
    /// Log this line.
    pub log: Option<String>,
}

/// The scripted policy.
pub struct Scripted;

impl Policy for Scripted {
    type Settings = Settings;
    const NAME: &'static str = "scripted";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const SUMMARY: &'static str = "Test policy: does what its settings script.";
    const ARTICLES: &'static [Article] = &[Article::D12F12];
    const READS: &'static [&'static str] = &["candidates.id"];

    fn evaluate(_request: &Request, settings: &Settings) -> Decision {
        match settings.behaviour {
            Behaviour::Decide => {}
            Behaviour::Loop => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Behaviour::GrowMemory => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
                }
            }
            Behaviour::Panic => panic!("scripted panic"),
        }
        if let Some(line) = &settings.log {
            recguard_sdk::info(line);
        }
        let finding = Finding::new("scripted.effect", Article::D12F12, "Scripted by the test.");
        let mut decision = Decision::new();
        for (id, label) in &settings.label {
            decision.label(id, label, &finding);
        }
        for (id, fen) in &settings.reprice {
            decision.reprice(id, *fen, &finding);
        }
        for id in &settings.drop {
            decision.drop(id, &finding);
        }
        for (id, places) in &settings.move_by {
            decision.move_by(id, *places, &finding);
        }
        if let Some(order) = &settings.rerank {
            decision.rerank(order.clone(), &finding);
        }
        if let Some(text) = &settings.notice {
            decision.notice(text, None, &finding);
        }
        for tag in &settings.set_aside {
            decision.set_aside_tag(tag, &finding);
        }
        if let Some(reason) = &settings.block {
            decision.block(reason, None, &finding);
        }
        decision
    }
}

export_policy!(Scripted);
