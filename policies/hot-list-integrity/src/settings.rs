//! The hot-list-integrity policy's settings. Each default names its source
//! in `shared/regulation/parameters.md`, or says why it was chosen.

use recguard_sdk::{Surface, TextSet};
use serde::{Deserialize, Serialize};

/// Settings of the hot-list-integrity policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Ranked surfaces the policy guards. Source: D11 / F11 names five key surfaces (the first
    /// screen of the home page, hot searches, curated picks, lists, pop-ups); D13 names
    /// search-result ranking too, which a deployment adds with `search`.
    pub surfaces: Vec<RankedSurface>,
    /// Engagement from new or low-reputation accounts above this share is fake engagement.
    /// No statutory number: a microblog's public rules exclude engagement from accounts judged not
    /// real; more than half makes an item's heat mostly such engagement.
    pub max_low_reputation_share: f32,
    /// What to do with an item whose heat is mostly fake engagement. Source: D13 / F14 forbids
    /// fake likes, comments and reposts; dropping removes the manipulated entry.
    pub on_fake_engagement: Remedy,
    /// Velocity above this multiple of the baseline is a spike. No statutory number: engineering
    /// practice compares velocity with a baseline; 10× is far outside organic growth.
    pub max_velocity_ratio: f64,
    /// Baselines below this (per hour) are raised to it, so new items are not flagged for
    /// dividing by almost zero. No statutory number.
    pub min_baseline_per_hour: f64,
    /// What to do with a spike: it may be real news, so the default demotes it to the bottom.
    pub on_velocity_spike: Remedy,
    /// Operator pins and boosts without a recorded reason are undone. Source: D11 / F11 (a manual
    /// intervention mechanism) and the 2024 Qinglang campaign (hot-list logs).
    pub undo_unrecorded_interventions: bool,
    /// Ads never hold ranked slots. Source: a microblog's public rules: ads sit in marked slots
    /// outside the ranking.
    pub drop_ads: bool,
    /// Topics of celebrity personal popularity rankings, which are dropped. Source: CAC notice on
    /// fan-club chaos (2021): no celebrity personal popularity rankings.
    pub celebrity_ranking_topics: TextSet,
    /// First-party items ranked above more popular third-party items are moved below them.
    /// Source: D13 / F15 (no self-preferencing).
    pub prevent_self_preferencing: bool,
}

/// A ranked surface, as settings name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum RankedSurface {
    HomeFirstScreen,
    HotSearch,
    CuratedPicks,
    HotList,
    PopUp,
    Search,
}

impl RankedSurface {
    /// The request's surface this names.
    pub fn surface(self) -> Surface {
        match self {
            RankedSurface::HotList => Surface::HotList,
            RankedSurface::HotSearch => Surface::HotSearch,
            RankedSurface::CuratedPicks => Surface::CuratedPicks,
            RankedSurface::HomeFirstScreen => Surface::HomeFirstScreen,
            RankedSurface::PopUp => Surface::PopUp,
            RankedSurface::Search => Surface::Search,
        }
    }

    /// Whether this is the request's surface.
    pub fn is(self, surface: Surface) -> bool {
        self.surface() == surface
    }
}

/// What to do with a manipulated item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Remedy {
    /// Remove it from the list.
    Drop,
    /// Move it to the bottom of the list.
    Demote,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            surfaces: vec![
                RankedSurface::HomeFirstScreen,
                RankedSurface::HotSearch,
                RankedSurface::CuratedPicks,
                RankedSurface::HotList,
                RankedSurface::PopUp,
            ],
            max_low_reputation_share: 0.5,
            on_fake_engagement: Remedy::Drop,
            max_velocity_ratio: 10.0,
            min_baseline_per_hour: 10.0,
            on_velocity_spike: Remedy::Demote,
            undo_unrecorded_interventions: true,
            drop_ads: true,
            celebrity_ranking_topics: TextSet::from(["celebrity-ranking", "celebrity-popularity"]),
            prevent_self_preferencing: true,
        }
    }
}

impl Settings {
    /// Checks the numbers.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.max_low_reputation_share) {
            return Err("max-low-reputation-share is a share: between 0 and 1".into());
        }
        if self.max_velocity_ratio.is_nan() || self.max_velocity_ratio < 1.0 {
            return Err("max-velocity-ratio must be at least 1".into());
        }
        if self.min_baseline_per_hour.is_nan() || self.min_baseline_per_hour <= 0.0 {
            return Err("min-baseline-per-hour must be above 0".into());
        }
        Ok(())
    }
}
