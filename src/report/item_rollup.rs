//! `megatest-rollup-<test>.html`: the items of an itemized test with their state, status and
//! comment, written in the toplevel's directory and made the toplevel's log; or, with
//! megatest.config `[testrollup] TEST COMMAND`, what that command prints.

use crate::db::{Store, TestFilter};
use crate::error::{Error, Result};
use crate::launch::job::Job;
use crate::logpro::escape_html;
use std::path::PathBuf;

/// Writes the rollup page of the job's test; returns its path.
pub fn write_rollup(store: &Store, job: &Job) -> Result<PathBuf> {
    let top_id = store
        .test_id(job.run_id, &job.test_name, "")?
        .ok_or_else(|| Error::new(format!("test {} has no toplevel record", job.test_name)))?;
    let top = store.test(top_id)?.expect("the id was just found");
    let mut dir = PathBuf::from(top.rundir());
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
        store.set_test_log(top_id, &name)?;
        return Ok(dir.join(name));
    }
    // Compared by name, not through a test pattern: a name may hold `,`, `%` or `(`.
    let mut rows = String::new();
    for item in store.tests_for_run(job.run_id, &TestFilter::default())? {
        if item.item_path().is_empty() || item.testname() != job.test_name {
            continue;
        }
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(&item.item_path()),
            escape_html(item.state().as_str()),
            escape_html(item.status().as_str()),
            escape_html(&item.comment())
        ));
    }
    let page = format!(
        "<html><head><title>{t}</title></head><body>\n<h1>{t}: {}/{}</h1>\n<table border=\"1\">\n<tr><th>Item</th><th>State</th><th>Status</th><th>Comment</th></tr>\n{rows}</table>\n</body></html>\n",
        escape_html(top.state().as_str()),
        escape_html(top.status().as_str()),
        t = escape_html(&job.test_name),
    );
    let path = dir.join(&name);
    std::fs::write(&path, page)
        .map_err(|e| Error::new(format!("cannot write `{}`: {e}", path.display())))?;
    store.set_test_log(top_id, &name)?;
    Ok(path)
}
