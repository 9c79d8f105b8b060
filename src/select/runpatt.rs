//! Run selection (spec §5.1, §5.2): a run-name pattern and a target pattern, matched in SQL
//! with `LIKE` when the pattern holds `%` and `GLOB` otherwise, as Megatest does.

use rusqlite::types::Value;

/// `column LIKE ?` when `pattern` holds `%` (case-insensitive), else `column GLOB ?`.
pub fn like_or_glob(column: &str, pattern: &str) -> (String, Value) {
    let op = if pattern.contains('%') {
        "LIKE"
    } else {
        "GLOB"
    };
    (format!("{column} {op} ?"), Value::Text(pattern.to_string()))
}

/// Which runs a command works on.
#[derive(Debug, Clone, Default)]
pub struct RunSelector {
    /// Pattern per key (missing keys: any).
    pub target: Option<Vec<String>>,
    /// Run-name pattern.
    pub runname: Option<String>,
}

impl RunSelector {
    /// A selector from `-target` (a `/`-joined pattern) and `-runname` texts.
    pub fn new(target: Option<&str>, runname: Option<&str>) -> Self {
        RunSelector {
            target: target.map(|t| t.split('/').map(str::to_string).collect()),
            runname: runname.map(str::to_string),
        }
    }

    /// SQL conditions (joined with AND) and their parameters, for the `runs` table.
    pub fn conditions(&self, keys: &[String]) -> (Vec<String>, Vec<Value>) {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        if let Some(parts) = &self.target {
            for (key, pattern) in keys.iter().zip(parts) {
                if pattern != "%" {
                    let (c, p) = like_or_glob(&format!("\"{key}\""), pattern);
                    conditions.push(c);
                    params.push(p);
                }
            }
        }
        if let Some(name) = self.runname.as_deref().filter(|n| *n != "%") {
            let (c, p) = like_or_glob("runname", name);
            conditions.push(c);
            params.push(p);
        }
        (conditions, params)
    }
}
