//! The UTAH client (spec §9), behind `utah` and `megatest -utah`: finds or makes the area,
//! reads the runlist, fetches every suite into the run's work area, checks all definitions
//! before anything runs, runs the suites as a Megatest run and writes the report; stops for
//! a reboot a case asks for when a reboot command is configured, and goes on after it.
//! Exit statuses: 0 PASS, 1 FAIL, 2 ERROR (also bad definitions and bad command lines), 3
//! stopped for a reboot, 4 an internal error.

use super::engine::{Engine, FetchedSuite, Position, Ran, time_delta, timestamp};
use super::fetch::fetch;
use super::place::{
    absolute, caller, default_target, linktree, open_area, release, uname, unique_runname,
    write_atomically,
};
use super::record::Recording;
use super::report::{CmdType, Entry, Format, Report, RunResult};
use super::resume::{Saved, reboot_command};
use super::runlist::Runlist;
use super::suite::SuiteDefs;
use super::yaml::DefError;
use crate::area::Area;
use crate::db::Store;
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// The run passed.
pub const EXIT_PASS: i32 = 0;
/// A test failed and nothing erred.
pub const EXIT_FAIL: i32 = 1;
/// Something erred: a command other than a test, a fetch, a definition, the command line.
pub const EXIT_ERROR: i32 = 2;
/// The run stopped for a reboot; running the same command again goes on.
pub const EXIT_REBOOT: i32 = 3;
/// The client itself failed (its database, its work area).
pub const EXIT_INTERNAL: i32 = 4;

/// What the command line asks.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `-r`: the runlist (none with `--resume`: the saved run's).
    pub runlist: Option<PathBuf>,
    /// `--resume`: go on with the run saved for a reboot.
    pub resume: bool,
    /// `-o`: the report file (else standard output).
    pub output: Option<PathBuf>,
    /// `-f`: the report's format.
    pub format: Format,
    /// `-a`: merge into the `-o` file.
    pub append: bool,
    /// `-d`: say each command as it ends.
    pub debug: bool,
    /// `-n`: the report's `name` (else the run name).
    pub name: Option<String>,
    /// `-t`: the work area (else the run's directory in the area's link tree).
    pub work_dir: Option<PathBuf>,
    /// The area's directory (else the current one, or the nearest above with a
    /// megatest.config).
    pub start_dir: Option<PathBuf>,
    /// The run's target (else ARCH/RELEASE in an area of utah's making).
    pub target: Option<String>,
    /// The run's name (else `utah-YYYYMMDD-HHMMSS`).
    pub runname: Option<String>,
}

/// Runs the client; the exit status. Everything said goes to standard error; the report to
/// standard output unless `-o` names a file.
pub fn run(opts: &ClientOptions) -> i32 {
    // Paths are the caller's, before --start-dir moves to the area.
    let mut opts = opts.clone();
    for path in [&mut opts.runlist, &mut opts.output, &mut opts.work_dir] {
        if let Some(p) = path.as_mut() {
            *p = absolute(p);
        }
    }
    match run_inner(&opts) {
        Ok(code) => code,
        Err(Failure::Definitions(errors)) => {
            for e in &errors {
                crate::output::log::emit(format_args!("error: {e}"));
            }
            crate::output::log::emit(format_args!(
                "utah: {} definition error{}; nothing was run",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ));
            EXIT_ERROR
        }
        Err(Failure::Usage(e)) => {
            crate::output::log::emit(format_args!("{}", crate::error::render(&e).trim_end()));
            EXIT_ERROR
        }
        Err(Failure::Internal(e)) => {
            crate::output::log::emit(format_args!("{}", crate::error::render(&e).trim_end()));
            EXIT_INTERNAL
        }
    }
}

enum Failure {
    /// Bad definitions: nothing ran.
    Definitions(Vec<DefError>),
    /// A bad command line or area.
    Usage(Error),
    /// The client's own failure.
    Internal(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        match e.kind {
            ErrorKind::Usage
            | ErrorKind::Config
            | ErrorKind::NoArea
            | ErrorKind::MissingSelector => Failure::Usage(e),
            _ => Failure::Internal(e),
        }
    }
}

