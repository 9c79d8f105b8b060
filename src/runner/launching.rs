//! Launching one test or item (spec §9.1): its work area, the copy of the test directory, the
//! job file, LAUNCHED in the database, and the executor started.

use super::context::RunContext;
use super::options::PassRules;
use super::recording::Recording;
use crate::environ;
use crate::error::{Error, Result};
use crate::launch::job::Job;
use crate::launch::{
    DiskChoice, ForkLauncher, JOB_FILE_NAME, JobFile, Launcher, Process, copy_test_source,
    plan_work_area, slurm, ssh_pool, start,
};
use crate::model::{State, Status, TestId};
use crate::recorder::Request;
use crate::testdef::TestDef;
use std::path::Path;

/// What is launched.
pub(super) struct LaunchItem<'a> {
    /// The test definition to use (read again for this item when it computes values).
    pub def: &'a TestDef,
    /// The item path.
    pub path: &'a str,
    /// The item variables.
    pub vars: &'a [(String, String)],
    /// Its record.
    pub id: TestId,
    /// The test's toplevel record.
    pub toplevel_id: TestId,
    /// Whether the toplevel record still needs its directories.
    pub set_toplevel_dirs: bool,
    /// How it is started (an ssh pool's host already chosen).
    pub launcher: Launcher,
}

/// A started launch.
pub(super) struct Launched {
    /// The executor (local) or the launcher process.
    pub process: Process,
    /// Whether `process` is the executor.
    pub local: bool,
    /// The number of the recorder post that took LAUNCHED, when it was not written here.
    pub posted: Option<u64>,
}

