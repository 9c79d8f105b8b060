//! OpenDocument spreadsheets (spec §15.6): `-list-runs ... -dumpmode ods` (a `runs` sheet,
//! then a sheet per run with its tests) and `-extract-ods` (a `Runs` sheet of every test
//! with its meta data, then a sheet of test data per test name), written with
//! spreadsheet-ods.

use crate::db::{EXTRACT_DATA_COLUMNS, EXTRACT_TEST_COLUMNS, Field, RunRecord, Store, TestRecord};
use crate::error::{Error, Result};
use spreadsheet_ods::{Sheet, WorkBook};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// One sheet: its name and its rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetData {
    /// The name as wanted (made acceptable to spreadsheet programs when written).
    pub name: String,
    /// The rows; a [`Field::Null`] is an empty cell.
    pub rows: Vec<Vec<Field>>,
}

/// The run fields of the `runs` sheet after the keys (1.65's order; `time` is the run's
/// `event_time`).
const RUN_SHEET_FIELDS: [&str; 9] = [
    "runname",
    "time",
    "owner",
    "pass_count",
    "fail_count",
    "state",
    "status",
    "comment",
    "id",
];

/// The test fields of each run's sheet (1.65's order).
const TEST_SHEET_FIELDS: [&str; 18] = [
    "testname",
    "item_path",
    "state",
    "status",
    "comment",
    "event_time",
    "host",
    "run_id",
    "run_duration",
    "attemptnum",
    "id",
    "archived",
    "diskfree",
    "cpuload",
    "final_logf",
    "shortdir",
    "rundir",
    "uname",
];

fn text(s: &str) -> Field {
    Field::Text(s.to_string())
}

/// The sheets of `-list-runs -dumpmode ods`: `runs`, a row per run, then per run a sheet
/// named `target/runname` whose first row names it, then the header and a row per test.
pub fn listing_sheets(keys: &[String], listed: &[(RunRecord, Vec<TestRecord>)]) -> Vec<SheetData> {
    let mut runs = SheetData {
        name: "runs".into(),
        rows: vec![
            keys.iter()
                .map(String::as_str)
                .chain(RUN_SHEET_FIELDS)
                .map(text)
                .collect(),
        ],
    };
    let mut sheets = Vec::new();
    for (run, tests) in listed {
        runs.rows.push(
            keys.iter()
                .map(String::as_str)
                .chain(RUN_SHEET_FIELDS)
                .map(|f| {
                    let name = if f == "time" { "event_time" } else { f };
                    run.field(keys, name).unwrap_or(Field::Null)
                })
                .collect(),
        );
        let title = format!("{}/{}", run.target(), run.runname());
        let mut rows = vec![vec![text(&title)], Vec::new()];
        rows.push(TEST_SHEET_FIELDS.into_iter().map(text).collect());
        for test in tests {
            rows.push(
                TEST_SHEET_FIELDS
                    .iter()
                    .map(|f| test.field(f).cloned().unwrap_or(Field::Null))
                    .collect(),
            );
        }
        sheets.push(SheetData { name: title, rows });
    }
    sheets.insert(0, runs);
    sheets
}

/// The sheets of `-extract-ods`: `Runs`, a row per test of `runs` (run id, run name, the
/// keys, then [`EXTRACT_TEST_COLUMNS`]), then a sheet per test name with test data. With
/// `pathmod`, a final log that exists is given as `pathmod` + its full path (backslashes when
/// `pathmod` has one, for Windows readers).
pub fn extract_sheets(
    store: &Store,
    keys: &[String],
    runs: &[RunRecord],
    pathmod: Option<&str>,
) -> Result<Vec<SheetData>> {
    let header: Vec<Field> = ["Run Id", "Runname"]
        .into_iter()
        .chain(keys.iter().map(String::as_str))
        .chain(EXTRACT_TEST_COLUMNS)
        .map(text)
        .collect();
    let mut all = SheetData {
        name: "Runs".into(),
        rows: vec![header],
    };
    let data_header: Vec<Field> = EXTRACT_DATA_COLUMNS.into_iter().map(text).collect();
    let mut data: BTreeMap<String, Vec<Vec<Field>>> = BTreeMap::new();
    let final_log = EXTRACT_TEST_COLUMNS
        .iter()
        .position(|c| *c == "Final Log")
        .expect("a final log column");
    let rundir = EXTRACT_TEST_COLUMNS
        .iter()
        .position(|c| *c == "Rundir")
        .expect("a rundir column");
    for run in runs {
        for mut row in store.extract_tests(run.id())? {
            if let Some(prefix) = pathmod {
                row[final_log] = moved_log(prefix, &row[rundir], &row[final_log]);
            }
            let mut full = vec![Field::Int(run.id().0), text(&run.runname())];
            full.extend(run.key_values.iter().map(|v| text(v)));
            full.extend(row);
            all.rows.push(full);
        }
        for row in store.extract_test_data(run.id())? {
            let name = row[1].to_string();
            data.entry(name)
                .or_insert_with(|| vec![data_header.clone()])
                .push(row);
        }
    }
    let mut sheets = vec![all];
    sheets.extend(
        data.into_iter()
            .map(|(name, rows)| SheetData { name, rows }),
    );
    Ok(sheets)
}

