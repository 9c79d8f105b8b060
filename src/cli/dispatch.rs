//! The order in which actions run when several are given (spec §15.1), and the entry point
//! that turns argv into work and an exit code.

use super::args::Args;
use super::commands;
use super::session::Session;
use crate::error::{Error, Result};
use crate::{diag, environ, exit_code, log, scheme};

/// Whether to go on with the next action.
pub enum Flow {
    /// Run the next action.
    Continue,
    /// Stop here (after -h, -version).
    Stop,
}

type Handler = fn(&mut Session) -> Result<Flow>;

/// Every action, in Megatest's processing order; `None` = not available in this version.
const ACTIONS: &[(&str, Option<Handler>)] = &[
    ("-h", Some(commands::help::run)),
    ("-manual", None),
    ("-version", Some(commands::version::run)),
    ("-cache-db", None),
    ("-clean-cache", None),
    ("-env2file", None),
    ("-list-disks", Some(commands::list_disks::run)),
    ("-refdb2dat", None),
    ("-ping", None),
    ("-envcap", None),
    ("-envdelta", None),
    ("-server", None),
    ("-list-servers", None),
    ("-kill-servers", None),
    ("-list-targets", Some(commands::list_targets::run)),
    ("-show-runconfig", Some(commands::show_runconfig::run)),
    ("-show-config", Some(commands::show_config::run)),
    ("-show-cmdinfo", None),
    ("-remove-runs", None),
    ("-remove-keep", None),
    ("-set-state-status", None),
    ("-set-run-status", None),
    ("-get-run-status", None),
    ("-list-runs", None),
    ("-list-db-targets", None),
    ("-run", None),
    ("-runtests", None),
    ("-lock", None),
    ("-unlock", None),
    ("-test-paths", None),
    ("-test-files", None),
    ("-archive", None),
    ("-extract-ods", None),
    ("-execute", None),
    ("-recover-test", None),
    ("-step", None),
    ("-runstep", None),
    ("-test-status", None),
    ("-set-values", None),
    ("-load-test-data", None),
    ("-setlog", None),
    ("-set-toplog", None),
    ("-summarize-items", None),
    ("-show-keys", Some(commands::show_keys::run)),
    ("-create-megatest-area", None),
    ("-create-test", None),
    ("-rebuild-db", None),
    ("-cleanup-db", None),
    ("-mark-incompletes", None),
    ("-update-meta", None),
    ("-import-megatest.db", None),
    ("-sync-to-megatest.db", None),
    ("-diff-rep", None),
    ("-repl", None),
    ("-load", None),
    ("-run-wait", None),
    ("-generate-html", None),
];

/// Whether an option is a working action (or not an action at all).
pub fn is_available(name: &str) -> bool {
    ACTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .is_none_or(|(_, h)| h.is_some())
}

/// Runs megatest with the words after the program name; returns the exit code.
pub fn main(words: Vec<String>) -> i32 {
    match run(&words) {
        Ok(()) => exit_code::SUCCESS,
        Err(err) => {
            crate::log::emit(format_args!("{}", diag::render(&err).trim_end()));
            err.exit_code
        }
    }
}

fn run(words: &[String]) -> Result<()> {
    let args = Args::parse(words)?;
    scheme::set_program_args(args.for_scheme());
    apply_general_options(&args)?;
    let given: Vec<(&str, Option<Handler>)> = ACTIONS
        .iter()
        .filter(|(name, _)| args.has(name))
        .copied()
        .collect();
    if let Some((name, _)) = given.iter().find(|(_, h)| h.is_none()) {
        return Err(Error::usage(format!(
            "`{name}` is not available yet in megatest {}",
            env!("CARGO_PKG_VERSION")
        ))
        .note("`megatest -h` marks the options that are not available yet"));
    }
    if given.is_empty() {
        super::output::print(&super::help::text());
        return Ok(());
    }
    let mut session = Session::new(args);
    for (_, handler) in given {
        let handler = handler.expect("checked above");
        if let Flow::Stop = handler(&mut session)? {
            break;
        }
    }
    crate::debug!(
        2,
        "Scheme engine created in this process: {}",
        if scheme::engine_created() {
            "yes"
        } else {
            "no"
        }
    );
    Ok(())
}

/// -debug, -log, -start-dir and the target export, before any action.
fn apply_general_options(args: &Args) -> Result<()> {
    if let Some(spec) = args.value("-debug") {
        log::set_debug(spec).map_err(|e| Error::usage(format!("bad -debug value: {e}")))?;
        environ::set("MT_DEBUG_MODE", spec);
    }
    if let Some(file) = args.value("-log") {
        log::set_file(std::path::Path::new(file)).map_err(|e| {
            Error::new(format!(
                "cannot open the log file `{file}` given with -log: {}",
                crate::config::io_reason(&e)
            ))
        })?;
    }
    if let Some(dir) = args.value("-start-dir") {
        std::env::set_current_dir(dir).map_err(|e| {
            Error::new(format!(
                "cannot change to the directory `{dir}` given with -start-dir: {}",
                crate::config::io_reason(&e)
            ))
        })?;
        if let Ok(cwd) = std::env::current_dir() {
            environ::set("PWD", &cwd.display().to_string());
        }
    }
    if let Some(target) = args.value("-reqtarg").or_else(|| args.value("-target")) {
        environ::set("MT_TARGET", target);
    }
    Ok(())
}
