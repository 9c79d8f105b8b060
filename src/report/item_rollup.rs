//! `megatest-rollup-<test>.html`: the items of an itemized test with their state, status and
//! comment, written in the toplevel's directory and made the toplevel's log; or, with
//! megatest.config `[testrollup] TEST COMMAND`, what that command prints.

use crate::db::Store;
use crate::error::{Error, Result};
use crate::launch::job::Job;
use crate::logpro::escape_html;
use crate::model::{RunId, TestId};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What the rollup page of an itemized test shows, read from the records (by a process
/// that may open the database, or a server for one that may not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupSource {
    /// The toplevel record.
    pub top_id: TestId,
    /// Its run directory.
    pub top_rundir: String,
    /// Its state.
    pub top_state: String,
    /// Its status.
    pub top_status: String,
    /// Each item: path, state, status, comment.
    pub items: Vec<[String; 4]>,
}

/// Reads what the rollup page of `test_name` in `run_id` shows.
pub fn rollup_source(store: &Store, run_id: RunId, test_name: &str) -> Result<RollupSource> {
    let top_id = store
        .test_id(run_id, test_name, "")?
        .ok_or_else(|| Error::new(format!("test {test_name} has no toplevel record")))?;
    let top = store
        .test(top_id)?
        .ok_or_else(|| Error::new(format!("test {test_name} has no toplevel record")))?;
    // By name, not through a test pattern: a name may hold `,`, `%` or `(`.
    let items = store.item_rows(run_id, test_name)?;
    Ok(RollupSource {
        top_id,
        top_rundir: top.rundir(),
        top_state: top.state().as_str().to_string(),
        top_status: top.status().as_str().to_string(),
        items,
    })
}

/// Writes the rollup page of the job's test; returns its path.
pub fn write_rollup(store: &Store, job: &Job) -> Result<PathBuf> {
    let source = rollup_source(store, job.run_id, &job.test_name)?;
    write_rollup_of(&source, job, |id, name| store.set_test_log(id, name))
}

/// Writes the rollup page from `source` (or runs `[testrollup]`) and makes it the
/// toplevel's log through `set_log`; returns its path.
pub fn write_rollup_of(
    source: &RollupSource,
    job: &Job,
    set_log: impl FnOnce(TestId, &str) -> Result<()>,
) -> Result<PathBuf> {
    let mut dir = PathBuf::from(&source.top_rundir);
    if !dir.is_dir() {
        // The item's directory is <toplevel>/<item path>.
        dir = job.work_area.clone();
        for _ in crate::model::item_dir(&job.item_path).split('/') {
            dir.pop();
        }
    }
    let name = format!("megatest-rollup-{}.html", job.test_name);
    if let Some(command) = &job.testrollup {
        // `[testrollup]`: the command's output is the page, made in the background in the
        // toplevel's directory, as 1.65 does.
        let line = format!(
            "{command} > {} &",
            crate::environ::env_file::sh_quote(&name)
        );
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(&line)
            .current_dir(&dir)
            .stdin(std::process::Stdio::null());
        crate::environ::apply(&mut cmd);
        cmd.env("MT_TEST_NAME", &job.test_name)
            .env("MT_TEST_RUN_DIR", &dir);
        cmd.status().map_err(|e| {
            Error::new(format!(
                "cannot run the [testrollup] command of {}: {e}",
                job.test_name
            ))
        })?;
        set_log(source.top_id, &name)?;
        return Ok(dir.join(name));
    }
    let mut rows = String::new();
    for [path, state, status, comment] in &source.items {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(path),
            escape_html(state),
            escape_html(status),
            escape_html(comment)
        ));
    }
    let page = format!(
        "<html><head><title>{t}</title></head><body>\n<h1>{t}: {}/{}</h1>\n<table border=\"1\">\n<tr><th>Item</th><th>State</th><th>Status</th><th>Comment</th></tr>\n{rows}</table>\n</body></html>\n",
        escape_html(&source.top_state),
        escape_html(&source.top_status),
        t = escape_html(&job.test_name),
    );
    let path = dir.join(&name);
    std::fs::write(&path, page)
        .map_err(|e| Error::new(format!("cannot write `{}`: {e}", path.display())))?;
    set_log(source.top_id, &name)?;
    Ok(path)
}
