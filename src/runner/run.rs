//! `megatest -run` (spec §7.1): register the run, export its environment, mark dead tests,
//! select the tests, apply the resets, then the main pass and the automatic extra pass.

use super::context::RunContext;
use super::dispatcher::{Dispatcher, PassEnd};
use super::hooks::{self, Hook};
use super::lease::RunLease;
use super::options::{PassRules, RunOptions};
use super::resets;
use super::settings::Settings;
use crate::area::Area;
use crate::db::{Store, typed_keys};
use crate::error::{Error, Result};
use crate::model::Status;
use crate::select::TestPatterns;
use crate::testdef::TestDef;
use crate::{environ, error::exit_code, plan, sys};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The `-rerun` list of the automatic extra pass: tests that did not finish.
const EXTRA_PASS_RERUN: &[Status] = &[
    Status::StuckDead,
    Status::Dead,
    Status::NotApplicable,
    Status::ZeroItems,
];

/// How many of the area's tests an unmatched test pattern's error names.
const TESTS_LISTED: usize = 20;

/// Runs the tests; returns megatest's exit code.
pub fn run(area: &Area, store: &Store, opts: &RunOptions, owner: &str) -> Result<i32> {
    sys::catch_interrupts();
    let available = area.tests();
    some_test_matches(&available, &opts.testpatt)?;
    let settings = Settings::read(area);
    let run_id = store.register_run(&opts.target, &opts.runname, owner, &opts.contour)?;
    let target = opts.target.to_string();
    // One runner per run: a second `-run` of it waits here, then carries on from the records.
    let _lease = RunLease::take(
        store,
        &typed_keys(area),
        run_id,
        &format!("{target}/{}", opts.runname),
    )?;
    opts.target.export(&area.keys);
    environ::set("MT_TARGET", &target);
    environ::set("MT_RUNNAME", &opts.runname);
    environ::set("MT_LINKTREE", &settings.linktree.display().to_string());
    environ::set("MT_TESTSUITENAME", &settings.area_name);
    environ::set("MT_RUN_AREA_HOME", &area.top.display().to_string());
    let runconfigs = area.runconfigs(&opts.target)?;
    let mut runconfig = runconfigs.pairs("default");
    runconfig.extend(runconfigs.pairs(&target));
    for (name, value) in &runconfig {
        environ::set(name, value);
    }
    // The executor has the shell evaluate these (spec §3.3); results of `#{...}` in them go
    // quoted, so only the author's text is evaluated.
    let mut runconfig = runconfigs.shell_pairs("default");
    runconfig.extend(runconfigs.shell_pairs(&target));
    link_lt(area, &settings.linktree);
    let mut ctx = RunContext {
        area,
        store,
        run_id,
        target: opts.target.clone(),
        runname: opts.runname.clone(),
        keys: typed_keys(area),
        runconfig,
        env_override: area.config.pairs("env-override"),
        setvars: opts.setvars.clone(),
        debug: opts.debug.clone(),
        host: sys::host_name(),
        settings,
        lease_lost: _lease.lost(),
        triggers: crate::writer::TriggerTable::new(),
        disk_warnings: Default::default(),
    };

    // A testconfig's Scheme (`(tests:get-all)`, `(common:get-linktree)`) sees the area.
    crate::scheme::set_area_globals(
        available
            .iter()
            .map(|(n, p)| (n.clone(), p.clone()))
            .collect(),
        Some(ctx.settings.linktree.clone()),
    );
    let selection = plan::select(
        &available,
        &opts.testpatt,
        opts.tagexpr.as_ref(),
        |name, dir| {
            environ::set("MT_TEST_NAME", name);
            let def = TestDef::read(name, dir, &area.top)?;
            def.check()?;
            Ok(def)
        },
    )?;
    if selection.defs.is_empty() {
        crate::output::log::emit(format_args!("NOTE: No tests to run (-tagexpr leaves none)"));
    }
    let selected: Vec<String> = selection.defs.keys().cloned().collect();
    for (name, def) in &selection.defs {
        let triggers = crate::writer::test_and_area_triggers(def.triggers(), &area.config);
        ctx.triggers.register(name, triggers.clone());
        crate::api::share_triggers(name, triggers);
        let values: Vec<(&str, String)> = crate::db::META_FIELDS
            .iter()
            .filter_map(|f| {
                def.config
                    .get("test_meta", f)
                    .map(|v| (*f, v.trim().to_string()))
            })
            .collect();
        for (field, value) in store.update_test_meta(name, &values)? {
            crate::debug!(1, "Updating {name} {field} to {value}");
        }
    }
    ctx.writer(store).mark_dead_tests(ctx.settings.deadtime)?;
    let preclean = resets::apply(&ctx, opts, &selected)?;
    hooks::run_hook(&ctx, Hook::Pre)?;
    let wait = opts.run_wait || ctx.settings.run_wait;
    let first = PassRules {
        rerun: opts
            .rerun
            .as_ref()
            .map(|list| list.iter().map(|s| Status::parse(s)).collect()),
        force: opts.force,
        preclean,
        wait,
        notes: true,
    };
    let extra = ctx.settings.extra_pass.then(|| selection.clone());
    match Dispatcher::new(&ctx, selection, first)?.run()? {
        PassEnd::Interrupted => return Ok(exit_code::INTERRUPTED),
        PassEnd::TakenOver => return Err(taken_over(&target, &opts.runname)),
        PassEnd::Finished => hooks::run_hook(&ctx, Hook::Post)?,
    }
    if let Some(selection) = extra {
        let again = PassRules {
            rerun: Some(EXTRA_PASS_RERUN.to_vec()),
            force: false,
            preclean: true,
            wait,
            notes: false,
        };
        match Dispatcher::new(&ctx, selection, again)?.run()? {
            PassEnd::Interrupted => return Ok(exit_code::INTERRUPTED),
            PassEnd::TakenOver => return Err(taken_over(&target, &opts.runname)),
            PassEnd::Finished => hooks::run_hook(&ctx, Hook::Post)?,
        }
    }
    Ok(exit_code::SUCCESS)
}

