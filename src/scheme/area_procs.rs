//! What the engine knows of the area it works in, whatever extensions it has: the tests and
//! the link tree (`%mt:tests`, `%mt:linktree`), and `help` over every documented procedure.

use super::native::documented;
use std::path::PathBuf;
use std::sync::Mutex;
use steel::rvals::{IntoSteelVal, Result, SteelVal};
use steel::steel_vm::engine::Engine;

/// Values `%mt:tests` and `%mt:linktree` report.
struct AreaGlobals {
    tests: Vec<(String, PathBuf)>,
    linktree: Option<PathBuf>,
}

static AREA: Mutex<Option<AreaGlobals>> = Mutex::new(None);

/// Tells the engine's `tests:get-all` and `common:get-linktree` about the area.
pub fn set_area_globals(tests: Vec<(String, PathBuf)>, linktree: Option<PathBuf>) {
    *AREA.lock().unwrap_or_else(|p| p.into_inner()) = Some(AreaGlobals { tests, linktree });
}

/// `(%mt:help name)`: the text `help` prints.
fn help_text(args: &[SteelVal]) -> Result<SteelVal> {
    let name = match args.first() {
        None | Some(SteelVal::BoolV(false)) => None,
        Some(SteelVal::SymbolV(s)) | Some(SteelVal::StringV(s)) => Some(s.as_str().to_string()),
        Some(other) => Some(super::conc::display(other)),
    };
    let entries = documented();
    let text = match name {
        None => {
            let mut names: Vec<&str> = entries.iter().map(|(n, _, _)| *n).collect();
            names.sort_unstable();
            format!(
                "Documented procedures (help 'NAME for one):\n{}\n",
                names.join("\n")
            )
        }
        Some(name) => match entries.iter().find(|(n, _, _)| *n == name) {
            Some((n, params, doc)) => {
                let call = if params.is_empty() {
                    format!("({n})")
                } else {
                    format!("({n} {params})")
                };
                format!("{call}\n  {doc}\n")
            }
            None => format!("no documentation for `{name}`\n"),
        },
    };
    Ok(SteelVal::StringV(text.into()))
}

fn tests(_: &[SteelVal]) -> Result<SteelVal> {
    let guard = AREA.lock().unwrap_or_else(|p| p.into_inner());
    let pairs: Vec<Vec<String>> = guard
        .as_ref()
        .map(|a| {
            a.tests
                .iter()
                .map(|(n, p)| vec![n.clone(), p.display().to_string()])
                .collect()
        })
        .unwrap_or_default();
    pairs.into_steelval()
}

fn linktree(_: &[SteelVal]) -> Result<SteelVal> {
    let guard = AREA.lock().unwrap_or_else(|p| p.into_inner());
    Ok(match guard.as_ref().and_then(|a| a.linktree.clone()) {
        Some(p) => SteelVal::StringV(p.display().to_string().into()),
        None => SteelVal::BoolV(false),
    })
}

/// `(%mt:selects-test? patterns name)`: whether the `-testpatt` list selects the test name.
fn selects_test(args: &[SteelVal]) -> Result<SteelVal> {
    let (Some(SteelVal::StringV(patterns)), Some(SteelVal::StringV(name))) =
        (args.first(), args.get(1))
    else {
        return Ok(SteelVal::BoolV(false));
    };
    Ok(SteelVal::BoolV(
        crate::select::TestPatterns::parse(patterns.as_str())
            .is_ok_and(|p| p.selects_test(name.as_str())),
    ))
}

/// Registers the Rust side in `engine`.
pub(super) fn register(engine: &mut Engine) {
    for (name, f) in [
        ("%mt:help", help_text as fn(&[SteelVal]) -> Result<SteelVal>),
        ("%mt:tests", tests),
        ("%mt:linktree", linktree),
        ("%mt:selects-test?", selects_test),
    ] {
        engine.register_value(name, SteelVal::FuncV(f));
    }
}
