//! What a run resets before its first pass (spec §7.9, §2.3): `-rerun-all`, `-rerun-clean`
//! and `[setup] allow-auto-rerun`.

use super::context::RunContext;
use super::options::RunOptions;
use crate::db::ResetFilter;
use crate::error::Result;
use crate::model::Status;

/// Applies the resets; returns whether run directories must be cleaned (`-preclean`).
pub(super) fn apply(ctx: &RunContext<'_>, opts: &RunOptions, selected: &[String]) -> Result<bool> {
    let store = ctx.store;
    let settings = &ctx.settings;
    if opts.rerun_all {
        let n = store.reset_tests(
            ctx.run_id,
            &ResetFilter::default(),
            Some(&Status::NotApplicable),
        )?;
        crate::debug!(1, "-rerun-all: {n} records set to NOT_STARTED/n/a");
        return Ok(true);
    }
    if opts.rerun_clean {
        let by_state = ResetFilter {
            states: Some(&settings.cleanrerun_states),
            ..ResetFilter::default()
        };
        let by_status = ResetFilter {
            statuses: Some(&settings.cleanrerun_statuses),
            ..ResetFilter::default()
        };
        let n = store.reset_tests(ctx.run_id, &by_state, Some(&Status::NotApplicable))?
            + store.reset_tests(ctx.run_id, &by_status, Some(&Status::NotApplicable))?;
        crate::debug!(1, "-rerun-clean: {n} records set to NOT_STARTED/n/a");
        return Ok(true);
    }
    for (state, status) in &settings.auto_rerun {
        let states = [state.clone()];
        let statuses = status.iter().cloned().collect::<Vec<_>>();
        let filter = ResetFilter {
            testnames: Some(selected),
            states: (!state.is_empty()).then_some(&states[..]),
            statuses: status.as_ref().map(|_| &statuses[..]),
        };
        let n = store.reset_tests(ctx.run_id, &filter, None)?;
        crate::debug!(
            1,
            "allow-auto-rerun {state}/{}: {n} records set to NOT_STARTED",
            status.as_deref().unwrap_or("")
        );
    }
    Ok(opts.preclean)
}
