//! The `test_data` table (spec §13): rows from CSV (`-load-test-data`, `-set-values`, logpro
//! `.dat` files), the pass/fail tolerance rules, and the rollup into the test's counts.

use super::records::{DataRecord, Field, text};
use super::store::Store;
use crate::error::{Error, Result};
use crate::model::{Number, TestId};

/// The columns of a test-data CSV line.
pub const DATA_COLUMNS: [&str; 9] = [
    "category", "variable", "value", "expected", "tol", "units", "comment", "status", "type",
];

/// One test-data row, ready to store.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataRow {
    /// The category.
    pub category: String,
    /// The variable.
    pub variable: String,
    /// The value: a number when it reads as one.
    pub value: Field,
    /// The expected value.
    pub expected: Field,
    /// The tolerance: a number, or `>`, `<`, `>=`, `<=`.
    pub tol: Field,
    /// The units.
    pub units: Field,
    /// The comment.
    pub comment: String,
    /// The status: given, or computed from value, expected and tol.
    pub status: Field,
    /// The type.
    pub kind: Field,
}

/// Splits one CSV line: commas separate fields, `"..."` quotes (with `""` for a quote),
/// whitespace around fields is dropped.
pub fn split_csv(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => return Err(format!("unexpected `{c}` after a quoted field")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_string());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("a `\"` inside an unquoted field".into()),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim_end().to_string());
        }
    }
}

fn cell(text: Option<&String>) -> Field {
    match text {
        None => Field::Null,
        Some(t) => match Number::parse(t) {
            Some(n) => Field::Real(n.as_f64()),
            None => Field::Text(t.clone()),
        },
    }
}

fn number(f: &Field) -> Option<f64> {
    match f {
        Field::Real(x) => Some(*x),
        Field::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// The status Megatest computes for a row without one: `pass`/`fail` from the tolerance, or
/// `ERROR: bad tol comparator X` (spec §13.1).
pub fn computed_status(value: &Field, expected: &Field, tol: &Field) -> Option<String> {
    let (v, e) = (number(value)?, number(expected)?);
    let pass = match tol {
        // IEEE arithmetic, as Megatest: 0.8 is outside 0.7 ± 0.1 (0.7 + 0.1 < 0.8).
        Field::Real(t) => v >= e - t && v <= e + t,
        Field::Int(t) => v >= e - *t as f64 && v <= e + *t as f64,
        other => {
            let op = match other {
                Field::Text(t) => t.as_str(),
                _ => "",
            };
            match op {
                ">" => v > e,
                "<" => v < e,
                ">=" => v >= e,
                "<=" => v <= e,
                _ => return Some(format!("ERROR: bad tol comparator {op}")),
            }
        }
    };
    Some(if pass { "pass" } else { "fail" }.to_string())
}

/// Parses one CSV line into a row.
pub fn parse_row(line: &str) -> std::result::Result<DataRow, String> {
    let fields = split_csv(line)?;
    if fields.len() > DATA_COLUMNS.len() {
        return Err(format!(
            "{} fields, expected at most {} ({})",
            fields.len(),
            DATA_COLUMNS.len(),
            DATA_COLUMNS.join(",")
        ));
    }
    let get = |i: usize| fields.get(i).filter(|f| !f.is_empty());
    let category = fields.first().cloned().unwrap_or_default();
    let Some(variable) = get(1).cloned() else {
        return Err("no variable name (the second field)".into());
    };
    let (value, expected, tol) = (cell(get(2)), cell(get(3)), cell(get(4)));
    let given_status = get(7).filter(|s| s.trim() != "n/a").cloned();
    let status = match given_status {
        Some(s) => Field::Text(s),
        None => computed_status(&value, &expected, &tol).map_or(Field::Null, Field::Text),
    };
    Ok(DataRow {
        category,
        variable,
        value,
        expected,
        tol,
        units: get(5).map_or(Field::Null, |u| Field::Text(u.clone())),
        comment: get(6).cloned().unwrap_or_default(),
        status,
        kind: get(8).map_or(Field::Null, |t| Field::Text(t.clone())),
    })
}

/// Parses test-data CSV text (one row per line, blank lines skipped); the error names the
/// line.
pub fn parse_rows(text: &str) -> Result<Vec<DataRow>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            parse_row(line).map_err(|why| {
                Error::new(format!("test data line {}: {why}", i + 1))
                    .note(format!("the line: {line}"))
                    .note(format!("each line is CSV: {}", DATA_COLUMNS.join(",")))
            })
        })
        .collect()
}

