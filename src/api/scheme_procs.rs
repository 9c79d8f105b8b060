//! The rmt API as a Scheme extension: `%mt:api` calls a procedure of the catalog, a Scheme
//! procedure per catalog entry calls it, and `prelude/rmt.scm` builds Megatest's record
//! accessors and helpers on them. Values cross as the host's steel-free `Datum`.

use super::catalog::{PROCEDURES, call};
use super::context::installed_top;
use super::value::Value;
use crate::scheme::{Datum, Extension};

/// Procedures defined in Scheme (the prelude), with their parameters and doc strings.
const SCHEME_DOCS: &[(&str, &str, &str)] = &[
    (
        "db:dbfile-path",
        "[ignored]",
        "The directory that holds the area's megatest.db (`[setup] dbdir`, else the area); #f outside an area.",
    ),
    (
        "tests:filter-test-names",
        "names patterns",
        "The names a -testpatt list selects (test parts only), in order, each once.",
    ),
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

/// The extension every megatest engine gets (registered by the command line's entry).
pub fn scheme_extension() -> Extension {
    Extension {
        name: "the rmt procedures",
        natives: vec![
            ("%mt:api", api_call),
            ("%mt:toppath", toppath),
            ("%mt:dbfile-dir", dbfile_dir),
        ],
        sources: vec![
            ("the rmt procedures", wrappers()),
            (
                "prelude/rmt.scm",
                include_str!("../../prelude/rmt.scm").to_string(),
            ),
        ],
        documented: PROCEDURES
            .iter()
            .map(|p| (p.name, p.params, p.doc))
            .chain(SCHEME_DOCS.iter().copied())
            .collect(),
    }
}

/// A Scheme value as the API sees it (characters and other values as their text).
fn to_value(d: &Datum) -> Value {
    match d {
        Datum::Void => Value::Void,
        Datum::Bool(b) => Value::Bool(*b),
        Datum::Int(i) => Value::Int(*i),
        Datum::Real(r) => Value::Real(*r),
        Datum::Str(s) => Value::Str(s.clone()),
        Datum::Sym(s) => Value::Sym(s.clone()),
        Datum::List(items) => Value::List(items.iter().map(to_value).collect()),
        Datum::Vector(items) => Value::Vector(items.iter().map(to_value).collect()),
        other => Value::Str(other.display()),
    }
}

/// An API value as a Scheme value.
fn to_datum(v: Value) -> Datum {
    match v {
        Value::Bool(b) => Datum::Bool(b),
        Value::Int(i) => Datum::Int(i),
        Value::Real(r) => Datum::Real(r),
        Value::Str(s) => Datum::Str(s),
        Value::Sym(s) => Datum::Sym(s),
        Value::List(items) => Datum::List(items.into_iter().map(to_datum).collect()),
        Value::Vector(items) => Datum::Vector(items.into_iter().map(to_datum).collect()),
        Value::Void => Datum::Void,
    }
}

/// `(%mt:api "name" args)`.
fn api_call(args: &[Datum]) -> Result<Datum, String> {
    let name = match args.first() {
        Some(Datum::Str(s)) => s.clone(),
        _ => return Err("%mt:api: the procedure name is missing".into()),
    };
    let values: Vec<Value> = match args.get(1) {
        Some(Datum::List(items)) => items.iter().map(to_value).collect(),
        _ => Vec::new(),
    };
    match call(&name, &values) {
        Ok(v) => Ok(to_datum(v)),
        Err(e) => {
            let mut message = e.message.clone();
            for note in &e.notes {
                message.push_str(&format!(" ({note})"));
            }
            Err(message)
        }
    }
}

/// `(%mt:toppath)`: the area the API works on, or `#f`.
fn toppath(_: &[Datum]) -> Result<Datum, String> {
    Ok(match installed_top() {
        Some(top) => Datum::Str(top.display().to_string()),
        None => Datum::Bool(false),
    })
}

/// `(%mt:dbfile-dir)`: the directory of the area's database, `#f` outside an area.
fn dbfile_dir(_: &[Datum]) -> Result<Datum, String> {
    Ok(match super::context::installed_db_path() {
        Some(path) => Datum::Str(path.parent().unwrap_or(&path).display().to_string()),
        None => Datum::Bool(false),
    })
}

/// Scheme definitions of the API procedures (those the prelude does not define itself).
fn wrappers() -> String {
    let mut out = String::new();
    for p in PROCEDURES {
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