/// Launches one test or item; a local launch goes through `fork` when given (the helper and
/// the token of its answers); the job file names the runner's recorder when it runs.
pub(super) fn launch(
    ctx: &RunContext<'_>,
    item: &LaunchItem<'_>,
    rules: &PassRules,
    fork: Option<(&mut ForkLauncher, u64)>,
    recording: &Recording,
) -> Result<Launched> {
    let recorder = recording.running();
    let def = item.def;
    let settings = &ctx.settings;
    let test_disks = def.disks();
    let area_disks = ctx.area.disks();
    let disk = DiskChoice {
        disks: if test_disks.is_empty() {
            &area_disks
        } else {
            &test_disks
        },
        default_disk: &settings.default_disk,
        minspace: settings.minspace,
        free_space_script: settings.free_space_script.as_deref(),
    }
    .choose(&mut ctx.disk_warnings.borrow_mut())?;
    let target = ctx.target_text();
    let work = plan_work_area(
        &disk,
        &settings.linktree,
        &target,
        &ctx.runname,
        &def.name,
        item.path,
    )?;
    environ::set("MT_TEST_RUN_DIR", &work.link.display().to_string());
    work.create()?;
    if rules.preclean {
        work.clean()?;
    }
    copy_source(ctx, def, &work.physical)?;
    let runtimelim = def.runtimelim(settings.default_runtimelim());
    let signature = format!("{}:{}:{}", settings.area_name, def.name, item.path);
    let pre_launch_env = def.config.pairs("pre-launch-env-vars");
    let file = JobFile {
        job: Job {
            toppath: ctx.area.top.clone(),
            db_path: ctx.store.path().to_path_buf(),
            keys: ctx.keys.clone(),
            run_id: ctx.run_id,
            test_id: item.id,
            test_name: def.name.clone(),
            item_path: item.path.to_string(),
            testpath: def.dir.clone(),
            work_area: work.link.clone(),
            target: target.clone(),
            runname: ctx.runname.clone(),
            megatest: settings.executable.clone(),
            itemdat: item.vars.to_vec(),
            toplevel_id: item.toplevel_id,
            triggers: crate::writer::test_and_area_triggers(def.triggers(), &ctx.area.config),
            waivers: def.waivers(),
            waiver_rules: def.waiver_rules(),
            testrollup: testrollup(ctx.area, &def.name),
            server: recording.address(),
            homehost: Some(settings.server.homehost.clone()),
            server_wait: settings.server.wait,
        },
        linktree: settings.linktree.clone(),
        area_name: settings.area_name.clone(),
        environment: environ::overlay(),
        runconfig: ctx.runconfig.clone(),
        setvars: ctx.setvars.clone(),
        env_override: ctx.env_override.clone(),
        pre_launch_env,
        runscript: def.runscript(),
        steps: steps_with_subrun(ctx, def, &work.link, item.id)?,
        runtimelim,
        signature: signature.clone(),
        debug: ctx.debug.clone(),
        recorder: recorder.map(|r| r.name().to_string()),
    };
    file.write(&work.link)?;
    let mut launcher = item.launcher.clone();
    if let Launcher::Slurm(options) = &mut launcher {
        let own = slurm::test_options(&def.config, options, runtimelim);
        options.push(format!("--job-name={signature}"));
        options.extend(own);
    }
    let local = launcher.is_local();
    let host = if local { ctx.host.as_str() } else { "n/a" };
    let rundir = work.link.display().to_string();
    let shortdir = work.physical.display().to_string();
    // Before LAUNCHED: the toplevel's triggers read its run directory.
    if item.set_toplevel_dirs {
        ctx.store.set_toplevel_dirs(
            item.toplevel_id,
            &work.toplevel_link.display().to_string(),
            &work.toplevel_physical.display().to_string(),
        )?;
    }
    // A forked executor records through the recorder, after this write (see
    // recorder/posts.rs); a test with triggers has them fired here, at its launch.
    let posting = recorder.filter(|_| local && fork.is_some() && !ctx.triggers.has(&def.name));
    let posted = posting.and_then(|r| {
        r.post(Request::Launched {
            test_id: item.id,
            rundir: rundir.clone(),
            shortdir: shortdir.clone(),
            host: host.to_string(),
        })
    });
    // Nothing of this record is posted (its last launch's post went in before its
    // executor wrote), so it needs no settling.
    if posted.is_none() {
        ctx.writer(ctx.store)
            .mark_launched(item.id, &rundir, &shortdir, host)?;
    }
    let mut args = vec![
        "-m".to_string(),
        signature,
        "-execute".to_string(),
        work.link.join(JOB_FILE_NAME).display().to_string(),
    ];
    if let Some(debug) = &ctx.debug {
        args.extend(["-debug".to_string(), debug.clone()]);
    }
    let started = start(
        &launcher,
        settings.use_shell,
        &settings.executable,
        &args,
        &work.link,
        &def.launch_overrides(),
        fork,
    );
    let started = match started {
        Ok(s) => s,
        Err(e) => {
            recording.settle();
            let comment = format!("Launch failed: {}", e.message);
            ctx.writer(ctx.store).set_state_status(
                item.id,
                Some(&State::Incomplete),
                Some(&Status::Fail),
                Some(&comment),
            )?;
            return Err(e);
        }
    };
    if let Process::Submitted(job) = &started.process {
        // Without it a runner started again could not follow the job: it must stick, or
        // the job goes.
        if let Err(e) = ctx.store.set_test_job(item.id, slurm::SLURM, job) {
            if let Err(cancel) = slurm::cancel(std::slice::from_ref(job)) {
                crate::warn!("{}", cancel.message);
            }
            return Err(e);
        }
    }
    if let Launcher::SshHost { host, .. } = &launcher
        && let Err(e) = ctx.store.set_test_job(item.id, ssh_pool::SSH, host)
    {
        crate::warn!("{e}");
    }
    if let (true, Process::Spawned(child)) = (local, &started.process) {
        recording.settle();
        // The executor records its own pid too: a failure here must not end a test that
        // is already running.
        if let Err(e) = ctx.store.set_launch_pid(item.id, child.id()) {
            crate::warn!("{e}");
        }
    }
    Ok(Launched {
        process: started.process,
        local,
        posted,
    })
}

/// Copies the test's source directory into the run directory, or runs `testcopycmd`.
fn copy_source(ctx: &RunContext<'_>, def: &TestDef, dest: &Path) -> Result<()> {
    match &ctx.settings.testcopycmd {
        None => copy_test_source(&def.dir, dest),
        Some(template) => {
            let cmd = template
                .replace("TEST_SRC_PATH", &def.dir.display().to_string())
                .replace("TEST_TARG_PATH", &dest.display().to_string());
            let code = crate::sys::shell::run_to_stderr(&cmd, dest)
                .map_err(|e| Error::new(format!("cannot run [setup] testcopycmd: {e}")))?;
            if code != 0 {
                crate::warn!(
                    "[setup] testcopycmd exited with {code} for test {}",
                    def.name
                );
            }
            Ok(())
        }
    }
}