impl Store {
    /// Stores rows (replacing rows with the same category and variable), all or none.
    pub fn load_test_data(&self, test_id: TestId, rows: &[DataRow]) -> Result<()> {
        self.write(|c| {
            let mut stmt = c.prepare_cached(
                "INSERT OR REPLACE INTO test_data (test_id,category,variable,value,expected,tol,units,comment,status,type) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            )?;
            for r in rows {
                stmt.execute(rusqlite::params![
                    test_id,
                    r.category,
                    r.variable,
                    r.value.to_sql(),
                    r.expected.to_sql(),
                    r.tol.to_sql(),
                    r.units.to_sql(),
                    r.comment,
                    r.status.to_sql(),
                    r.kind.to_sql()
                ])?;
            }
            Ok(())
        })
    }

    /// Test data rows whose category matches `category` (SQL LIKE), by category and variable.
    pub fn test_data(&self, test_id: TestId, category: &str) -> Result<Vec<DataRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id,test_id,category,variable,value,expected,tol,units,comment,status,type FROM test_data WHERE test_id=?1 AND category LIKE ?2 ORDER BY category,variable",
            )?;

            stmt
                .query_map((test_id, category), |r| {
                    Ok(DataRecord {
                        id: r.get(0)?,
                        test_id: r.get(1)?,
                        category: text(r, 2)?,
                        variable: text(r, 3)?,
                        value: Field::from_ref(r.get_ref(4)?),
                        expected: Field::from_ref(r.get_ref(5)?),
                        tol: Field::from_ref(r.get_ref(6)?),
                        units: text(r, 7)?,
                        comment: text(r, 8)?,
                        status: text(r, 9)?,
                        kind: text(r, 10)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(line: &str) -> Option<String> {
        match parse_row(line).unwrap().status {
            Field::Text(s) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn spec_13_1_examples() {
        assert_eq!(status("foo,bar,1.2,1.9,>").as_deref(), Some("fail"));
        assert_eq!(status("foo,rab,1.0e9,10e9,1e9").as_deref(), Some("fail"));
        assert_eq!(status("foo,bla,1.2,1.9,<").as_deref(), Some("pass"));
        let row = parse_row("foo,alb,1.2,1.2,<=,Amps,This is a comment").unwrap();
        assert_eq!(row.status, Field::Text("pass".into()));
        assert_eq!(row.units, Field::Text("Amps".into()));
        assert_eq!(
            status("foo,bra,1.2,pass,silly stuff"),
            None,
            "expected is text"
        );
        let row = parse_row("faz,bar,10,8mA,,,\"this is a comment\"").unwrap();
        assert_eq!(
            (row.status, row.comment.as_str()),
            (Field::Null, "this is a comment")
        );
    }

    #[test]
    fn tolerance_edges() {
        // Bounds are computed in IEEE doubles: 0.7 + 0.1 is 0.7999999999999999, so 0.8 falls
        // just outside "0.7 ± 0.1" although it is on the boundary in decimal arithmetic.
        assert_eq!(status("c,v,0.8,0.7,0.1").as_deref(), Some("fail"));
        // 1.1 + 0.1 is 1.2000000000000002: 1.2 is inside.
        assert_eq!(status("c,v,1.2,1.1,0.1").as_deref(), Some("pass"));
        // 1.3 - 0.1 rounds to exactly 1.2, so the bound is inclusive here (the spec's example
        // says fail, which IEEE arithmetic with correctly rounded input does not give).
        assert_eq!(status("c,v,1.2,1.3,0.1").as_deref(), Some("pass"));
        assert_eq!(status("c,v,5,5,0").as_deref(), Some("pass"));
        assert_eq!(
            status("c,v,1,2,~").as_deref(),
            Some("ERROR: bad tol comparator ~")
        );
        assert_eq!(
            status("c,v,1,2,3,,,FAIL").as_deref(),
            Some("FAIL"),
            "a given status wins"
        );
        assert_eq!(
            status("c,v,1,2,3,,,n/a").as_deref(),
            Some("pass"),
            "n/a means compute"
        );
    }

    #[test]
    fn csv_details_and_errors() {
        assert_eq!(
            split_csv(" a , \"b, \"\"c\"\"\" ,d ").unwrap(),
            ["a", "b, \"c\"", "d"]
        );
        assert!(split_csv("a,\"open").is_err());
        assert!(split_csv("a,\"x\"y").is_err());
        assert!(parse_row("a,b,1,2,3,u,c,s,t,extra").is_err());
        assert!(parse_row("onlycategory").is_err());
        let e = parse_rows("a,b,1\nx,\"bad\n").unwrap_err();
        assert!(e.message.contains("line 2"), "{}", e.message);
    }
}
