//! Getting a UTAH run ready: a new run (target, name, work area, every suite fetched and
//! every definition read before anything runs), or a run going on after a reboot (its
//! suites as they were fetched, its report so far).

use super::client::{ClientOptions, Failure};
use super::engine::{FetchedSuite, Position, time_delta, timestamp};
use super::fetch::fetch;
use super::place::{caller, default_target, linktree, release, uname, unique_runname};
use super::report::{CmdType, Entry, Format, Report};
use super::resume::Saved;
use super::runlist::{Runlist, SuiteEntry};
use super::suite::SuiteDefs;
use super::yaml::DefError;
use crate::area::Area;
use crate::db::Store;
use crate::error::{Error, ErrorKind};
use crate::model::RunId;
use std::path::{Path, PathBuf};

type Outcome<T> = std::result::Result<T, Failure>;

/// A run ready to go: its area, records, suites and report.
pub(super) struct Prepared {
    pub store: Store,
    pub area: Area,
    pub runlist: Runlist,
    pub target_text: String,
    pub runname: String,
    pub work: PathBuf,
    pub suites: Vec<FetchedSuite>,
    /// The report so far: the `-o` file's commands with `-a`, failed fetches, or what ran
    /// before a reboot.
    pub report: Report,
    /// How many of the report's commands are not this run's (from the `-o` file).
    pub earlier: usize,
    /// The report file and format (a resumed run's, unless given again).
    pub output: Option<PathBuf>,
    pub format: Format,
    /// With `-a -f text`, the file's text before this run.
    pub text_before: Option<String>,
    /// The Megatest run, when it exists already (a resumed run).
    pub run_id: Option<RunId>,
    pub from: Position,
}

/// Reads the runlist (its warnings said).
pub(super) fn read_runlist(path: &Path) -> Outcome<Runlist> {
    let runlist = Runlist::read(path).map_err(|e| Failure::Definitions(vec![e]))?;
    for w in &runlist.warnings {
        crate::warn!("{w}");
    }
    Ok(runlist)
}

/// A new run.
pub(super) fn fresh(
    store: Store,
    area: Area,
    runlist: Runlist,
    opts: &ClientOptions,
) -> Outcome<Prepared> {
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
    // With -a the report file is read now: a file that cannot be appended to stops the run
    // before anything runs, not after.
    let given = opts.runlist.as_ref().map(|p| p.display().to_string());
    let mut report = new_report(
        &given.unwrap_or_default(),
        opts.name.as_deref().unwrap_or(&runname),
    );
    let mut text_before = None;
    if let Some(path) = opts.output.as_ref().filter(|p| opts.append && p.exists()) {
        if opts.format == Format::Text {
            text_before = Some(std::fs::read_to_string(path).map_err(|e| {
                Error::usage(format!(
                    "-a: cannot read {}: {}",
                    path.display(),
                    crate::sys::io_reason(&e)
                ))
            })?);
        } else {
            report = Report::read(path)
                .map_err(|e| Error::usage(format!("-a: cannot append to {e}")))?;
        }
    }
    let earlier = report.commands.len();
    let work = match &opts.work_dir {
        Some(dir) => dir.clone(),
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
        copied.push(dest.clone());
        match read_suite(entry, &runlist, &dest) {
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
        target_text,
        runname,
        work,
        suites,
        report,
        earlier,
        output: opts.output.clone(),
        format: opts.format,
        text_before,
        run_id: None,
        from: Position::default(),
    })
}

/// A run stopped for a reboot: the suites it fetched, read again from its work area; its
/// report so far; its report file unless given again.
pub(super) fn resumed(
    store: Store,
    area: Area,
    saved: Saved,
    runlist: Option<Runlist>,
    opts: &ClientOptions,
) -> Outcome<Prepared> {
    let runlist = match runlist {
        Some(r) => r,
        None => read_runlist(Path::new(&saved.runlist))?,
    };
    let work = PathBuf::from(&saved.work);
    let mut suites = Vec::new();
    let mut errors = Vec::new();
    for name in &saved.suites {
        let Some(entry) = runlist.suites.iter().find(|e| &e.name == name) else {
            return Err(Failure::Usage(Error::usage(format!(
                "the runlist {} no longer has the suite `{name}` the run stopped in; the run cannot go on",
                saved.runlist
            ))));
        };
        match read_suite(entry, &runlist, &work.join(name)) {
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
        target_text: saved.target.clone(),
        runname: saved.runname.clone(),
        work,
        suites,
        report,
        earlier: saved.earlier,
        output: opts
            .output
            .clone()
            .or_else(|| saved.output.as_ref().map(PathBuf::from)),
        // The format is this command's (the same command as before the reboot, as a rule).
        format: opts.format,
        text_before: saved.text_before.clone(),
        run_id: Some(RunId(saved.run_id)),
        from: saved.position(),
    })
}

fn read_suite(
    entry: &SuiteEntry,
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
