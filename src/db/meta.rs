//! `test_meta` (per-test metadata from testconfigs) and `metadat` (variables).

use super::store::Store;
use crate::error::Result;
use rusqlite::OptionalExtension;

/// The `test_meta` fields a testconfig's `[test_meta]` may set.
pub const META_FIELDS: [&str; 6] = [
    "author",
    "owner",
    "description",
    "reviewed",
    "tags",
    "jobgroup",
];

impl Store {
    /// Updates a test's metadata; returns the fields that changed, with their new values.
    pub fn update_test_meta(
        &self,
        testname: &str,
        values: &[(&str, String)],
    ) -> Result<Vec<(String, String)>> {
        self.write(|c| {
            c.execute(
                "INSERT OR IGNORE INTO test_meta (testname) VALUES (?1)",
                [testname],
            )?;
            let mut changed = Vec::new();
            for (field, value) in values {
                if !META_FIELDS.contains(field) {
                    continue;
                }
                let current: Option<String> = c.query_row(
                    &format!("SELECT {field} FROM test_meta WHERE testname=?1"),
                    [testname],
                    |r| r.get(0),
                )?;
                if current.as_deref() != Some(value.as_str()) {
                    c.execute(
                        &format!("UPDATE test_meta SET {field}=?1 WHERE testname=?2"),
                        (value, testname),
                    )?;
                    changed.push((field.to_string(), value.clone()));
                }
            }
            Ok(changed)
        })
    }

    /// A test's tags (comma-separated), if it has metadata.
    pub fn test_tags(&self, testname: &str) -> Result<Option<String>> {
        self.read(|c| {
            c.query_row(
                "SELECT tags FROM test_meta WHERE testname=?1",
                [testname],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// A `metadat` variable.
    pub fn var(&self, name: &str) -> Result<Option<String>> {
        self.read(|c| {
            c.query_row("SELECT val FROM metadat WHERE var=?1", [name], |r| r.get(0))
                .optional()
        })
    }

    /// The `metadat` variables whose names start with `prefix`, with their values.
    pub fn vars_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT var, val FROM metadat WHERE substr(var, 1, length(?1)) = ?1 ORDER BY var",
            )?;
            stmt.query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
    }

    /// SQLite's `data_version`: it changes when another connection commits to the
    /// database (what a live view polls).
    pub fn data_version(&self) -> Result<i64> {
        self.read(|c| c.query_row("PRAGMA data_version", [], |r| r.get(0)))
    }

    /// Removes a `metadat` variable.
    pub fn clear_var(&self, name: &str) -> Result<()> {
        self.write(|c| {
            c.execute("DELETE FROM metadat WHERE var=?1", [name])?;
            Ok(())
        })
    }

    /// Sets a `metadat` variable.
    pub fn set_var(&self, name: &str, value: &str) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT OR REPLACE INTO metadat (var, val) VALUES (?1, ?2)",
                (name, value),
            )?;
            Ok(())
        })
    }
}
