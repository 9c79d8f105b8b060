//! The rmt API inside the engine: one Rust entry point, `%mt:api`, and a Scheme procedure per
//! API procedure calling it; values converted both ways; `help` and the area's globals.

use crate::api::{self, Value};
use std::path::PathBuf;
use std::sync::Mutex;
use steel::rerrs::{ErrorKind, SteelErr};
use steel::rvals::{IntoSteelVal, Result, SteelVal, SteelVector};
use steel::steel_vm::engine::Engine;

/// Procedures defined in Scheme (the prelude), with their parameters and doc strings.
const SCHEME_DOCS: &[(&str, &str, &str)] = &[
    ("db:test-get-id", "record", "The test record's id."),
    ("db:test-get-run_id", "record", "The test record's run id."),
    (
        "db:test-get-testname",
        "record",
        "The test record's test name.",
    ),
    ("db:test-get-state", "record", "The test record's state."),
    ("db:test-get-status", "record", "The test record's status."),
    (
        "db:test-get-event_time",
        "record",
        "When the test started (epoch seconds).",
    ),
    ("db:test-get-host", "record", "The host the test ran on."),
    (
        "db:test-get-cpuload",
        "record",
        "The CPU load when last seen.",
    ),
    (
        "db:test-get-diskfree",
        "record",
        "Free disk space when last seen.",
    ),
    ("db:test-get-uname", "record", "The uname of the host."),
    (
        "db:test-get-rundir",
        "record",
        "The run directory (link tree path).",
    ),
    (
        "db:test-get-item-path",
        "record",
        "The item path (\"\" for a toplevel test).",
    ),
    (
        "db:test-get-run_duration",
        "record",
        "How long the test ran (seconds).",
    ),
    ("db:test-get-final_logf", "record", "The final log file."),
    ("db:test-get-comment", "record", "The comment."),
    ("db:test-get-shortdir", "record", "The real run directory."),
    ("db:test-get-attemptnum", "record", "The attempt number."),
    (
        "db:test-get-archived",
        "record",
        "Whether the test is archived.",
    ),
    (
        "db:test-get-fullname",
        "record",
        "testname/item-path, or the test name alone.",
    ),
    (
        "db:get-header",
        "header-rows",
        "The header list of a #(header rows) structure.",
    ),
    (
        "db:get-rows",
        "header-rows",
        "The rows (vectors) of a #(header rows) structure.",
    ),
    (
        "db:get-value-by-header",
        "row header field",
        "The value of column `field` in `row`, or #f.",
    ),
    (
        "configf:lookup",
        "cfg section var",
        "A value of a config hash table (*configdat*), or #f.",
    ),
    (
        "tests:get-all",
        "",
        "Test name -> test directory, for every test of the area (hash table).",
    ),
    ("common:get-linktree", "", "The link tree directory."),
    (
        "args:get-arg",
        "option [default]",
        "The value of a command-line option, #t for a switch, else default or #f.",
    ),
    (
        "help",
        "[name]",
        "Prints what a procedure does; without a name, lists them.",
    ),
];

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

fn error(message: impl Into<String>) -> SteelErr {
    SteelErr::new(ErrorKind::Generic, message.into())
}

/// A Scheme value as the API sees it.
pub fn to_value(v: &SteelVal) -> Value {
    match v {
        SteelVal::BoolV(b) => Value::Bool(*b),
        SteelVal::IntV(i) => Value::Int(*i as i64),
        SteelVal::NumV(n) => Value::Real(*n),
        SteelVal::StringV(s) => Value::Str(s.as_str().to_string()),
        SteelVal::SymbolV(s) => Value::Sym(s.as_str().to_string()),
        SteelVal::CharV(c) => Value::Str(c.to_string()),
        SteelVal::ListV(items) => Value::List(items.iter().map(to_value).collect()),
        SteelVal::VectorV(items) => Value::Vector(items.iter().map(to_value).collect()),
        SteelVal::MutableVector(_) => {
            match <Vec<SteelVal> as steel::rvals::FromSteelVal>::from_steelval(v) {
                Ok(items) => Value::Vector(items.iter().map(to_value).collect()),
                Err(_) => Value::Str(super::conc::display(v)),
            }
        }
        SteelVal::Void => Value::Void,
        other => Value::Str(super::conc::display(other)),
    }
}

/// An API value as a Scheme value.
pub fn to_steel(v: Value) -> SteelVal {
    match v {
        Value::Bool(b) => SteelVal::BoolV(b),
        Value::Int(i) => SteelVal::IntV(i as isize),
        Value::Real(r) => SteelVal::NumV(r),
        Value::Str(s) => SteelVal::StringV(s.into()),
        Value::Sym(s) => SteelVal::SymbolV(s.into()),
        Value::List(items) => items
            .into_iter()
            .map(to_steel)
            .collect::<Vec<_>>()
            .into_steelval()
            .unwrap_or(SteelVal::Void),
        Value::Vector(items) => {
            SteelVal::VectorV(items.into_iter().map(to_steel).collect::<SteelVector>())
        }
        Value::Void => SteelVal::Void,
    }
}

/// `(%mt:api "name" args)`.
fn api_call(args: &[SteelVal]) -> Result<SteelVal> {
    let name = match args.first() {
        Some(SteelVal::StringV(s)) => s.as_str().to_string(),
        _ => return Err(error("%mt:api: the procedure name is missing")),
    };
    let values: Vec<Value> = match args.get(1) {
        Some(SteelVal::ListV(items)) => items.iter().map(to_value).collect(),
        _ => Vec::new(),
    };
    match api::call(&name, &values) {
        Ok(v) => Ok(to_steel(v)),
        Err(e) => {
            let mut message = e.message.clone();
            for note in &e.notes {
                message.push_str(&format!(" ({note})"));
            }
            Err(error(message))
        }
    }
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

/// Every documented procedure: (name, parameters, doc).
pub fn documented() -> Vec<(&'static str, &'static str, &'static str)> {
    api::PROCEDURES
        .iter()
        .map(|p| (p.name, p.params, p.doc))
        .chain(SCHEME_DOCS.iter().copied())
        .collect()
}

fn toppath(_: &[SteelVal]) -> Result<SteelVal> {
    Ok(match api::installed_top() {
        Some(top) => SteelVal::StringV(top.display().to_string().into()),
        None => SteelVal::BoolV(false),
    })
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

/// Registers the Rust side in `engine`.
pub fn register(engine: &mut Engine) {
    for (name, f) in [
        ("%mt:api", api_call as fn(&[SteelVal]) -> Result<SteelVal>),
        ("%mt:help", help_text),
        ("%mt:toppath", toppath),
        ("%mt:tests", tests),
        ("%mt:linktree", linktree),
    ] {
        engine.register_value(name, SteelVal::FuncV(f));
    }
}

/// Scheme definitions of the API procedures (those the prelude does not define itself).
pub fn wrappers() -> String {
    let mut out = String::new();
    for p in api::PROCEDURES {
        if p.name == "rmt:get-tests-tags" {
            continue;
        }
        out.push_str(&format!(
            "(define ({} . args) (%mt:api \"{}\" args))\n",
            p.name, p.name
        ));
    }
    out
}
