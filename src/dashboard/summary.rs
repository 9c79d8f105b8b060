//! Summary and trends: per run, its records counted by status; per target, the pass rate
//! and duration of its last runs as charts the page draws itself (inline SVG); and the
//! tests whose status changed between a target's two latest runs.

use super::filters::Filters;
use crate::db::{FieldRef, Store, TEST_FIELDS, TestFilter};
use crate::error::Result;
use crate::model::Status;
use crate::select::RunSelector;
use maud::{Markup, html};
use std::collections::BTreeMap;

/// Runs per target in the trends.
const TREND_RUNS: usize = 20;

/// What one run holds.
struct RunFacts {
    runname: String,
    /// Status → how many records.
    counts: BTreeMap<String, usize>,
    /// Share of finished records that passed (OK-looking statuses), 0..=1.
    pass_rate: Option<f64>,
    /// Seconds from its first test's start to its last test's end.
    duration: i64,
    /// Full test name → status.
    statuses: BTreeMap<String, String>,
}

fn facts(store: &Store, run_id: crate::model::RunId, runname: String) -> Result<RunFacts> {
    let at = |name: &str| {
        TEST_FIELDS
            .iter()
            .position(|f| *f == name)
            .expect("a test field")
    };
    let (name_at, item_at, state_at, status_at, time_at, dur_at) = (
        at("testname"),
        at("item_path"),
        at("state"),
        at("status"),
        at("event_time"),
        at("run_duration"),
    );
    let filter = TestFilter {
        only_fields: Some(vec![
            "testname",
            "item_path",
            "state",
            "status",
            "event_time",
            "run_duration",
        ]),
        ..TestFilter::default()
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut statuses = BTreeMap::new();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let (mut finished, mut passed) = (0usize, 0usize);
    let completed = crate::model::State::Completed.as_str();
    store.for_each_test(run_id, &filter, |t| {
        let text = |i: usize| t.get(i).text().unwrap_or("").to_string();
        let int = |i: usize| match t.get(i) {
            FieldRef::Int(n) => n,
            FieldRef::Real(x) => x as i64,
            _ => 0,
        };
        let status = text(status_at);
        *counts.entry(status.clone()).or_default() += 1;
        if text(state_at) == completed {
            finished += 1;
            passed += usize::from(Status::parse(&status).is_ok());
        }
        let start = int(time_at);
        if start > 0 {
            first = first.min(start);
            last = last.max(start.saturating_add(int(dur_at)));
        }
        statuses.insert(
            crate::model::full_test_name(&text(name_at), &text(item_at)),
            status,
        );
        Ok(())
    })?;
    Ok(RunFacts {
        runname,
        counts,
        pass_rate: (finished > 0).then(|| passed as f64 / finished as f64),
        duration: if last >= first {
            last.saturating_sub(first)
        } else {
            0
        },
        statuses,
    })
}

/// The summary page's body for the runs `filters` select.
pub(super) fn render(store: &Store, filters: &Filters) -> Result<Markup> {
    let selector = RunSelector::new(filters.target_pattern(), filters.runname_pattern());
    let mut runs = store.runs(&selector)?;
    runs.reverse();
    let mut by_target: BTreeMap<String, Vec<RunFacts>> = BTreeMap::new();
    for run in &runs {
        let list = by_target.entry(run.target()).or_default();
        if list.len() < TREND_RUNS {
            list.push(facts(store, run.id(), run.runname())?);
        }
    }
    let token_q = if filters.token.is_empty() {
        String::new()
    } else {
        format!("?token={}", super::filters::encode(&filters.token))
    };
    Ok(html! {
        h1 { "Summary and trends" }
        p { a href={ "/" (token_q) } { "back to the runs" } }
        @if by_target.is_empty() { p.empty { "No run matches." } }
        @for (target, runs) in &by_target {
            section.target {
                h2 { (target) }
                (trend_chart(runs))
                @if let [latest, previous, ..] = runs.as_slice() {
                    (changes(latest, previous))
                }
                (count_table(runs))
            }
        }
    })
}

/// Pass rate (line, left scale 0–100 %) and duration (bars, scaled to the longest) of the
/// runs, oldest left.
fn trend_chart(runs: &[RunFacts]) -> Markup {
    let (width, height, pad) = (600.0_f64, 160.0_f64, 24.0_f64);
    let n = runs.len().max(1) as f64;
    let step = (width - 2.0 * pad) / n;
    let longest = runs.iter().map(|r| r.duration).max().unwrap_or(0).max(1) as f64;
    let oldest_first: Vec<&RunFacts> = runs.iter().rev().collect();
    let x = |i: usize| pad + step * (i as f64 + 0.5);
    let y_rate = |rate: f64| height - pad - rate * (height - 2.0 * pad);
    let points: Vec<String> = oldest_first
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.pass_rate.map(|p| format!("{:.1},{:.1}", x(i), y_rate(p))))
        .collect();
    html! {
        svg.trend width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) } role="img" {
            title { "pass rate (line) and duration (bars) of the last runs, oldest left" }
            line x1=(pad) y1=(height - pad) x2=(width - pad) y2=(height - pad) stroke="#999" {}
            @for (i, r) in oldest_first.iter().enumerate() {
                @let h = (r.duration as f64 / longest) * (height - 2.0 * pad);
                rect.duration x=(format!("{:.1}", x(i) - step * 0.3)) y=(format!("{:.1}", height - pad - h))
                    width=(format!("{:.1}", step * 0.6)) height=(format!("{:.1}", h)) fill="#cfd8e3" {
                    title { (r.runname) ": " (r.duration) " s" }
                }
            }
            polyline.passrate points=(points.join(" ")) fill="none" stroke="rgb(40,160,60)" stroke-width="2" {}
            @for (i, r) in oldest_first.iter().enumerate() {
                @if let Some(p) = r.pass_rate {
                    circle cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y_rate(p))) r="3" fill="rgb(40,160,60)" {
                        title { (r.runname) ": " (format!("{:.0}", p * 100.0)) " % passed" }
                    }
                }
            }
            text x="2" y=(pad) font-size="10" { "100%" }
            text x="2" y=(height - pad) font-size="10" { "0%" }
        }
    }
}