/// A run ready to go: its area, records and suites.
struct Prepared {
    store: Store,
    area: Area,
    runlist: Runlist,
    runlist_given: String,
    target_text: String,
    runname: String,
    work: PathBuf,
    suites: Vec<FetchedSuite>,
    /// The report's entries so far: failed fetches, or what ran before a reboot.
    report: Report,
    run_id: Option<crate::model::RunId>,
    from: Position,
    /// The report holds what the `-o` file held (a resumed run's): write it, do not append.
    merged: bool,
}

fn run_inner(opts: &ClientOptions) -> std::result::Result<i32, Failure> {
    if opts.append && opts.output.is_none() {
        return Err(Failure::Usage(Error::usage(
            "-a/--append merges into the report file: give it with -o",
        )));
    }
    let given = match &opts.runlist {
        Some(path) => Some((absolute(path), path.display().to_string())),
        None if opts.resume => None,
        None => {
            return Err(Failure::Usage(Error::usage(
                "give the runlist with -r RUNLIST (or --resume to go on with a run stopped for a reboot)",
            )));
        }
    };
    // A runlist with errors stops here, before an area is made.
    let runlist = match &given {
        Some((path, _)) => Some(read_runlist(path)?),
        None => None,
    };
    let area = open_area(opts.start_dir.as_deref(), opts.target.as_deref())?;
    let store = Store::open(&area)?;
    let saved = Saved::load(&store)?;
    let mut prepared = match (saved, given) {
        (Some(saved), given)
            if given
                .as_ref()
                .is_none_or(|(path, _)| path.display().to_string() == saved.runlist) =>
        {
            resumed(store, area, saved, runlist)?
        }
        (saved, Some((path, shown))) => {
            if opts.resume {
                return Err(Failure::Usage(Error::usage(format!(
                    "--resume: no run of {} is waiting for a reboot in this area",
                    path.display()
                ))));
            }
            if let Some(other) = saved {
                crate::warn!(
                    "a run of {} waits to go on after a reboot (utah --resume); this is a new run",
                    other.runlist
                );
            }
            let runlist = runlist.expect("read above");
            fresh(store, area, runlist, shown, opts)?
        }
        (_, None) => {
            return Err(Failure::Usage(Error::usage(
                "--resume: no run is waiting for a reboot in this area",
            )));
        }
    };
    execute(&mut prepared, opts)
}

fn read_runlist(path: &Path) -> std::result::Result<Runlist, Failure> {
    let runlist = Runlist::read(path).map_err(|e| Failure::Definitions(vec![e]))?;
    for w in &runlist.warnings {
        crate::warn!("{w}");
    }
    Ok(runlist)
}

