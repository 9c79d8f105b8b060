//! `-remove-keep N -target T -runname R [-actions print,remove-runs] [-precmd CMD] [-age AGE]`:
//! for each target, the runs beyond the newest N, listed (`print`, the default), removed
//! through `-remove-runs` (`remove-runs`) or archived through `-archive save-remove`
//! (`archive`), leaving those younger than AGE alone; as 1.65.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::{RunRecord, now};
use crate::environ::env_file::sh_quote;
use crate::error::{Error, Result};
use crate::output::stdout;
use std::collections::BTreeMap;
use std::path::Path;

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

/// What `-actions` asks for each run (1.65's default is `print` alone: a dry run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Print,
    RemoveRuns,
    Archive,
}

/// The `-actions` list; words 1.65 knows but this version cannot do, or does not know,
/// are said and left out.
fn actions(text: Option<&str>) -> Vec<(Action, &'static str)> {
    let mut list = Vec::new();
    for word in text.unwrap_or("print").split(',').map(str::trim) {
        match word {
            "print" => list.push((Action::Print, "print")),
            "remove-runs" => list.push((Action::RemoveRuns, "remove-runs")),
            "archive" => list.push((Action::Archive, "archive")),
            "" => {}
            other => crate::warn!(
                "-actions `{other}` is not an action (print, remove-runs, archive); left out"
            ),
        }
    }
    list
}

/// When a run started, as 1.65's list shows it (`WW49.6 04:25:40`, local time).
fn work_week(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("WW%V.%u %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// For each target, lists its runs oldest first marking all but the newest N `REMOVE`, and
/// carries out `-actions` (default `print`): `remove-runs` runs `-remove-runs` and `archive`
/// runs `-archive save-remove` on each one marked, through `-precmd` when given (e.g.
/// `nbfake`), as 1.65 does.
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
    let age_text = session.args.value("-age").map(str::to_string);
    let age = age_text.as_deref().map(parse_age).transpose()?;
    let (selector, _) = session.required_selectors("-remove-keep", false)?;
    let actions = actions(session.args.value("-actions"));
    let precmd = session
        .args
        .value("-precmd")
        .unwrap_or_default()
        .to_string();
    let store = session.store()?;
    let mut by_target: BTreeMap<String, Vec<RunRecord>> = BTreeMap::new();
    for run in store.runs(&selector)? {
        by_target.entry(run.target()).or_default().push(run);
    }
    let names: Vec<&str> = actions.iter().map(|(_, n)| *n).collect();
    stdout::print(&format!("Actions: ({})\n", names.join(" ")));
    let young_after = age.map(|a| now() - a);
    let megatest = std::env::current_exe().unwrap_or_else(|_| "megatest".into());
    let mut failed = 0;
    for (target, runs) in &mut by_target {
        runs.sort_by_key(|r| (r.event_time(), r.id()));
        let to_remove = runs.len().saturating_sub(keep);
        stdout::print(&format!("{target}:\n"));
        for (n, run) in runs.iter().enumerate() {
            let remove = n < to_remove;
            if young_after.is_some_and(|t| run.event_time() > t) {
                stdout::print(&format!(
                    "Skipping handling of {target}/{} as it is younger than {}\n",
                    run.runname(),
                    age_text.as_deref().unwrap_or_default()
                ));
                continue;
            }
            for (action, _) in &actions {
                match action {
                    Action::Print => {
                        stdout::print(&format!(
                            " {} {} {}\n",
                            run.runname(),
                            work_week(run.event_time()),
                            if remove { "REMOVE" } else { "" }
                        ));
                    }
                    Action::RemoveRuns | Action::Archive if remove => {
                        let command = match action {
                            Action::Archive => "-archive save-remove",
                            _ => "-remove-runs",
                        };
                        // The child takes patterns: the names go in matching only themselves.
                        let (Some(exact_target), Some(exact_run)) =
                            (exact_glob(target), exact_glob(&run.runname()))
                        else {
                            crate::warn!(
                                "{target}/{}: a name holding `%` cannot be given to -remove-runs exactly; left alone",
                                run.runname()
                            );
                            failed += 1;
                            continue;
                        };
                        let line = format!(
                            "{precmd} {} {command} -target {} -runname {} -testpatt %",
                            sh_quote(&megatest.display().to_string()),
                            sh_quote(&exact_target),
                            sh_quote(&exact_run)
                        );
                        match crate::sys::shell::run_to_stderr(&line, Path::new(".")) {
                            Ok(0) => {}
                            Ok(code) => {
                                crate::warn!("`{line}` exited with {code}");
                                failed += 1;
                            }
                            Err(e) => {
                                crate::warn!("cannot run `{line}`: {e}");
                                failed += 1;
                            }
                        }
                    }
                    Action::RemoveRuns | Action::Archive => {}
                }
            }
        }
    }
    if failed > 0 {
        return Err(Error::new(format!(
            "{failed} run(s) of the list could not be removed or archived (see above)"
        )));
    }
    Ok(Flow::Continue)
}

/// `name` as a GLOB pattern matching only itself (each `*`, `?`, `[` in brackets); `None`
/// for a name holding `%`, which makes the pattern a LIKE one.
fn exact_glob(name: &str) -> Option<String> {
    if name.contains('%') {
        return None;
    }
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    Some(out)
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

    #[test]
    fn names_given_to_remove_runs_match_only_themselves() {
        assert_eq!(exact_glob("rel[1]").as_deref(), Some("rel[[]1]"));
        assert_eq!(exact_glob("a*b?").as_deref(), Some("a[*]b[?]"));
        assert_eq!(
            exact_glob("linux/release").as_deref(),
            Some("linux/release")
        );
        assert_eq!(exact_glob("50%"), None);
    }
}
