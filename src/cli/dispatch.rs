//! The order in which actions run when several are given (spec §15.1), and the entry point
//! that turns argv into work and an exit code.

use super::args::Args;
use super::commands;
use super::session::Session;
use crate::error::{Error, ErrorKind, Result};
use crate::{environ, error::exit_code, output::log, scheme};

/// Actions that change or remove records: an argument they do not understand is an error.
const DESTRUCTIVE: &[&str] = &[
    "-remove-runs",
    "-remove-keep",
    "-set-state-status",
    "-kill-run",
    "-set-run-status",
    "-cleanup-db",
];

/// Whether to go on with the next action.
pub(super) enum Flow {
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
    ("-env2file", Some(commands::env_capture::env2file)),
    ("-list-disks", Some(commands::list_disks::run)),
    ("-refdb2dat", None),
    ("-ping", Some(commands::servers::ping)),
    ("-envcap", Some(commands::env_capture::envcap)),
    ("-envdelta", Some(commands::env_capture::envdelta)),
    ("-server", Some(commands::servers::server)),
    ("-list-servers", Some(commands::servers::list_servers)),
    ("-kill-servers", Some(commands::servers::kill_servers)),
    ("-list-targets", Some(commands::list_targets::run)),
    ("-show-runconfig", Some(commands::show_runconfig::run)),
    ("-show-config", Some(commands::show_config::run)),
    ("-show-cmdinfo", Some(commands::show_cmdinfo::run)),
    ("-remove-runs", Some(commands::remove_runs::run)),
    ("-remove-keep", Some(commands::remove_keep::run)),
    ("-set-state-status", Some(commands::set_state_status::run)),
    ("-kill-run", Some(commands::kill_run::run)),
    ("-set-run-status", Some(commands::run_status::set)),
    ("-get-run-status", Some(commands::run_status::get)),
    ("-list-runs", Some(commands::list_runs::run)),
    ("-list-db-targets", Some(commands::list_db_targets::run)),
    ("-run", Some(commands::run::run)),
    ("-runtests", Some(commands::run::runtests)),
    ("-lock", Some(commands::lock::lock)),
    ("-unlock", Some(commands::lock::unlock)),
    ("-test-paths", Some(commands::test_paths::run)),
    ("-test-files", Some(test_files)),
    ("-archive", Some(commands::archive::run)),
    ("-extract-ods", Some(commands::extract_ods::run)),
    ("-execute", Some(commands::execute::run)),
    ("-recover-test", None),
    ("-step", Some(commands::step::run)),
    ("-load-test-data", Some(commands::load_test_data::run)),
    ("-setlog", Some(commands::setlog::setlog)),
    ("-set-toplog", Some(commands::setlog::set_toplog)),
    ("-summarize-items", Some(commands::summarize_items::run)),
    ("-runstep", Some(commands::runstep::run)),
    ("-test-status", Some(commands::test_status::test_status)),
    ("-set-values", Some(commands::test_status::set_values)),
    ("-show-keys", Some(commands::show_keys::run)),
    (
        "-create-megatest-area",
        Some(commands::skeleton::create_area),
    ),
    ("-create-test", Some(commands::skeleton::create_test)),
    ("-rebuild-db", Some(commands::db_maintenance::rebuild)),
    ("-cleanup-db", Some(commands::db_maintenance::cleanup)),
    ("-mark-incompletes", Some(commands::mark_incompletes::run)),
    ("-update-meta", Some(commands::update_meta::run)),
    ("-import-megatest.db", None),
    ("-sync-to-megatest.db", None),
    ("-diff-rep", Some(commands::diff_rep::run)),
    ("-repl", Some(commands::scheme_toplevel::repl)),
    ("-load", Some(commands::scheme_toplevel::load)),
    ("-run-wait", Some(commands::run::run_wait)),
    ("-generate-html", Some(commands::generate_html::run)),
    ("-utah", Some(commands::utah_run::utah)),
    ("-dashboard", Some(commands::dashboard::run)),
];

