//! The UTAH client (spec §9), behind `utah` and `megatest -utah`: finds or makes the area,
//! reads the runlist, fetches every suite into the run's work area, checks all definitions
//! before anything runs, runs the suites as a Megatest run and writes the report; stops for
//! a reboot a case asks for when a reboot command is configured, and goes on after it.
//! Exit statuses: 0 PASS, 1 FAIL, 2 ERROR (also bad definitions and bad command lines), 3
//! stopped for a reboot, 4 an internal error, 130 interrupted.

use super::place::{absolute, open_area};
use super::prepare::{fresh, read_runlist, resumed};
use super::report::Format;
use super::resume::Saved;
use super::yaml::DefError;
use crate::db::Store;
use crate::error::{Error, ErrorKind};
use std::path::PathBuf;

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
/// utah was interrupted (Ctrl-C, TERM): the running command was ended, the report so far
/// written.
pub const EXIT_INTERRUPTED: i32 = crate::error::exit_code::INTERRUPTED;

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
    // Ctrl-C or TERM ends the running command's process group, then utah, cleanly.
    crate::sys::catch_interrupts();
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

pub(super) enum Failure {
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
    if opts.append && opts.output.is_none() {
        return Err(Failure::Usage(Error::usage(
            "-a/--append merges into the report file: give it with -o",
        )));
    }
    if opts.runlist.is_none() && !opts.resume {
        return Err(Failure::Usage(Error::usage(
            "give the runlist with -r RUNLIST (or --resume to go on with a run stopped for a reboot)",
        )));
    }
    // A runlist with errors stops here, before an area is made.
    let runlist = match &opts.runlist {
        Some(path) => Some(read_runlist(path)?),
        None => None,
    };
    let sources: Vec<PathBuf> = runlist
        .iter()
        .flat_map(|r| {
            r.suites
                .iter()
                .filter_map(|e| super::fetch::dev_source(e, &r.dir()))
        })
        .collect();
    let area = open_area(opts.start_dir.as_deref(), opts.target.as_deref(), &sources)?;
    let store = Store::open(&area)?;
    let key = opts.runlist.as_ref().map(|p| p.display().to_string());
    let mut waiting = Saved::load(&store, key.as_deref())?;
    let mut prepared = match (waiting.len(), runlist) {
        (1, runlist) => resumed(store, area, waiting.remove(0), runlist, opts)?,
        (0, Some(runlist)) if !opts.resume => fresh(store, area, runlist, opts)?,
        (0, _) => {
            return Err(Failure::Usage(Error::usage(match &key {
                Some(path) => {
                    format!("--resume: no run of {path} is waiting for a reboot in this area")
                }
                None => "--resume: no run is waiting for a reboot in this area".to_string(),
            })));
        }
        (_, _) => {
            let names: Vec<&str> = waiting.iter().map(|s| s.runlist.as_str()).collect();
            return Err(Failure::Usage(
                Error::usage("--resume: several runs wait for a reboot in this area")
                    .note(format!("say which with -r: {}", names.join(", "))),
            ));
        }
    };
    super::execute::execute(&mut prepared, opts)
}