/// The final log as seen from elsewhere: `prefix` + the log's full path, when it exists.
fn moved_log(prefix: &str, rundir: &Field, log: &Field) -> Field {
    let (rundir, log) = (rundir.to_string(), log.to_string());
    if log.is_empty() || matches!(rundir.as_str(), "" | "n/a") {
        return text("");
    }
    let path = format!("{rundir}/{log}");
    if !Path::new(&path).exists() {
        return text("");
    }
    let moved = format!("{prefix}{path}");
    text(&if prefix.contains('\\') {
        moved.replace('/', "\\")
    } else {
        moved
    })
}

/// A name spreadsheet programs accept for a sheet: none of `[]*?:/\`, no apostrophe at
/// either end, not empty, and not one already `used` (a number is added).
fn sheet_name(wanted: &str, used: &mut HashSet<String>) -> String {
    let mut name: String = wanted
        .chars()
        .map(|c| {
            if "[]*?:/\\".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    name = name.trim_matches('\'').to_string();
    if name.is_empty() {
        name = "Sheet".into();
    }
    let mut unique = name.clone();
    let mut n = 2;
    while !used.insert(unique.to_lowercase()) {
        unique = format!("{name} ({n})");
        n += 1;
    }
    unique
}

/// Writes `sheets` as an OpenDocument spreadsheet at `path`.
pub fn write_ods(path: &Path, sheets: &[SheetData]) -> Result<()> {
    let mut book = WorkBook::default();
    let mut used = HashSet::new();
    for data in sheets {
        let mut sheet = Sheet::new(sheet_name(&data.name, &mut used));
        for (r, row) in data.rows.iter().enumerate() {
            for (c, field) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u32);
                match field {
                    Field::Int(i) => sheet.set_value(r, c, *i as f64),
                    Field::Real(f) => sheet.set_value(r, c, *f),
                    Field::Text(t) => sheet.set_value(r, c, t.as_str()),
                    Field::Null => {}
                }
            }
        }
        book.push_sheet(sheet);
    }
    spreadsheet_ods::write_ods(&mut book, path).map_err(|e| {
        Error::new(format!(
            "cannot write the spreadsheet `{}`: {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_cleaned_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(sheet_name("linux/r1", &mut used), "linux_r1");
        assert_eq!(sheet_name("linux:r1", &mut used), "linux_r1 (2)");
        assert_eq!(sheet_name("'q'", &mut used), "q");
        assert_eq!(sheet_name("", &mut used), "Sheet");
        assert_eq!(sheet_name("RUNS", &mut used), "RUNS");
        assert_eq!(sheet_name("runs", &mut used), "runs (2)");
    }

    #[test]
    fn cells_read_back_with_their_types() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.ods");
        let sheets = [SheetData {
            name: "a/b".into(),
            rows: vec![
                vec![text("name"), Field::Int(3), Field::Null, Field::Real(1.5)],
                vec![text("<&>\"")],
            ],
        }];
        write_ods(&path, &sheets).unwrap();
        let book = spreadsheet_ods::read_ods(&path).unwrap();
        let sheet = book.sheet(0);
        assert_eq!(sheet.name(), "a_b");
        assert_eq!(sheet.value(0, 0).as_str_or(""), "name");
        assert_eq!(sheet.value(0, 1).as_f64_or(0.0), 3.0);
        assert_eq!(sheet.value(0, 3).as_f64_or(0.0), 1.5);
        assert_eq!(sheet.value(1, 0).as_str_or(""), "<&>\"");
    }

    #[test]
    fn a_moved_log_exists_or_is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("log.html"), "x").unwrap();
        let dir = text(&tmp.path().display().to_string());
        let got = moved_log("/net/host", &dir, &text("log.html"));
        assert_eq!(
            got,
            text(&format!("/net/host{}/log.html", tmp.path().display()))
        );
        let win = moved_log("\\\\srv", &dir, &text("log.html")).to_string();
        assert!(win.starts_with("\\\\srv\\") && !win.contains('/'), "{win}");
        assert_eq!(moved_log("/p", &dir, &text("missing.html")), text(""));
    }
}
