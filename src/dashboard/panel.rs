//! The test panel: a record's state, status, host, times, comment and run directory; its
//! steps with status, duration and log; its test data; the files of its run directory; and
//! the actions (each confirmed, each needing the server's token).

use super::colors;
use super::filters::encode;
use crate::db::{Field, Store};
use crate::error::Result;
use crate::model::TestId;
use maud::{Markup, html};
use std::path::Path;

/// A step as the panel shows it: its start and end records folded.
struct StepRow {
    name: String,
    status: String,
    started: Option<i64>,
    ended: Option<i64>,
    log: String,
}

fn when(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| epoch.to_string())
}

fn field_text(f: Option<&Field>) -> String {
    f.map(|f| f.to_string()).unwrap_or_default()
}

/// The panel of test `id`, or none when there is no such record.
pub(super) fn render(
    store: &Store,
    id: TestId,
    token: &str,
    roots: &crate::runner::removal::Roots,
) -> Result<Option<Markup>> {
    let Some(test) = store.test(id)? else {
        return Ok(None);
    };
    let run = store.run(test.run_id())?;
    let (state, status) = (test.state().to_string(), test.status().to_string());
    let (rgb, label) = colors::cell(&state, &status);
    let mut steps: Vec<StepRow> = Vec::new();
    for s in store.steps(id)? {
        let at = match s.event_time {
            Field::Int(t) => Some(t),
            Field::Real(t) => Some(t as i64),
            _ => None,
        };
        let row = match steps.iter_mut().find(|r| r.name == s.stepname) {
            Some(row) => row,
            None => {
                steps.push(StepRow {
                    name: s.stepname.clone(),
                    status: String::new(),
                    started: None,
                    ended: None,
                    log: String::new(),
                });
                steps.last_mut().expect("just pushed")
            }
        };
        if s.state == "start" {
            row.started = at;
        } else {
            row.ended = at;
            row.status = s.status.clone();
        }
        if !s.logfile.is_empty() {
            row.log = s.logfile.clone();
        }
    }
    let data = store.test_data(id, "%")?;
    let rundir = test.rundir();
    // Only a run directory of the area's is listed (as only its files are served).
    let files = match Path::new(&rundir).canonicalize() {
        Ok(real) if roots.contains(&real) => super::files::listing(&real),
        _ => Vec::new(),
    };
    // A step whose record names no log has the ezstep's `STEP.log` when there is one.
    for step in &mut steps {
        let default = format!("{}.log", step.name);
        if step.log.is_empty() && files.contains(&default) {
            step.log = default;
        }
    }
    let token_q = format!("?token={}", encode(token));
    let name = crate::model::full_test_name(&test.testname(), &test.item_path());
    let duration = field_text(test.field("run_duration"));
    Ok(Some(html! {
        h1 { (name) }
        p.where {
            @if let Some(run) = &run {
                "run " (run.target()) " / " (run.runname())
            }
            " · " a href={ "/" (token_q) } { "back to the runs" }
        }
        div.verdict style={ "background:" (rgb) } { (label) }
        table.fields {
            tr { th { "state" } td.state { (state) } }
            tr { th { "status" } td.status { (status) } }
            tr { th { "host" } td { (field_text(test.field("host"))) } }
            tr { th { "started" } td { (when(test.event_time())) } }
            tr { th { "duration" } td { (duration) " s" } }
            tr { th { "comment" } td.comment { (test.comment()) } }
            tr { th { "run directory" } td.rundir { (rundir) } }
        }
        h2 { "Steps" }
        @if steps.is_empty() {
            p { "No steps recorded." }
        } @else {
            table.steps {
                tr { th { "step" } th { "status" } th { "started" } th { "duration" } th { "log" } }
                @for s in &steps {
                    tr {
                        td.stepname { (s.name) }
                        td { (s.status) }
                        td { (s.started.map(when).unwrap_or_default()) }
                        td {
                            @if let (Some(a), Some(b)) = (s.started, s.ended) { (b.saturating_sub(a)) " s" }
                        }
                        td {
                            @let log = Path::new(&s.log).file_name().and_then(|n| n.to_str()).unwrap_or("");
                            @if !log.is_empty() && files.iter().any(|f| f == log) {
                                a.log href={ "/file/" (id) "/" (encode(log)) } { (log) }
                            } @else {
                                (s.log)
                            }
                        }
                    }
                }
            }
        }
        h2 { "Test data" }
        @if data.is_empty() {
            p { "No test data." }
        } @else {
            table.data {
                tr { th { "category" } th { "variable" } th { "value" } th { "expected" } th { "tolerance" } th { "units" } th { "status" } th { "comment" } }
                @for d in &data {
                    tr {
                        td { (d.category) } td { (d.variable) } td { (d.value) } td { (d.expected) }
                        td { (d.tol) } td { (d.units) } td { (d.status) } td { (d.comment) }
                    }
                }
            }
        }
        h2 { "Files" }
        @if files.is_empty() {
            p { "The run directory holds no files (yet)." }
        } @else {
            ul.files {
                @for f in &files {
                    li { a href={ "/file/" (id) "/" (encode(f)) } { (f) } }
                }
            }
        }
        h2 { "Actions" }
        @if token.is_empty() {
            p.note { "Open the dashboard with the address it printed (it holds the token) to act on tests." }
        } @else {
            form.action method="post" action={ "/action/" (id) } data-confirm={ "Set " (name) "?" } {
                input type="hidden" name="token" value=(token);
                input type="hidden" name="action" value="set";
                label { "state " input name="state" value=(state) size="12"; }
                label { " status " input name="status" value=(status) size="10"; }
                label { " comment " input name="comment" value="" size="30"; }
                button type="submit" { "Set state/status" }
            }
            @for (action, label, question) in [
                ("kill", "Kill (KILLREQ)", "Kill"),
                ("rerun", "Re-run", "Run again"),
                ("clean", "Clean (remove)", "Remove the records and run directory of"),
            ] {
                form.action method="post" action={ "/action/" (id) } data-confirm={ (question) " " (name) "?" } {
                    input type="hidden" name="token" value=(token);
                    input type="hidden" name="action" value=(action);
                    button type="submit" { (label) }
                }
            }
            @let locked = run.as_ref().is_some_and(|r| r.state() == "locked");
            form.action method="post" action={ "/action/" (id) } data-confirm={ (if locked { "Unlock" } else { "Lock" }) " the run?" } {
                input type="hidden" name="token" value=(token);
                input type="hidden" name="action" value=(if locked { "unlock" } else { "lock" });
                button type="submit" { (if locked { "Unlock the run" } else { "Lock the run" }) }
            }
        }
    }))
}
