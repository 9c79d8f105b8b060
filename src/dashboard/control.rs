//! Run Control: starting a run from the page as a background `megatest -run -run-wait` (its
//! output in `logs/` of the area), listing the runs the dashboard started, and stopping one with
//! Ctrl-C's signal, which the runner obeys as at a terminal (no more launches, running tests
//! asked to stop).

use crate::area::Area;
use crate::error::{Error, ErrorKind, Result};
use maud::{Markup, html};
use serde::Deserialize;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// The form that starts a run.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct StartForm {
    #[serde(default)]
    pub(super) token: String,
    pub(super) target: String,
    pub(super) runname: String,
    #[serde(default)]
    pub(super) testpatt: String,
    /// `""`, `rerun-clean` or `rerun-all`.
    #[serde(default)]
    pub(super) rerun: String,
}

/// A run the dashboard started.
struct Started {
    child: Child,
    target: String,
    runname: String,
    testpatt: String,
    log: PathBuf,
    /// The exit code once it ended.
    ended: Option<i32>,
}

/// The runs started from this dashboard.
#[derive(Default)]
pub(super) struct Control {
    started: Mutex<Vec<Started>>,
}

/// The megatest binary: this one, or the `megatest` beside the `dashboard` binary (which
/// would start a dashboard, not a run).
fn megatest_binary() -> Result<PathBuf> {
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("megatest"));
    if me.file_name().is_some_and(|n| n == "dashboard") {
        let beside = me.with_file_name("megatest");
        if !beside.is_file() {
            return Err(Error::new(format!(
                "no megatest beside {}: runs are started with it",
                me.display()
            )));
        }
        return Ok(beside);
    }
    Ok(me)
}

/// The sections of runconfigs.config, read as text: no command of it runs for a page.
fn targets(area: &Area) -> Vec<String> {
    let mut opts = crate::config::ReadOptions::new(&area.top);
    opts.system = crate::config::SystemPolicy::Raw;
    let Ok(Some(config)) = crate::config::read_file(&area.runconfigs_path(), &opts) else {
        return Vec::new();
    };
    let mut targets: Vec<String> = config
        .section_names()
        .filter(|s| *s != "default" && !s.contains('%') && !s.starts_with('/'))
        .map(str::to_string)
        .collect();
    targets.sort();
    targets
}

impl Control {
    /// Starts `megatest -run` for `form` in `area`; its process id.
    pub(super) fn start(&self, area: &Area, form: &StartForm) -> Result<u32> {
        let target = form.target.trim();
        let runname = form.runname.trim();
        let testpatt = Some(form.testpatt.trim())
            .filter(|t| !t.is_empty())
            .unwrap_or("%");
        area.target(target, "the target")?;
        crate::model::check_run_name(runname)?;
        let logs = area.top.join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!("cannot make {}: {e}", logs.display()),
            )
        })?;
        let log = logs.join(format!(
            "dashboard-run-{}-{}.log",
            runname,
            crate::db::now()
        ));
        let out = std::fs::File::create(&log).map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!("cannot write {}: {e}", log.display()),
            )
        })?;
        let err = out
            .try_clone()
            .map_err(|e| Error::of(ErrorKind::Io, format!("cannot share the log: {e}")))?;
        let mut cmd = Command::new(megatest_binary()?);
        cmd.args(["-start-dir"])
            .arg(&area.top)
            .args([
                "-run",
                "-target",
                target,
                "-runname",
                runname,
                "-testpatt",
                testpatt,
                // It lives as long as the run, so that stopping it stops the run.
                "-run-wait",
            ])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group: Ctrl-C at the dashboard's terminal does not reach it.
            .process_group(0);
        match form.rerun.as_str() {
            "rerun-clean" => {
                cmd.arg("-rerun-clean");
            }
            "rerun-all" => {
                cmd.arg("-rerun-all");
            }
            _ => {}
        }
        crate::environ::apply(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| Error::of(ErrorKind::Io, format!("cannot start megatest -run: {e}")))?;
        let pid = child.id();
        self.started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Started {
                child,
                target: target.to_string(),
                runname: runname.to_string(),
                testpatt: testpatt.to_string(),
                log,
                ended: None,
            });
        Ok(pid)
    }

    /// Notes the runs that ended (and lets their processes go).
    pub(super) fn reap(&self) {
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        for run in started.iter_mut().filter(|r| r.ended.is_none()) {
            if let Ok(Some(status)) = run.child.try_wait() {
                run.ended = Some(crate::sys::shell::status_code(status));
            }
        }
    }

    /// Stops the run `pid` started, as Ctrl-C would; false when it is not one of ours.
    pub(super) fn stop(&self, pid: u32) -> bool {
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        let Some(run) = started.iter_mut().find(|s| s.child.id() == pid) else {
            return false;
        };
        if run.ended.is_none() && run.child.try_wait().ok().flatten().is_none() {
            crate::sys::signal_process(pid, libc::SIGINT);
        }
        true
    }

    /// The Run Control page's body.
    pub(super) fn render(&self, area: &Area, token: &str) -> Markup {
        let targets = targets(area);
        self.reap();
        let started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        let token_q = format!("?token={}", super::filters::encode(token));
        html! {
            h1 { "Run Control" }
            p { a href={ "/" (token_q) } { "back to the runs" } }
            @if token.is_empty() {
                p.note { "Open the dashboard with the address it printed (it holds the token) to start runs." }
            } @else {
                form.action #start method="post" action="/control/start" data-confirm="Start this run?" {
                    input type="hidden" name="token" value=(token);
                    label { "target "
                        input name="target" list="targets" required;
                        datalist #targets { @for t in &targets { option value=(t) {} } }
                    }
                    label { " run name " input name="runname" required size="14"; }
                    label { " tests " input name="testpatt" value="%" size="14"; }
                    label { " re-run "
                        select name="rerun" {
                            option value="" { "nothing finished" }
                            option value="rerun-clean" { "failed ones (-rerun-clean)" }
                            option value="rerun-all" { "all (-rerun-all)" }
                        }
                    }
                    button type="submit" { "Start" }
                }
            }
            h2 { "Runs started here" }
            @if started.is_empty() {
                p { "None yet." }
            } @else {
                table.started {
                    tr { th { "target" } th { "run" } th { "tests" } th { "process" } th { "log" } th {} }
                    @for run in started.iter() {
                        tr {
                            td { (run.target) } td.runname { (run.runname) } td { (run.testpatt) }
                            td.process {
                                @match run.ended {
                                    Some(code) => { "ended (exit " (code) ")" }
                                    None => { "running (pid " (run.child.id()) ")" }
                                }
                            }
                            td { (run.log.display()) }
                            td {
                                @if run.ended.is_none() && !token.is_empty() {
                                    form.action method="post" action={ "/control/stop/" (run.child.id()) } data-confirm="Stop this run (as Ctrl-C)?" {
                                        input type="hidden" name="token" value=(token);
                                        button type="submit" { "Stop" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