/// The tests whose status differs between the two latest runs.
fn changes(latest: &RunFacts, previous: &RunFacts) -> Markup {
    let changed: Vec<(&String, &str, &str)> = latest
        .statuses
        .iter()
        .filter_map(|(name, now)| {
            let before = previous.statuses.get(name).map_or("-", String::as_str);
            (before != now).then_some((name, before, now.as_str()))
        })
        .collect();
    html! {
        h3 { "Changed from " (previous.runname) " to " (latest.runname) }
        @if changed.is_empty() {
            p.unchanged { "No test changed status." }
        } @else {
            table.changes {
                tr { th { "test" } th { (previous.runname) } th { (latest.runname) } }
                @for (name, before, now) in &changed {
                    tr { td { (name) } td { (before) } td { (now) } }
                }
            }
        }
    }
}

fn count_table(runs: &[RunFacts]) -> Markup {
    let mut statuses: Vec<&String> = runs.iter().flat_map(|r| r.counts.keys()).collect();
    statuses.sort();
    statuses.dedup();
    html! {
        table.counts {
            tr {
                th { "run" }
                @for s in &statuses { th { (s) } }
                th { "pass rate" } th { "duration" }
            }
            @for r in runs {
                tr {
                    td.runname { (r.runname) }
                    @for s in &statuses { td { (r.counts.get(*s).copied().unwrap_or(0)) } }
                    td { @if let Some(p) = r.pass_rate { (format!("{:.0} %", p * 100.0)) } }
                    td { (r.duration) " s" }
                }
            }
        }
    }
}
