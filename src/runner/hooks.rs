//! `[runs] pre-hook` and `post-hook` (1.65's `runs:run-pre-hook`/`runs:run-post-hook`): a
//! shell command run before a run's first test is registered, and after each pass, its
//! output appended to `<area>/logs/{pre,post}-hook-<target>-<runname>.log`.

use super::context::RunContext;
use crate::db::TestFilter;
use crate::error::Result;
use std::path::PathBuf;
use std::time::Instant;

/// Which hook.
#[derive(Debug, Clone, Copy)]
pub(super) enum Hook {
    /// Before anything of the run is registered.
    Pre,
    /// After each pass.
    Post,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Hook::Pre => "pre-hook",
            Hook::Post => "post-hook",
        }
    }
}

/// Runs `hook` of the area for the run, if it has one (the pre-hook only while the run has
/// no test records). Its exit code is not looked at, as in 1.65.
pub(super) fn run_hook(ctx: &RunContext<'_>, hook: Hook) -> Result<()> {
    let Some(command) = ctx
        .area
        .config
        .get("runs", hook.name())
        .map(str::trim)
        .filter(|c| !c.is_empty())
    else {
        return Ok(());
    };
    if matches!(hook, Hook::Pre)
        && !ctx
            .store
            .tests_for_run(ctx.run_id, &TestFilter::default())?
            .is_empty()
    {
        crate::output::log::emit(format_args!(
            "Skipping pre-hook call \"{command}\" as there are existing tests for this run."
        ));
        return Ok(());
    }
    let logs = ctx.area.top.join("logs");
    if let Err(e) = std::fs::create_dir_all(&logs) {
        crate::warn!("Failed to create {}: {e}", logs.display());
    }
    let log: PathBuf = logs.join(format!(
        "{}-{}-{}.log",
        hook.name(),
        ctx.target_text().replace('/', "-"),
        ctx.runname
    ));
    crate::output::log::emit(format_args!(
        "INFO: (0) running run-{}: \"{command}\", log is {}",
        hook.name(),
        log.display()
    ));
    let started = Instant::now();
    let line = format!(
        "{command} >> {} 2>&1",
        crate::environ::env_file::sh_quote(&log.display().to_string())
    );
    if let Err(e) = crate::sys::shell::run_to_stderr(&line, &ctx.area.top) {
        crate::warn!("cannot run the {} `{command}`: {e}", hook.name());
    }
    crate::output::log::emit(format_args!(
        "INFO: (0) {} \"{command}\" took {} seconds to run.",
        hook.name(),
        started.elapsed().as_secs()
    ));
    Ok(())
}