/// `-test-files` alone (with `-test-paths`, that command prints the files).
fn test_files(session: &mut Session) -> Result<Flow> {
    if session.args.has("-test-paths") {
        return Ok(Flow::Continue);
    }
    commands::test_paths::run(session)
}

/// Whether an option is a working action (or not an action at all).
pub(super) fn is_available(name: &str) -> bool {
    ACTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .is_none_or(|(_, h)| h.is_some())
}

/// Runs megatest with the words after the program name; returns the exit code.
pub fn main(words: Vec<String>) -> i32 {
    crate::output::stdout::reset();
    let result = run(&words).and_then(|code| match crate::output::stdout::failure() {
        Some(e) => Err(Error::of(
            ErrorKind::Io,
            format!(
                "cannot write to standard output: {}",
                crate::sys::io_reason(&e)
            ),
        )),
        None => Ok(code),
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            crate::output::log::emit(format_args!("{}", crate::error::render(&err).trim_end()));
            err.exit_code()
        }
    }
}

fn run(words: &[String]) -> Result<i32> {
    // Every engine of megatest has the rmt procedures.
    scheme::add_extension(crate::api::scheme_extension());
    if words == [crate::launch::fork_helper::FORK_HELPER_OPTION] {
        return Ok(crate::launch::fork_helper::serve(main));
    }
    let strict = words.iter().any(|w| w == "-strict") || environ::strict();
    let mut args = Args::parse(words, strict)?;
    if args.has("-strict") {
        environ::set(environ::STRICT_VAR, "1");
    }
    apply_general_options(&args)?;
    if let Some(warning) = args.unrecognised_warning() {
        // A mistyped filter (`-staus FAIL`) would make these change or remove more than
        // asked: they refuse instead of going on.
        if let Some(action) = DESTRUCTIVE.iter().find(|a| args.has(a)) {
            let words: Vec<&str> = args.unrecognised.iter().map(|(w, _)| w.as_str()).collect();
            let mut err = Error::usage(format!(
                "{action} with unrecognised arguments: {}; nothing done",
                words.join(" ")
            ));
            for (word, near) in &args.unrecognised {
                if let Some(near) = near {
                    err = err.note(format!("`{word}`: did you mean `{near}`?"));
                }
            }
            return Err(err.note("a filter that is not understood would select more than asked"));
        }
        crate::warn!("{warning}");
    }
    args.fold_itempatt();
    scheme::set_program_args(args.for_scheme());
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
    if given.is_empty() && environ::var("MT_RUNSCRIPT").is_some() {
        return commands::scheme_toplevel::run_script(&mut Session::new(args));
    }
    if given.is_empty() {
        crate::output::stdout::print(&super::help::text());
        return Ok(exit_code::SUCCESS);
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
    Ok(session.exit_code)
}

/// -debug, -log, -start-dir and the target export, before any action.
fn apply_general_options(args: &Args) -> Result<()> {
    if let Some(spec) = args.value("-debug") {
        log::set_debug(spec).map_err(|e| Error::usage(format!("bad -debug value: {e}")))?;
        environ::set("MT_DEBUG_MODE", spec);
    }
    if let Some(file) = args.value("-log") {
        log::set_file(std::path::Path::new(file)).map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot open the log file `{file}` given with -log: {}",
                    crate::sys::io_reason(&e)
                ),
            )
        })?;
    }
    if let Some(dir) = args.value("-start-dir") {
        std::env::set_current_dir(dir).map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot change to the directory `{dir}` given with -start-dir: {}",
                    crate::sys::io_reason(&e)
                ),
            )
        })?;
        if let Ok(cwd) = std::env::current_dir() {
            environ::set("PWD", &cwd.display().to_string());
        }
    }
    if let Some(target) = args.value("-reqtarg").or_else(|| args.value("-target")) {
        environ::set("MT_TARGET", target);
    }
    // A run's name is known before megatest.config is read, so its `#{getenv MT_RUNNAME}`
    // forms (an `[env-override]` value) see it, as the tests of a 1.65 run do.
    if let Some(runname) = args.value("-runname")
        && (args.has("-run") || args.has("-runtests"))
    {
        environ::set("MT_RUNNAME", runname);
    }
    Ok(())
}