/// A new run: target, name, work area, every suite fetched and read.
fn fresh(
    store: Store,
    area: Area,
    runlist: Runlist,
    runlist_given: String,
    opts: &ClientOptions,
) -> std::result::Result<Prepared, Failure> {
    let target_text = match &opts.target {
        Some(t) => t.clone(),
        None => default_target(&area)?,
    };
    area.target(&target_text, "--target")?;
    let linktree = linktree(&area);
    let runname = match &opts.runname {
        Some(name) => name.clone(),
        None => unique_runname(&linktree.join(&target_text)),
    };
    crate::model::check_run_name(&runname)?;
    let work = match &opts.work_dir {
        Some(dir) => absolute(dir),
        None => linktree.join(&target_text).join(&runname),
    };
    std::fs::create_dir_all(&work).map_err(|e| {
        Error::of(
            ErrorKind::Io,
            format!(
                "cannot make the work area {}: {}",
                work.display(),
                crate::sys::io_reason(&e)
            ),
        )
    })?;
    let mut report = new_report(&runlist_given, opts.name.as_deref().unwrap_or(&runname));
    // Fetch every suite, then read every definition: a bad one stops the run before any
    // command of any suite runs.
    let mut suites = Vec::new();
    let mut errors = Vec::new();
    let mut copied = Vec::new();
    for entry in &runlist.suites {
        let dest = work.join(&entry.name);
        if opts.work_dir.is_none() && dest.exists() {
            // The run again under its name: as Megatest remakes a test's directory, the
            // suite's copy in the run's own directory is made anew.
            std::fs::remove_dir_all(&dest).map_err(|e| {
                Error::of(
                    ErrorKind::Io,
                    format!(
                        "cannot remove the earlier copy {}: {}",
                        dest.display(),
                        crate::sys::io_reason(&e)
                    ),
                )
            })?;
        }
        let outcome = fetch(entry, &runlist.dir(), &work);
        if !outcome.ok() {
            let command = super::fetch::fetch_command(entry, &runlist.dir()).unwrap_or_else(|e| e);
            crate::warn!(
                "suite {}: the fetch failed (exit {}): {}",
                entry.name,
                outcome.returncode,
                outcome.stderr.trim_end()
            );
            report.commands.push(Entry {
                cmd_type: CmdType::SuiteFetch,
                command,
                returncode: i64::from(outcome.returncode),
                start_time: timestamp(outcome.started),
                time_delta: time_delta(outcome.duration),
                stdout: outcome.stdout,
                stderr: outcome.stderr,
                testsuite: entry.name.clone(),
                testcase: None,
                user: caller(),
            });
            continue;
        }
        let dir = work.join(&entry.name);
        copied.push(dir.clone());
        match read_suite(entry, &runlist, &dir) {
            Ok(suite) => suites.push(suite),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        // Nothing runs: what this run fetched goes (and nothing else).
        for dir in &copied {
            let _ = std::fs::remove_dir_all(dir);
        }
        let _ = std::fs::remove_dir(&work);
        return Err(Failure::Definitions(errors));
    }
    Ok(Prepared {
        store,
        area,
        runlist,
        runlist_given,
        target_text,
        runname,
        work,
        suites,
        report,
        run_id: None,
        from: Position::default(),
        merged: false,
    })
}

/// A run stopped for a reboot: its suites as fetched then, its report so far.
fn resumed(
    store: Store,
    area: Area,
    saved: Saved,
    runlist: Option<Runlist>,
) -> std::result::Result<Prepared, Failure> {
    let runlist = match runlist {
        Some(r) => r,
        None => read_runlist(Path::new(&saved.runlist))?,
    };
    let work = PathBuf::from(&saved.work);
    let mut suites = Vec::new();
    let mut errors = Vec::new();
    for entry in &runlist.suites {
        let dir = work.join(&entry.name);
        if !dir.is_dir() {
            // Its fetch failed before the reboot.
            continue;
        }
        match read_suite(entry, &runlist, &dir) {
            Ok(suite) => suites.push(suite),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Failure::Definitions(errors));
    }
    let report = Report::parse(Path::new("the saved run"), saved.report.as_bytes())
        .map_err(|e| Failure::Internal(Error::new(e)))?;
    crate::output::log::emit(format_args!(
        "utah: going on with {}/{} after the reboot",
        saved.target, saved.runname
    ));
    Ok(Prepared {
        store,
        area,
        runlist,
        runlist_given: saved.runlist_given.clone(),
        target_text: saved.target.clone(),
        runname: saved.runname.clone(),
        work,
        suites,
        report,
        run_id: Some(crate::model::RunId(saved.run_id)),
        from: saved.position(),
        merged: true,
    })
}

fn read_suite(
    entry: &super::runlist::SuiteEntry,
    runlist: &Runlist,
    dir: &Path,
) -> std::result::Result<FetchedSuite, DefError> {
    match SuiteDefs::read(dir, runlist.timeout) {
        Ok(defs) => {
            for w in &defs.warnings {
                crate::warn!("{w}");
            }
            Ok(FetchedSuite {
                entry: entry.clone(),
                dir: dir.to_path_buf(),
                defs,
            })
        }
        Err(mut e) => {
            // A copied file is named by its source, where it is to be mended.
            if let (Some(source), Ok(inner)) = (
                super::fetch::dev_source(entry, &runlist.dir()),
                e.file.strip_prefix(dir).map(Path::to_path_buf),
            ) {
                e.file = source.join(inner);
            }
            Err(e)
        }
    }
}

fn new_report(runlist_given: &str, name: &str) -> Report {
    Report {
        runlist: runlist_given.to_string(),
        name: name.to_string(),
        ran_at: timestamp(std::time::SystemTime::now()),
        commands: Vec::new(),
        uname: uname(),
        media_info: std::fs::read_to_string("/var/log/installer/media-info")
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|_| "n/a".to_string()),
        install_type: "n/a".to_string(),
        arch: std::env::consts::ARCH.to_string(),
        release: release(),
        build_number: "n/a".to_string(),
    }
}

