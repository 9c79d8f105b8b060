//! `megatest-rollup-<test>.html`: the items of an itemized test with their state, status and
//! comment, written in the toplevel's directory and made the toplevel's log; or, with
//! megatest.config `[testrollup] TEST COMMAND`, what that command prints.

use crate::db::Store;
use crate::error::{Error, Result};
use crate::launch::job::Job;
use crate::logpro::escape_html;
use crate::model::{RunId, TestId};
use serde::{Deserialize, Serialize};
use std::io::Write;
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
    let mut source = rollup_top(store, run_id, test_name)?;
    // By name, not through a test pattern: a name may hold `,`, `%` or `(`.
    source.items = store.item_rows(run_id, test_name)?;
    Ok(source)
}

/// The toplevel's part of the rollup source (no items).
fn rollup_top(store: &Store, run_id: RunId, test_name: &str) -> Result<RollupSource> {
    let top_id = store
        .test_id(run_id, test_name, "")?
        .ok_or_else(|| Error::new(format!("test {test_name} has no toplevel record")))?;
    let top = store
        .test(top_id)?
        .ok_or_else(|| Error::new(format!("test {test_name} has no toplevel record")))?;
    Ok(RollupSource {
        top_id,
        top_rundir: top.rundir(),
        top_state: top.state().as_str().to_string(),
        top_status: top.status().as_str().to_string(),
        items: Vec::new(),
    })
}

/// Writes the rollup page of the job's test; returns its path. The items go from the
/// database to the page one row at a time: a test may have 100,000 of them.
pub fn write_rollup(store: &Store, job: &Job) -> Result<PathBuf> {
    let top = rollup_top(store, job.run_id, &job.test_name)?;
    write_page(
        &top,
        job,
        |id, name| store.set_test_log(id, name),
        |row| store.for_each_item_row(job.run_id, &job.test_name, row),
    )
}

/// Writes the rollup page from `source` (or runs `[testrollup]`) and makes it the
/// toplevel's log through `set_log`; returns its path.
pub fn write_rollup_of(
    source: &RollupSource,
    job: &Job,
    set_log: impl FnOnce(TestId, &str) -> Result<()>,
) -> Result<PathBuf> {
    write_page(source, job, set_log, |row| {
        // A failed write stops the rows; the page's writer reports it.
        let _stopped = source
            .items
            .iter()
            .try_for_each(|[path, state, status, comment]| row([path, state, status, comment]));
        Ok(())
    })
}

/// One item row to the page.
type ItemRow<'r> = dyn FnMut([&str; 4]) -> std::io::Result<()> + 'r;

/// Writes the page of `source`'s toplevel with the items `each_item` gives to its row writer.
fn write_page(
    source: &RollupSource,
    job: &Job,
    set_log: impl FnOnce(TestId, &str) -> Result<()>,
    each_item: impl FnOnce(&mut ItemRow<'_>) -> Result<()>,
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
    let path = dir.join(&name);
    // Written beside it and renamed: a page cut short (a full disk, a database error)
    // never replaces the one before.
    let partial = dir.join(format!(".{name}.partial"));
    let written = write_items(&partial, source, job, each_item).and_then(|()| {
        std::fs::rename(&partial, &path)
            .map_err(|e| Error::new(format!("cannot write `{}`: {e}", path.display())))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written?;
    set_log(source.top_id, &name)?;
    Ok(path)
}

/// Writes the page's text to `file`.
fn write_items(
    file: &std::path::Path,
    source: &RollupSource,
    job: &Job,
    each_item: impl FnOnce(&mut ItemRow<'_>) -> Result<()>,
) -> Result<()> {
    let cannot = |e: std::io::Error| Error::new(format!("cannot write `{}`: {e}", file.display()));
    let mut page = std::io::BufWriter::new(std::fs::File::create(file).map_err(cannot)?);
    write!(
        page,
        "<html><head><title>{t}</title></head><body>\n<h1>{t}: {}/{}</h1>\n<table border=\"1\">\n<tr><th>Item</th><th>State</th><th>Status</th><th>Comment</th></tr>\n",
        escape_html(&source.top_state),
        escape_html(&source.top_status),
        t = escape_html(&job.test_name),
    )
    .map_err(cannot)?;
    let mut failed = None;
    each_item(&mut |[item, state, status, comment]| {
        writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(item),
            escape_html(state),
            escape_html(status),
            escape_html(comment)
        )
        .inspect_err(|e| failed = Some(e.kind()))
    })?;
    if let Some(kind) = failed {
        return Err(cannot(kind.into()));
    }
    page.write_all(b"</table>\n</body></html>\n")
        .and_then(|()| page.flush())
        .map_err(cannot)
}
