//! The UTAH client (spec §9), behind `utah` and `megatest -utah`: finds or makes the area,
//! reads the runlist, fetches every suite into the run's work area, checks all definitions
//! before anything runs, runs the suites as a Megatest run and writes the report. Exit
//! statuses: 0 PASS, 1 FAIL, 2 ERROR (also bad definitions and bad command lines), 4 an
//! internal error.

use super::engine::{Engine, FetchedSuite, timestamp};
use super::fetch::fetch;
use super::record::Recording;
use super::report::{CmdType, Entry, Format, Report, RunResult};
use super::runlist::Runlist;
use super::suite::SuiteDefs;
use super::yaml::DefError;
use crate::area::{Area, AreaOptions};
use crate::db::Store;
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// The run passed.
pub const EXIT_PASS: i32 = 0;
/// A test failed and nothing erred.
pub const EXIT_FAIL: i32 = 1;
/// Something erred: a command other than a test, a fetch, a definition, the command line.
pub const EXIT_ERROR: i32 = 2;
/// The client itself failed (its database, its work area).
pub const EXIT_INTERNAL: i32 = 4;

/// What the command line asks.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `-r`: the runlist.
    pub runlist: PathBuf,
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
    match run_inner(opts) {
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

fn run_inner(opts: &ClientOptions) -> std::result::Result<i32, Failure> {
    let runlist_path = absolute(&opts.runlist);
    let runlist = Runlist::read(&runlist_path).map_err(|e| Failure::Definitions(vec![e]))?;
    for w in &runlist.warnings {
        crate::warn!("{w}");
    }
    if opts.append && opts.output.is_none() {
        return Err(Failure::Usage(Error::usage(
            "-a/--append merges into the report file: give it with -o",
        )));
    }
    let area = open_area(opts)?;
    let store = Store::open(&area)?;
    let target_text = match &opts.target {
        Some(t) => t.clone(),
        None => default_target(&area)?,
    };
    let target = area.target(&target_text, "--target")?;
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
    let started = std::time::SystemTime::now();
    let user = caller();
    // Fetch every suite, then read every definition: a bad one stops the run before any
    // command of any suite runs.
    let mut fetched = Vec::new();
    let mut fetch_failures = Vec::new();
    let mut errors = Vec::new();
    let mut copied = Vec::new();
    for entry in &runlist.suites {
        let outcome = fetch(entry, &runlist.dir(), &work);
        if !outcome.ok() {
            let command = super::fetch::fetch_command(entry, &runlist.dir()).unwrap_or_else(|e| e);
            crate::warn!(
                "suite {}: the fetch failed (exit {}): {}",
                entry.name,
                outcome.returncode,
                outcome.stderr.trim_end()
            );
            fetch_failures.push(Entry {
                cmd_type: CmdType::SuiteFetch,
                command,
                returncode: i64::from(outcome.returncode),
                start_time: timestamp(outcome.started),
                time_delta: super::engine::time_delta(outcome.duration),
                stdout: outcome.stdout,
                stderr: outcome.stderr,
                testsuite: entry.name.clone(),
                testcase: None,
                user: user.clone(),
            });
            continue;
        }
        let dir = work.join(&entry.name);
        copied.push(dir.clone());
        match SuiteDefs::read(&dir, runlist.timeout) {
            Ok(defs) => {
                for w in &defs.warnings {
                    crate::warn!("{w}");
                }
                fetched.push(FetchedSuite {
                    entry: entry.clone(),
                    dir,
                    defs,
                });
            }
            Err(mut e) => {
                // A copied file is named by its source, where it is to be mended.
                if let (Some(source), Ok(inner)) = (
                    super::fetch::dev_source(entry, &runlist.dir()),
                    e.file.strip_prefix(&dir).map(Path::to_path_buf),
                ) {
                    e.file = source.join(inner);
                }
                errors.push(e);
            }
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
    let run_id = store.register_run(&target, &runname, &user, "")?;
    crate::output::log::emit(format_args!(
        "utah: run {target_text}/{runname} in {}",
        area.top.display()
    ));
    let triggers = crate::writer::TriggerTable::of_test("", Vec::new());
    let mut recording = Recording::new(&store, run_id, triggers);
    for entry in &fetch_failures {
        use super::engine::Observer;
        recording.suite_started(&entry.testsuite, &work)?;
        recording.command_done(None, entry, &work)?;
        recording.suite_ended(&entry.testsuite)?;
    }
    let mut engine = Engine {
        work: work.clone(),
        runlist_timeout: runlist.timeout,
        user,
        observer: &mut recording,
        entries: fetch_failures,
        warnings: Vec::new(),
        debug: opts.debug,
    };
    let repeated = runlist.repeat_count > 0;
    for repetition in 0..=runlist.repeat_count {
        engine.run_suites(&fetched, repetition, repeated)?;
    }
    for w in &engine.warnings {
        crate::warn!("{w}");
    }
    let mut report = Report {
        runlist: opts.runlist.display().to_string(),
        name: opts.name.clone().unwrap_or_else(|| runname.clone()),
        ran_at: timestamp(started),
        commands: std::mem::take(&mut engine.entries),
        uname: uname(),
        media_info: std::fs::read_to_string("/var/log/installer/media-info")
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|_| "n/a".to_string()),
        install_type: "n/a".to_string(),
        arch: std::env::consts::ARCH.to_string(),
        release: release(),
        build_number: "n/a".to_string(),
    };
    let counters = report.counters();
    store.set_run_status(run_id, counters.result().as_str(), None)?;
    if let Some(path) = &opts.output {
        if opts.append && path.exists() {
            let mut before = Report::read(path)
                .map_err(|e| Failure::Usage(Error::usage(format!("-a: cannot append to {e}"))))?;
            before.commands.append(&mut report.commands);
            report = before;
        }
        write_atomically(path, &report.render(opts.format))?;
    } else {
        crate::output::stdout::print(&report.render(opts.format));
    }
    let counters = report.counters();
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

/// Who runs the client: `$USER`, else the name of this process's user id.
fn caller() -> String {
    if let Some(user) = crate::environ::var("USER").filter(|u| !u.is_empty()) {
        return user;
    }
    let uid = crate::sys::user_id().to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_string())
            })
        })
        .unwrap_or_else(crate::environ::user_name)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The area: the one at or above the start directory, else one made there.
