//! The test's job (spec §9.5, §9.6): the runscript, then the ezsteps one after the other,
//! each with its log, judged by its exit code or by logpro, recorded in `test_steps`, the
//! test's state and status updated after each.

use super::supervisor::{Ended, Supervisor};
use super::verdict::StepVerdict;
use crate::db::StatusChange;
use crate::environ;
use crate::environ::env_file::sh_quote;
use crate::error::{Error, Result};
use crate::launch::JobFile;
use crate::model::{State, Status};
use crate::recorder::Recorder;
use crate::testdef::Step;
use crate::writer::{Deferred, Writer};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// How the job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct JobOutcome {
    /// The rollup exit code (0 pass, 1 fail, 2 warn, 3 check, ...).
    pub code: i32,
    /// Whether the runscript or a step was ended by a signal nobody in megatest sent.
    pub abnormal: bool,
    /// Whether the last step's write set the test COMPLETED.
    pub completed: bool,
}

fn shell_command(program: &str, script: &str, work: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg("-c")
        .arg(script)
        .current_dir(work)
        .stdin(Stdio::null());
    environ::apply(&mut cmd);
    cmd
}

/// Runs the runscript and the steps; `running` are the writes of RUNNING, made when the
/// executor started, whose triggers fire now; `first_started` tells that the first step's
/// `start` record was written with them. State and status go through `writer`, steps
/// straight to `recorder`.
pub(super) fn run_job(
    writer: &Writer<'_, Recorder>,
    recorder: &Recorder,
    file: &JobFile,
    supervisor: &Supervisor,
    running: Deferred,
    first_started: bool,
) -> Result<JobOutcome> {
    let job = &file.job;
    let work = &job.work_area;
    writer.release(running);
    let mut verdict = StepVerdict::Pass;
    let mut outcome = JobOutcome {
        code: 0,
        abnormal: false,
        completed: false,
    };
    if let Some(script) = &file.runscript {
        make_executable(Path::new(script));
        let cmd = shell_command("/bin/sh", script, work);
        match supervisor
            .run(cmd)
            .map_err(|e| Error::new(format!("cannot run the runscript `{script}`: {e}")))?
        {
            Ended::NotStarted => return Ok(outcome),
            Ended::Exited(status) => {
                outcome.code = crate::sys::shell::status_code(status);
                outcome.abnormal = status.code().is_none() && !supervisor.was_killed();
            }
        }
        verdict = match outcome.code {
            0 => StepVerdict::Pass,
            2 => StepVerdict::Warn,
            _ => StepVerdict::Fail,
        };
    }
    for (name, value) in &file.pre_launch_env {
        environ::set(name, value);
    }
    let last = file.steps.len().saturating_sub(1);
    for (index, step) in file.steps.iter().enumerate() {
        if supervisor.was_killed() {
            break;
        }
        let recorded = first_started && index == 0;
        let Some(ran) = run_step(recorder, file, step, supervisor, recorded)? else {
            break;
        };
        if ran.abnormal {
            outcome.abnormal = true;
        }
        let step_verdict = StepVerdict::of(ran.code, ran.logpro);
        verdict = verdict.then(step_verdict);
        outcome.code = verdict.code();
        if supervisor.was_killed() {
            break;
        }
        if verdict == StepVerdict::Fail {
            let comment = format!("Failed at step {}", step.name);
            complete(writer, job, supervisor, Status::Fail, Some(&comment))?;
            outcome.completed = true;
            break;
        }
        if index == last {
            complete(
                writer,
                job,
                supervisor,
                verdict.status(),
                step_verdict.comment(),
            )?;
            outcome.completed = true;
        } else {
            let comment = step_verdict.comment();
            writer.set_test_status(job, Some(&State::Running), Some(&verdict.status()), comment)?;
        }
        let go_on = ran.code == 0 || (ran.logpro && ran.code == 2);
        if !go_on {
            break;
        }
    }
    Ok(outcome)
}

/// The test's COMPLETED write. Its summary page comes with the reply, unless the watch
/// started: its heartbeat may still change the run time the page shows.
fn complete(
    writer: &Writer<'_, Recorder>,
    job: &crate::launch::job::Job,
    supervisor: &Supervisor,
    status: Status,
    comment: Option<&str>,
) -> Result<Vec<StatusChange>> {
    let (state, status) = (Some(&State::Completed), Some(&status));
    if supervisor.watch_started() {
        writer.set_test_status(job, state, status, comment)
    } else {
        writer.set_last_test_status(job, state, status, comment)
    }
}

/// What one step did.
struct StepRun {
    code: i32,
    logpro: bool,
    abnormal: bool,
}

