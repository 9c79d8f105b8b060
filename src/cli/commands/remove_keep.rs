//! `-remove-keep N [-age AGE]` (from later Megatest): for each target, keep the newest N runs
//! and remove older ones (only those older than AGE, when given). Locked runs stay.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::{RunRecord, TestFilter, now};
use crate::error::{Error, Result};
use crate::output::stdout;
use crate::runner::removal::{Removal, RemoveOptions, Roots, remove_tests};
use crate::select::RunSelector;
use std::collections::BTreeMap;

/// Seconds in `AGE`: numbers with units s, m, h, d, w, M (30 days) or y (365 days), e.g.
/// `1w 2d` or `90d`.
pub(crate) fn parse_age(text: &str) -> Result<i64> {
    let bad = || {
        Error::usage(format!("-age `{text}` is not an age"))
            .note("write numbers with units: s, m, h, d, w, M (months), y; e.g. `30d` or `1w 2d`")
    };
    let mut total = 0i64;
    let mut number = String::new();
    let mut any = false;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 7 * 86400,
            'M' => 30 * 86400,
            'y' => 365 * 86400,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        total += n * unit;
        number.clear();
        any = true;
    }
    if !number.is_empty() || !any {
        return Err(bad());
    }
    Ok(total)
}

/// Removes old runs.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let keep_text = session
        .args
        .value("-remove-keep")
        .unwrap_or_default()
        .to_string();
    let keep: usize = keep_text.trim().parse().map_err(|_| {
        Error::usage(format!(
            "-remove-keep needs a number of runs to keep, got `{keep_text}`"
        ))
    })?;
    let age = session.args.value("-age").map(parse_age).transpose()?;
    if let Some(t) = session.args.value("-target").map(str::to_string) {
        session.check_target_pattern(&t, "-target")?;
    }
    let selector = RunSelector::new(session.args.value("-target"), session.runname().as_deref());
    let roots = Roots::of_area(session.area()?);
    let triggers = crate::writer::TriggerTable::reading_testconfigs(
        session.area()?.top.clone(),
        session.area()?.config.pairs("triggers"),
    );
    let mut refused = 0;
    let store = session.store()?;
    let mut by_target: BTreeMap<String, Vec<RunRecord>> = BTreeMap::new();
    for run in store.runs(&selector)? {
        by_target.entry(run.target()).or_default().push(run);
    }
    let cutoff = age.map(|a| now() - a);
    for runs in by_target.values_mut() {
        runs.sort_by_key(|r| std::cmp::Reverse((r.event_time(), r.id())));
        for run in runs.iter().skip(keep) {
            if cutoff.is_some_and(|c| run.event_time() > c) {
                continue;
            }
            if run.state() == "locked" {
                crate::warn!("run {}/{} is locked; kept", run.target(), run.runname());
                continue;
            }
            refused += remove_tests(
                store,
                run,
                &TestFilter::default(),
                RemoveOptions::default(),
                &roots,
                &triggers,
                &mut |_| {},
            )?
            .refused;
            if store.run(run.id())?.is_none_or(|r| r.state() == "deleted") {
                // Said as it happens: a long list takes a while.
                stdout::print(&format!("removed run {}/{}\n", run.target(), run.runname()));
            }
        }
    }
    Removal::check_refused(refused)?;
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("30d").unwrap(), 30 * 86400);
        assert_eq!(parse_age("1w 2d").unwrap(), 9 * 86400);
        assert_eq!(parse_age("90s").unwrap(), 90);
        assert!(parse_age("300").is_err(), "a bare number has no unit");
        assert!(parse_age("3x").is_err());
        assert!(parse_age("").is_err());
    }
}
