//! A test policy that does what its settings say: scripted effects for the
//! merge tests, or hostile behaviour for the limit tests.

use std::collections::BTreeMap;

use recguard_sdk::prelude::*;
use recguard_sdk::wit::Action;

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
    /// Loop for ever in `validate-settings`.
    LoopInValidate,
    /// Run `spin` loop iterations, then decide as scripted.
    Spin,
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
    /// Show this many distinct notices.
    pub flood_notices: u32,
    /// Give every candidate this many distinct labels.
    pub flood_labels: u32,
    /// Give every candidate one label of this many bytes.
    pub label_bytes: u32,
    /// Make this many moves, alternately to the top and the bottom.
    pub flood_moves: u32,
    /// With `spin`: loop iterations to run.
    pub spin: u64,
    /// Declare that the policy applies only on these surfaces (it does not
    /// read the surface, so the host refuses this).
    pub applies_on: Option<Vec<Surface>>,
    /// Declare that the policy requires these fields.
    pub requires: Vec<String>,
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

    fn validate(settings: &Settings) -> Result<(), String> {
        if settings.behaviour == Behaviour::LoopInValidate {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Ok(())
    }

    fn applies_to(settings: &Settings) -> AppliesTo {
        let mut scope = AppliesTo::every_request();
        if let Some(surfaces) = &settings.applies_on {
            scope = scope.on_surfaces(surfaces.iter().copied());
        }
        settings.requires.iter().fold(scope, |scope, path| scope.requiring(path.as_str()))
    }

    fn evaluate(request: &Request, settings: &Settings) -> Decision {
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
            Behaviour::LoopInValidate => {}
            Behaviour::Spin => {
                let mut n: u64 = 0;
                while n < settings.spin {
                    n = std::hint::black_box(n + 1);
                }
            }
        }
        if let Some(line) = &settings.log {
            recguard_sdk::info(line);
        }
        let finding = Finding::new("scripted.effect", Article::D12F12, "Scripted by the test.");
        let mut decision = Decision::new();
        // Candidates are scripted by id; an id not in the list becomes a position past its end.
        let position = |id: &str| {
            let candidates = request.candidates();
            candidates.iter().find(|c| c.id() == id).map_or(candidates.len() as u32, |c| c.index())
        };
        for (id, label) in &settings.label {
            decision.action_at(position(id), Action::Label(label.clone()), &finding);
        }
        for (id, fen) in &settings.reprice {
            decision.action_at(position(id), Action::Reprice(*fen), &finding);
        }
        for id in &settings.drop {
            decision.action_at(position(id), Action::Drop, &finding);
        }
        for (id, places) in &settings.move_by {
            decision.action_at(position(id), Action::MoveBy(*places), &finding);
        }
        if let Some(order) = &settings.rerank {
            decision.rerank_at(order.iter().map(|id| position(id)).collect(), &finding);
        }
        if let Some(text) = &settings.notice {
            decision.notice(&Finding::new("scripted.notice", Article::D12F12, text.as_str()), None);
        }
        for tag in &settings.set_aside {
            decision.set_aside_tag(tag, &finding);
        }
        flood(request, settings, &finding, &mut decision);
        if let Some(reason) = &settings.block {
            decision.block(&Finding::new("scripted.block", Article::D12F12, reason.as_str()), None);
        }
        decision
    }
}

/// The hostile floods: many notices, labels, long labels, many moves.
fn flood(request: &Request, settings: &Settings, finding: &Finding, decision: &mut Decision) {
    for i in 0..settings.flood_notices {
        decision.notice(&Finding::new("scripted.flood", Article::D12F12, format!("notice {i}")), None);
    }
    let long_label = "L".repeat(settings.label_bytes as usize);
    for candidate in request.candidates() {
        for i in 0..settings.flood_labels {
            decision.label(&candidate, &format!("label-{i}"), finding);
        }
        if settings.label_bytes > 0 {
            decision.label(&candidate, &long_label, finding);
        }
    }
    let count = request.candidates().len();
    for i in 0..settings.flood_moves as usize {
        if count == 0 {
            break;
        }
        let places = if i % 2 == 0 { count as i32 } else { -(count as i32) };
        if let Some(candidate) = request.candidates().get((i * 7919) % count) {
            decision.move_by(&candidate, places, finding);
        }
    }
}

export_policy!(Scripted);