/// megatest.config `[testrollup] TEST command`, if the test has one.
pub(super) fn testrollup(area: &crate::area::Area, test: &str) -> Option<String> {
    area.config
        .get("testrollup", test)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// The test's steps, and last the nested run of its `[subrun]` (manual, "Nested Runs";
/// 1.65's `subrun:initialize-toprun-test`): megatest on the other area (or this one), for
/// this run's target and name unless the section says others, with no `MT_*` variable.
/// Waiting (the default), the step then lists the nested run, and its tests' results
/// decide (`Status:` of a test that did not pass is an error), unless `logpro` rules are
/// given; with `run-wait no` it only starts the run and passes.
fn steps_with_subrun(
    ctx: &RunContext<'_>,
    def: &TestDef,
    work: &std::path::Path,
    test_id: TestId,
) -> Result<Vec<crate::testdef::Step>> {
    let mut steps = def.ezsteps();
    let Some(sub) = def.subrun()? else {
        return Ok(steps);
    };
    let target = sub.target.clone().unwrap_or_else(|| ctx.target_text());
    let runname = sub.runname.clone().unwrap_or_else(|| ctx.runname.clone());
    // A relative run-area is the area's, wherever the step runs.
    let area = match &sub.area {
        Some(dir) => ctx.area.top.join(dir).display().to_string(),
        None => ctx.area.top.display().to_string(),
    };
    let same_area = std::fs::canonicalize(&area).ok() == std::fs::canonicalize(&ctx.area.top).ok();
    if same_area && target == ctx.target_text() && runname == ctx.runname {
        // It would wait for the very run this runner holds.
        return Err(Error::new(format!(
            "test {}: its [subrun] would run {target}/{runname} of this area, the run it is part of",
            def.name
        ))
        .note("give the nested run another run-name or target, or a run-area of its own"));
    }
    let nested = super::nested::NestedRun {
        area: std::path::PathBuf::from(&area),
        target: target.clone(),
        runname: runname.clone(),
        testpatt: sub.testpatt.clone(),
        tagexpr: sub.tagexpr.clone(),
        modepatt: sub.modepatt.clone(),
    };
    // Left in the run directory: removing the test, or setting its state, reaches into it.
    nested.record(work)?;
    let log = work.join(format!("run-{}.log", nested.log_stem()));
    let q = |s: &str| crate::environ::env_file::sh_quote(s);
    let megatest = q(&ctx.settings.executable.display().to_string());
    // The nested run does not count this test, which waits for it, as its own load.
    let parents = super::nested::waiting_parents_with(test_id, ctx.store.path());
    let mut command = format!(
        "{}={} {megatest} -log {} -target {} -runname {}",
        super::nested::WAITING_PARENTS,
        q(&parents),
        q(&log.display().to_string()),
        q(&target),
        q(&runname)
    );
    for (option, value) in [
        ("-testpatt", &sub.testpatt),
        ("-tagexpr", &sub.tagexpr),
        ("-modepatt", &sub.modepatt),
        ("-contour", &sub.contour),
        ("-m", &sub.msg),
    ] {
        if let Some(value) = value {
            command.push_str(&format!(" {option} {}", q(value)));
        }
    }
    command.push_str(&format!(" -start-dir {} -run", q(&area)));
    let logpro = if sub.wait {
        // The nested megatest's exit code is said in the log, where the rules see it.
        command.push_str(&format!(
            " -run-wait; echo \"{NESTED_EXIT}$?\"; {megatest} -start-dir {} -list-runs {} -target {}",
            q(&area),
            q(&runname),
            q(&target)
        ));
        if let Some(patt) = &sub.testpatt {
            // Judged on the tests it ran: another nested run may share the run.
            command.push_str(&format!(" -testpatt {}", q(patt)));
        }
        Some(
            sub.logpro
                .clone()
                .unwrap_or_else(|| SUBRUN_RESULTS.to_string()),
        )
    } else {
        command.push_str("; true");
        None
    };
    steps.push(crate::testdef::Step {
        name: "subrun".to_string(),
        command,
        logpro,
        clean_mt_env: true,
    });
    Ok(steps)
}

/// The line of the nested run's log that gives its megatest's exit code.
const NESTED_EXIT: &str = "nested megatest exit code: ";

/// How a waited-for nested run is judged without `logpro` rules of its own: its megatest
/// ended well, it has tests, and each of them passed. (A line counts for the first rule
/// that matches it: the errors come first.)
const SUBRUN_RESULTS: &str = "(expect:error in \"LogFileBody\" = 0 \"The nested megatest failed\" #/nested megatest exit code: [1-9]/)
(expect:error in \"LogFileBody\" = 0 \"A test of the nested run did not pass\" #/Status: +(FAIL|ABORT|PREQ_FAIL|PREQ_DISCARDED|DEAD|KILLED|INCOMPLETE|STUCK|ZERO_ITEMS)/)
(expect:required in \"LogFileBody\" > 0 \"The nested run has tests\" #/Status:/)";
