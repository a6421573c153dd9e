//! `recguard eval --format summary`: an outcome in a few lines a person reads
//! at a glance — the verdict (and who blocked, citing what), how many
//! candidates were served and dropped, the findings by code and article, and
//! any policy that failed. Each finding line: the policy, the code, how many
//! effects cite it, and the article.

use std::fmt::Write;
use std::time::{Duration, UNIX_EPOCH};

use recguard_host::{Change, EffectResult, Outcome, Status, Verdict};

/// The summary of one outcome, without a final newline.
pub fn of(outcome: &Outcome) -> String {
    let mut text = format!("{}: ", outcome.request_id);
    let applied = |change: fn(&Change) -> bool| {
        outcome
            .trace
            .iter()
            .flat_map(|t| &t.effects)
            .filter(|e| e.result == EffectResult::Applied && change(&e.change))
            .count()
    };
    let dropped = applied(|c| matches!(c, Change::Drop));
    match &outcome.verdict {
        Verdict::Block { reason, retry_at_ms, policy, code, article } => {
            let cited = match article {
                Some(article) => format!("{code}, {article}"),
                None => code.clone(),
            };
            let _ = write!(text, "BLOCKED by {policy} ({cited}): {reason}");
            if let Some(ms) = retry_at_ms {
                let at = UNIX_EPOCH + Duration::from_millis(*ms);
                let _ = write!(text, " Retry after {}.", humantime::format_rfc3339_seconds(at));
            }
        }
        Verdict::Serve => {
            let served = outcome.candidates.len();
            let _ = write!(text, "SERVED {served} of {} candidates ({dropped} dropped", served + dropped);
            let labelled = applied(|c| matches!(c, Change::Label { .. }));
            if labelled > 0 {
                let _ = write!(text, ", {}", plural(labelled, "label"));
            }
            let _ = write!(text, "), {}", plural(outcome.notices.len(), "notice"));
            if !outcome.personalised {
                text.push_str(", not personalised");
            }
            if !outcome.tags_set_aside.is_empty() {
                let _ = write!(text, ", tags set aside: {}", outcome.tags_set_aside.join(", "));
            }
        }
    }
    if let Some(seq) = outcome.receipt {
        let _ = write!(text, " [receipt {seq}]");
    }
    if outcome.unsigned_policies_allowed {
        text.push_str(" [DEVELOPMENT: unsigned policies allowed]");
    }
    for trace in &outcome.trace {
        let monitored = matches!(trace.status, Status::Monitored);
        for finding in &trace.findings {
            let effects = trace.effects.iter().filter(|e| e.code == finding.code).count();
            let mode = if monitored { " (monitor only)" } else { "" };
            let _ = write!(
                text,
                "\n  {:<20} {:<38} {:>3}×  {}{mode}",
                trace.policy, finding.code, effects, finding.article
            );
        }
        if let Status::Failed { failure, handled } = &trace.status {
            let handled = serde_json::to_value(handled).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let _ = write!(text, "\n  {:<20} FAILED ({}, {handled}): {}", trace.policy, failure.kind.name(), failure.message);
        }
    }
    text
}

/// `1 notice`, `2 notices`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}