fn open_area(opts: &ClientOptions) -> Result<Area> {
    if let Some(dir) = &opts.start_dir {
        std::env::set_current_dir(dir).map_err(|e| {
            Error::usage(format!(
                "cannot change to the start directory {}: {}",
                dir.display(),
                crate::sys::io_reason(&e)
            ))
        })?;
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    if crate::area::locate(None, &cwd).is_err() {
        make_area(&cwd)?;
    }
    Area::load(&AreaOptions {
        target: opts.target.clone(),
        ..AreaOptions::default()
    })
}

/// The megatest.config utah writes where there is no area.
const GENERATED_CONFIG: &str = "\
# Made by utah: this directory is a Megatest area holding the UTAH runs started here.
# A run's target is ARCH/RELEASE, the UTAH report's arch and release; its tests are the
# runlist's suites, their items the suites' cases.
[fields]
arch TEXT
release TEXT

[setup]
linktree #{getenv MT_RUN_AREA_HOME}/links
";

fn make_area(dir: &Path) -> Result<()> {
    let io = |what: &str, e: std::io::Error| {
        Error::of(
            ErrorKind::Io,
            format!(
                "cannot make {what} in {}: {}",
                dir.display(),
                crate::sys::io_reason(&e)
            ),
        )
    };
    std::fs::write(dir.join("megatest.config"), GENERATED_CONFIG)
        .map_err(|e| io("megatest.config", e))?;
    if !dir.join("runconfigs.config").exists() {
        std::fs::write(dir.join("runconfigs.config"), "[default]\n")
            .map_err(|e| io("runconfigs.config", e))?;
    }
    crate::output::log::emit(format_args!(
        "utah: made {} a Megatest area for UTAH runs (megatest.config)",
        dir.display()
    ));
    Ok(())
}

/// ARCH/RELEASE, in an area whose keys are those.
fn default_target(area: &Area) -> Result<String> {
    if area.keys == ["arch", "release"] {
        // A target value is one directory name: `n/a` becomes `n-a`.
        return Ok(format!(
            "{}/{}",
            std::env::consts::ARCH,
            release().replace('/', "-")
        ));
    }
    Err(Error::usage(format!(
        "this area's targets are {}: say which with --target (or -target)",
        area.keys.join("/")
    )))
}

/// The area's link tree (`[setup] linktree`, else `TOP/lt`, as Megatest's default).
fn linktree(area: &Area) -> PathBuf {
    match area.config.get("setup", "linktree").map(str::trim) {
        Some(dir) if !dir.is_empty() => area.top.join(dir),
        _ => area.top.join("lt"),
    }
}

/// `utah-YYYYMMDD-HHMMSS`, with `-2`, `-3`... when that run's directory exists.
fn unique_runname(target_dir: &Path) -> String {
    let base = chrono::Local::now()
        .format("utah-%Y%m%d-%H%M%S")
        .to_string();
    let mut name = base.clone();
    let mut n = 1;
    while target_dir.join(&name).exists() {
        n += 1;
        name = format!("{base}-{n}");
    }
    name
}

/// The release codename (`VERSION_CODENAME` of /etc/os-release), or `n/a`.
fn release() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .filter(|v| !v.is_empty() && crate::model::check_component(v).is_ok())
        .unwrap_or_else(|| "n/a".to_string())
}

/// `uname`'s five fields, as Python's `os.uname()`.
fn uname() -> Vec<String> {
    let read = |f: &str| {
        std::fs::read_to_string(format!("/proc/sys/kernel/{f}"))
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|_| "n/a".to_string())
    };
    vec![
        read("ostype"),
        read("hostname"),
        read("osrelease"),
        read("version"),
        std::env::consts::ARCH.to_string(),
    ]
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("utah-tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot write the report {}: {}",
                    path.display(),
                    crate::sys::io_reason(&e)
                ),
            )
        })
}