fn run_step(
    recorder: &Recorder,
    file: &JobFile,
    step: &Step,
    supervisor: &Supervisor,
    start_recorded: bool,
) -> Result<Option<StepRun>> {
    let job = &file.job;
    let work = &job.work_area;
    let name = &step.name;
    let io = |what: &str, e: std::io::Error| Error::new(format!("step {name}: cannot {what}: {e}"));
    if !start_recorded {
        recorder.set_step(job.test_id, name, "start", "-", "", "")?;
    }
    let rules = work.join(format!("{name}.logpro"));
    let logpro = if rules.exists() {
        true
    } else if let Some(text) = &step.logpro {
        std::fs::write(
            &rules,
            format!(";; logpro file extracted from testconfig\n{text}\n"),
        )
        .map_err(|e| io("write its logpro rules", e))?;
        true
    } else {
        false
    };
    record_in_makefile(work, step, logpro);
    let path = environ::var("PATH").unwrap_or_default();
    // The whole command's output goes to the log (1.65 appended the redirection to the
    // text, so only its last command's went there), and the newline ends a `#` comment
    // the command may end with (a `#{...}` form left as written).
    let shell = super::step_shell::step_shell(&step.command, work);
    let mut cmd = shell_command(
        shell,
        &format!(
            "{{ {}\n}} > {} 2>&1",
            step.command,
            sh_quote(&format!("{name}.log"))
        ),
        work,
    );
    cmd.env("PATH", format!("{path}:."));
    if step.clean_mt_env {
        // A nested run is a run of its own: nothing of this test's job reaches it.
        crate::output::log::emit(format_args!(
            "INFO: (0) Running without MT_.* environment variables."
        ));
        for (name, _) in environ::vars() {
            if name.starts_with("MT_") {
                cmd.env_remove(name);
            }
        }
    }
    let status = match supervisor
        .run(cmd)
        .map_err(|e| io(&format!("start {shell}"), e))?
    {
        Ended::NotStarted => return Ok(None),
        Ended::Exited(status) => status,
    };
    let mut code = crate::sys::shell::status_code(status);
    let abnormal = status.code().is_none() && !supervisor.was_killed();
    let mut comment = String::new();
    let mut logfile = String::new();
    if logpro && !supervisor.was_killed() {
        supervisor.ensure_watching();
        let html = format!("{name}.html");
        code = judge_with_logpro(work, name, &rules, &html)?;
        let dat = work.join(format!("{name}.dat"));
        if dat.exists()
            && let Some(c) = crate::exec::logpro_dat::import(
                |rows| recorder.load_test_data(job.test_id, rows),
                name,
                &dat,
            )?
        {
            comment = c;
        }
        recorder.set_test_log(job.test_id, &html)?;
        logfile = html;
    }
    recorder.set_step(
        job.test_id,
        name,
        "end",
        &code.to_string(),
        &comment,
        &logfile,
    )?;
    Ok(Some(StepRun {
        code,
        logpro,
        abnormal,
    }))
}

/// `logpro STEP.logpro STEP.html < STEP.log`, in this process; the annotated log goes to
/// `STEP_logpro.log`.
fn judge_with_logpro(work: &Path, name: &str, rules: &Path, html: &str) -> Result<i32> {
    let log_path = work.join(format!("{name}.log"));
    // Megatest 1.65 feeds the log to logpro through the shell: a log that is not there
    // fails the redirection, and so the step (exit code 1), not the executor.
    let mut input = match std::fs::File::open(&log_path) {
        Ok(file) => file,
        Err(e) => {
            crate::warn!(
                "step {name}: cannot read its log `{}` for logpro: {}; the step fails",
                log_path.display(),
                crate::sys::io_reason(&e)
            );
            return Ok(1);
        }
    };
    let out_path = work.join(format!("{name}_logpro.log"));
    let out = std::fs::File::create(&out_path)
        .map_err(|e| Error::new(format!("cannot write `{}`: {e}", out_path.display())))?;
    let invocation = crate::logpro::Invocation {
        rules: rules.to_path_buf(),
        html: Some(work.join(html)),
        waivers: None,
    };
    crate::logpro::run(
        &invocation,
        &mut input,
        Box::new(std::io::BufWriter::new(out)),
    )
    .map_err(|e| Error::new(format!("logpro on `{}`: {e}", log_path.display())))
}

/// Appends the step to `Makefile.ezsteps`, so it can be re-run by hand with make.
fn record_in_makefile(work: &Path, step: &Step, logpro: bool) {
    let _ = std::fs::create_dir_all(work.join(".ezsteps"));
    // make expands `$` in targets and recipes; the shell then sees quoted file names.
    let name = step.name.replace('$', "$$");
    let file = |suffix: &str| sh_quote(&format!("{name}{suffix}"));
    let mut fragment = format!("{name}.log :\n\t{} > {} 2>&1\n", step.command, file(".log"));
    if logpro {
        fragment.push_str(&format!(
            "\tlogpro {} {} < {} > {}\n",
            file(".logpro"),
            file(".html"),
            file(".log"),
            file("_logpro.log")
        ));
    }
    fragment.push_str(&format!("{name} : {name}.log\n\n"));
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(work.join("Makefile.ezsteps"))
    {
        let _ = f.write_all(fragment.as_bytes());
    }
}

/// A runscript that exists but is not executable gets `ug+x`, as Megatest does.
fn make_executable(script: &Path) {
    if let Ok(meta) = std::fs::metadata(script) {
        let mode = meta.permissions().mode();
        if meta.is_file() && mode & 0o110 != 0o110 {
            let _ = std::fs::set_permissions(script, std::fs::Permissions::from_mode(mode | 0o110));
        }
    }
}
