//! Scheme at the top level, for the REPL and `-load`: the area's globals, `~/.megatestrc`,
//! whole programs evaluated with CHICKEN's suffix keywords, values written as a REPL shows
//! them, and errors located in the text given.

use super::host::{
    ConfigLists, SchemeError, after_evaluation, config_as_lists, host_busy, with_host,
};
use super::{area_procs, native, prepass};
use crate::error::{Error, ErrorKind, Location};
use crate::model::TestId;
use std::path::{Path, PathBuf};
use std::time::Duration;
use steel::parser::parser::{ParseError, Parser};
use steel::rvals::SteelVal;

/// Whether `text` is a form still waiting for its end (an open bracket or string).
pub fn input_is_incomplete(text: &str) -> bool {
    let Ok(prepared) = prepass::prepare_with(text, true) else {
        return false;
    };
    matches!(
        Parser::parse(&prepared.text),
        Err(ParseError::UnexpectedEOF(..))
    )
}

/// What Scheme is told of the area it works in.
pub struct SchemeArea {
    /// The area's top directory (`*toppath*`).
    pub top: PathBuf,
    /// megatest.config (`*configdat*`).
    pub config: ConfigLists,
    /// Test name and directory of every test (`(tests:get-all)`).
    pub tests: Vec<(String, PathBuf)>,
    /// The link tree (`(common:get-linktree)`).
    pub linktree: PathBuf,
}

/// Makes the area the one Scheme works on: `*toppath*`, `*configdat*`, `(tests:get-all)`,
/// `(common:get-linktree)`; and makes Ctrl-C interrupt evaluations, with `time_bound`
/// (unless `MEGATEST_SCHEME_TIMEOUT` sets one) on each. The rmt procedures work on the area
/// the API was given.
pub fn enter_area(area: SchemeArea, time_bound: Option<Duration>) -> Result<(), SchemeError> {
    area_procs::set_area_globals(area.tests, Some(area.linktree));
    with_host(|host| {
        host.set_interactive(time_bound);
        let configdat = host.call(
            "%mt:config->hash-table",
            vec![config_as_lists(area.config)?],
        )?;
        host.define("*configdat*", configdat);
        host.define(
            "*toppath*",
            SteelVal::StringV(area.top.display().to_string().into()),
        );
        Ok(())
    })
}

/// For the REPL and `-load` outside an area: Ctrl-C interrupts evaluations, with
/// `time_bound` on each (see [`enter_area`] for inside one).
pub fn make_interactive(time_bound: Option<Duration>) -> Result<(), SchemeError> {
    with_host(|host| {
        host.set_interactive(time_bound);
        Ok(())
    })
}

/// Evaluates a program; returns each top-level value worth showing, written as Scheme reads
/// it back (strings quoted).
pub fn eval_toplevel(source: &str) -> Result<Vec<String>, SchemeError> {
    with_host(|host| {
        let values = host.eval_with(source, true)?;
        Ok(values
            .iter()
            .filter(|v| !matches!(v, SteelVal::Void))
            .map(super::conc::written)
            .collect())
    })
}

/// Calls a Scheme trigger, `(PROC test-id rundir key)`, where `procedure` is its source
/// (a lambda or a procedure's name). Fired by a write that Scheme made, it runs when that
/// evaluation has ended (triggers run in the background in Megatest too), in the same
/// engine, so that procedures defined at the REPL are there.
pub fn eval_trigger(
    procedure: &str,
    test_id: TestId,
    rundir: &str,
    key: &str,
) -> Result<(), SchemeError> {
    if host_busy() {
        let (procedure, rundir, key) = (procedure.to_string(), rundir.to_string(), key.to_string());
        after_evaluation(Box::new(move || {
            if let Err(e) = eval_trigger(&procedure, test_id, &rundir, &key) {
                crate::warn!("trigger {key} of test {test_id}: {}", e.message);
            }
        }));
        return Ok(());
    }
    with_host(|host| {
        host.define(
            "%mt:trigger-args",
            SteelVal::ListV(
                vec![
                    SteelVal::IntV(test_id.0 as isize),
                    SteelVal::StringV(rundir.into()),
                    SteelVal::StringV(key.into()),
                ]
                .into(),
            ),
        );
        host.eval_with(&format!("(apply {procedure}\n %mt:trigger-args)"), true)?;
        Ok(())
    })
}

/// Names to complete at the REPL: the engine's globals and every documented procedure.
pub fn completion_names() -> Vec<String> {
    let mut names = with_host(|host| Ok(host.global_names())).unwrap_or_default();
    names.extend(native::documented().iter().map(|(n, _, _)| n.to_string()));
    names.sort();
    names.dedup();
    names
}

/// An evaluation error as megatest reports it, located in `source` (named `name`).
pub fn located_error(e: &SchemeError, name: &Path, source: &str) -> Error {
    let mut error = Error::of(ErrorKind::Scheme, e.message.clone());
    if let Some((start, end)) = e.span {
        let start = start.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        error = error.at(Location::in_line(
            name,
            line,
            &source[line_start..line_end],
            start - line_start,
            end.saturating_sub(start).max(1),
        ));
    }
    for note in &e.notes {
        error = error.note(note.clone());
    }
    error
}

/// Loads `~/.megatestrc` when there is one; a failure is reported and does not stop megatest.
pub fn load_megatestrc() {
    let Some(home) = crate::environ::var("HOME") else {
        return;
    };
    let path = Path::new(&home).join(".megatestrc");
    let Ok(source) = std::fs::read_to_string(&path) else {
        return;
    };
    if let Err(e) = eval_toplevel(&source) {
        eprint!(
            "{}",
            crate::error::render(&located_error(&e, &path, &source))
        );
    }
}