fn taken_over(target: &str, runname: &str) -> Error {
    Error::new(format!(
        "run {target}/{runname} was taken over by another runner; this one stopped launching"
    ))
    .note("a runner's hold goes stale when it cannot renew it for 60 s (a stopped process, a database locked that long, clocks apart between hosts)")
}

/// A test pattern that names no test of the area is a mistake (a typo, another area's test):
/// said before the run is registered, so that nothing is written.
fn some_test_matches(available: &BTreeMap<String, PathBuf>, testpatt: &str) -> Result<()> {
    let patterns = TestPatterns::parse(testpatt)?;
    if available.keys().any(|name| patterns.selects_test(name)) {
        return Ok(());
    }
    let known = if available.is_empty() {
        "the area has no tests (a test is a directory with a testconfig under tests/ or a \
         [tests-paths] directory)"
            .to_string()
    } else {
        let names: Vec<&str> = available
            .keys()
            .take(TESTS_LISTED)
            .map(String::as_str)
            .collect();
        let more = match available.len() {
            n if n > TESTS_LISTED => format!(", ... ({n} in all)"),
            _ => String::new(),
        };
        format!("the area's tests are {}{more}", names.join(", "))
    };
    Err(Error::new(format!(
        "no test matches the test pattern `{testpatt}`: {known}"
    )))
}

/// `<area>/lt` points at the link tree, when the link tree is elsewhere.
fn link_lt(area: &Area, linktree: &std::path::Path) {
    let lt = area.top.join("lt");
    if lt == linktree || std::fs::symlink_metadata(&lt).is_ok() {
        return;
    }
    let _ = std::fs::create_dir_all(linktree);
    if let Err(e) = std::os::unix::fs::symlink(linktree, &lt) {
        crate::debug!(1, "cannot link {} to the link tree: {e}", lt.display());
    }
}
