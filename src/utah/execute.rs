//! Carrying out a prepared UTAH run: the run recorded, the suites run, and at the end the
//! report written and the exit status given from this run's commands; or, when a case asks
//! for a reboot and a reboot command is configured, the place saved, the report so far
//! written and the command run; or, when utah is interrupted, the report so far written.

use super::client::{
    ClientOptions, EXIT_ERROR, EXIT_FAIL, EXIT_INTERRUPTED, EXIT_PASS, EXIT_REBOOT, Failure,
};
use super::engine::{Engine, Ran};
use super::place::{caller, write_atomically};
use super::prepare::Prepared;
use super::record::Recording;
use super::report::{Counters, Format, Report, RunResult};
use super::resume::{Saved, reboot_command};
use crate::model::Status;

/// Runs `p` to its end, to a reboot, or to an interrupt; the exit status.
pub(super) fn execute(p: &mut Prepared, opts: &ClientOptions) -> Result<i32, Failure> {
    let run_id = match p.run_id {
        Some(id) => id,
        None => {
            let target = p.area.target(&p.target_text, "--target")?;
            p.store.register_run(&target, &p.runname, &caller(), "")?
        }
    };
    let key = p.runlist.file.display().to_string();
    crate::output::log::emit(format_args!(
        "utah: run {}/{} in {}",
        p.target_text,
        p.runname,
        p.area.top.display()
    ));
    let triggers = crate::writer::TriggerTable::of_test("", Vec::new());
    let mut recording = Recording::new(&p.store, run_id, triggers);
    if p.run_id.is_none() {
        // The failed fetches, on their suites' records.
        use super::engine::Observer;
        for entry in &p.report.commands[p.earlier..] {
            recording.suite_started(&entry.testsuite, &p.work)?;
            recording.command_done(None, entry, &p.work)?;
            recording.suite_ended(&entry.testsuite)?;
        }
    }
    let reboot = reboot_command(&p.area);
    let mut engine = Engine::new(p.work.clone(), caller(), &mut recording);
    engine.runlist_timeout = p.runlist.timeout;
    engine.debug = opts.debug;
    engine.reboots = reboot.is_some();
    let mut from = p.from;
    let ran = loop {
        let ran = engine.run_all(&p.suites, p.runlist.repeat_count, from)?;
        p.report.commands.append(&mut engine.entries);
        for w in engine.warnings.drain(..) {
            crate::warn!("{w}");
        }
        let Ran::Reboot(at) = ran else { break ran };
        let command = reboot.clone().expect("reboots only with a command");
        Saved {
            runlist: key.clone(),
            run_id: run_id.0,
            target: p.target_text.clone(),
            runname: p.runname.clone(),
            work: p.work.display().to_string(),
            repetition: at.repetition,
            suite: at.suite,
            case: at.case,
            report: p.report.render(Format::Json),
            suites: p.suites.iter().map(|s| s.entry.name.clone()).collect(),
            earlier: p.earlier,
            output: p.output.as_ref().map(|o| o.display().to_string()),
            text_before: p.text_before.clone(),
        }
        .save(&p.store)?;
        p.store.set_run_status(run_id, "REBOOT", None)?;
        // Without -o the report waits for the run's end (nothing is printed twice).
        if p.output.is_some() {
            write(p)?;
        }
        crate::output::log::emit(format_args!(
            "utah: a test asked for a reboot; running the reboot command: {command}"
        ));
        let status = crate::sys::shell::run_to_stderr(&command, &p.area.top).unwrap_or(127);
        if status == 0 {
            crate::output::log::emit(format_args!(
                "utah: rebooting; run the same utah command (or utah --resume) to go on"
            ));
            return Ok(EXIT_REBOOT);
        }
        crate::warn!("the reboot command failed (exit {status}); the run goes on without it");
        Saved::clear(&p.store, &key)?;
        from = at;
    };
    Saved::clear(&p.store, &key)?;
    // The exit status and the run's status are this run's, not the appended file's.
    let counters = Counters::of(&p.report.commands[p.earlier..]);
    if ran == Ran::Interrupted {
        p.store
            .set_run_status(run_id, Status::Killed.as_str(), None)?;
        write(p)?;
        crate::output::log::emit(format_args!(
            "utah: interrupted; the report so far is written and the run is KILLED"
        ));
        return Ok(EXIT_INTERRUPTED);
    }
    p.store
        .set_run_status(run_id, counters.result().as_str(), None)?;
    write(p)?;
    crate::output::log::emit(format_args!(
        "utah: {}: passes {} failures {} errors {} fetch_errors {}",
        counters.result().as_str(),
        counters.passes,
        counters.failures,
        counters.errors,
        counters.fetch_errors
    ));
    Ok(match counters.result() {
        RunResult::Pass => EXIT_PASS,
        RunResult::Fail => EXIT_FAIL,
        RunResult::Error => EXIT_ERROR,
    })
}

/// Writes the report: to the report file (after its earlier text, with `-a -f text`), or to
/// standard output.
fn write(p: &Prepared) -> Result<(), Failure> {
    let text = render(&p.report, p.format, p.earlier);
    match &p.output {
        Some(path) => {
            let whole = format!("{}{text}", p.text_before.as_deref().unwrap_or(""));
            write_atomically(path, &whole)?;
        }
        None => {
            crate::output::stdout::print(&text);
        }
    }
    Ok(())
}

/// The report in `format`; text shows only this run's commands (earlier text stays as it
/// was written).
fn render(report: &Report, format: Format, earlier: usize) -> String {
    if format != Format::Text || earlier == 0 {
        return report.render(format);
    }
    let mut own = report.clone();
    own.commands.drain(..earlier);
    own.render(format)
}
