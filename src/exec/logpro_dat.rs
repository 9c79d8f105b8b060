//! Importing a logpro `.dat` summary into `test_data` (spec §13.4): a row per value rule and
//! one for `[final]`, whose exit status and message become the step's comment.

use crate::config::{ReadOptions, SystemPolicy, read_file};
use crate::db::{DataRow, Field};
use crate::error::Result;
use std::path::Path;

fn cell(text: Option<&str>) -> Field {
    match text {
        None => Field::Null,
        Some(t) => match crate::model::Number::parse(t) {
            Some(n) => Field::Real(n.as_f64()),
            None => Field::Text(t.to_string()),
        },
    }
}

/// Loads `path` (a `STEP.dat`) as the test data of `step`; returns the step comment
/// (`FAIL: message`, or `PASS`), or `None` when the file is absent or empty.
pub fn import(
    save: impl FnOnce(&[DataRow]) -> Result<()>,
    step: &str,
    path: &Path,
) -> Result<Option<String>> {
    let mut opts = ReadOptions::new(path.parent().unwrap_or(Path::new(".")));
    opts.system = SystemPolicy::Raw;
    let Some(dat) = read_file(path, &opts)? else {
        return Ok(None);
    };
    let Some(final_section) = dat.section("final") else {
        return Ok(None);
    };
    let mut rows = Vec::new();
    for section in dat
        .sections()
        .iter()
        .filter(|s| s.name.starts_with("rule-"))
    {
        let get = |k: &str| section.get(k);
        rows.push(DataRow {
            category: step.to_string(),
            variable: section.name.clone(),
            value: cell(get("measured")),
            expected: cell(get("expected")),
            tol: cell(get("tolerance").or_else(|| get("type"))),
            units: Field::Text("n/a".into()),
            comment: get("desc")
                .or_else(|| get("comment"))
                .unwrap_or_default()
                .to_string(),
            status: get("status").map_or(Field::Null, |s| Field::Text(s.to_string())),
            kind: get("type").map_or(Field::Null, |t| Field::Text(t.to_string())),
        });
    }
    let exit_status = final_section.get("exit-status").unwrap_or("").to_string();
    let message = final_section.get("message").unwrap_or("").to_string();
    rows.push(DataRow {
        category: step.to_string(),
        variable: "final".into(),
        value: cell(final_section.get("exit-code")),
        expected: Field::Real(0.0),
        tol: Field::Real(0.0),
        units: Field::Text("n/a".into()),
        comment: message.clone(),
        status: Field::Text(exit_status.clone()),
        kind: Field::Text("logpro".into()),
    });
    save(&rows)?;
    Ok(Some(if message.is_empty() {
        exit_status
    } else {
        format!("{exit_status}: {message}")
    }))
}