/// Runs the prepared run to its end, or to a reboot.
fn execute(p: &mut Prepared, opts: &ClientOptions) -> std::result::Result<i32, Failure> {
    let run_id = match p.run_id {
        Some(id) => id,
        None => {
            let target = p.area.target(&p.target_text, "--target")?;
            p.store.register_run(&target, &p.runname, &caller(), "")?
        }
    };
    crate::output::log::emit(format_args!(
        "utah: run {}/{} in {}",
        p.target_text,
        p.runname,
        p.area.top.display()
    ));
    let triggers = crate::writer::TriggerTable::of_test("", Vec::new());
    let mut recording = Recording::new(&p.store, run_id, triggers);
    if p.run_id.is_none() {
        use super::engine::Observer;
        for entry in &p.report.commands {
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
    loop {
        let ran = engine.run_all(&p.suites, p.runlist.repeat_count, from)?;
        p.report.commands.append(&mut engine.entries);
        let Ran::Reboot(at) = ran else { break };
        let command = reboot.clone().expect("reboots only with a command");
        // The report so far, merged now: the run goes on with it whole.
        if let Some(path) = &opts.output {
            p.report = merged_report(path, &p.report, opts.append && !p.merged)?;
            p.merged = true;
            write_atomically(path, &p.report.render(opts.format))?;
        }
        let saved = Saved {
            runlist: match &opts.runlist {
                Some(path) => absolute(path).display().to_string(),
                None => p.runlist.file.display().to_string(),
            },
            runlist_given: p.runlist_given.clone(),
            run_id: run_id.0,
            target: p.target_text.clone(),
            runname: p.runname.clone(),
            work: p.work.display().to_string(),
            repetition: at.repetition,
            suite: at.suite,
            case: at.case,
            report: p.report.render(Format::Json),
        };
        saved.save(&p.store)?;
        p.store.set_run_status(run_id, "REBOOT", None)?;
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
        Saved::clear(&p.store)?;
        from = at;
    }
    for w in &engine.warnings {
        crate::warn!("{w}");
    }
    Saved::clear(&p.store)?;
    let counters = p.report.counters();
    p.store
        .set_run_status(run_id, counters.result().as_str(), None)?;
    match &opts.output {
        Some(path) => {
            let whole = merged_report(path, &p.report, opts.append && !p.merged)?;
            write_atomically(path, &whole.render(opts.format))?;
        }
        None => {
            crate::output::stdout::print(&p.report.render(opts.format));
        }
    }
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

/// The report to write to `path`: `report`, after the commands already there when
/// `append`.
fn merged_report(path: &Path, report: &Report, append: bool) -> Result<Report> {
    if !(append && path.exists()) {
        return Ok(report.clone());
    }
    let mut whole =
        Report::read(path).map_err(|e| Error::usage(format!("-a: cannot append to {e}")))?;
    whole.commands.extend(report.commands.iter().cloned());
    Ok(whole)
}
