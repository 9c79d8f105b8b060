//! `envdat.db` (`-envcap`, `-envdelta`, spec §15.7): environments saved under context names.

use crate::error::{Error, ErrorKind, Result};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;

/// An environment-capture database.
pub struct EnvDat {
    conn: Connection,
}

fn fail(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        Error::of(
            ErrorKind::Database,
            format!("environment database `{}`: {e}", path.display()),
        )
    }
}

impl EnvDat {
    /// Opens (creating) the database.
    pub fn open(path: &Path) -> Result<EnvDat> {
        let conn = Connection::open(path).map_err(fail(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(fail(path))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS envvars (id INTEGER PRIMARY KEY, context TEXT NOT NULL, var TEXT NOT NULL, val TEXT NOT NULL, CONSTRAINT envvars_constraint UNIQUE (context,var))",
        )
        .map_err(fail(path))?;
        Ok(EnvDat { conn })
    }

    /// Saves `vars` as context `name`, replacing what it held.
    pub fn save(&mut self, name: &str, vars: &[(String, String)]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM envvars WHERE context=?1", [name])?;
        {
            let mut stmt = tx.prepare("INSERT INTO envvars (context,var,val) VALUES (?1,?2,?3)")?;
            for (var, val) in vars {
                stmt.execute((name, var, val))?;
            }
        }
        tx.commit()
    }

    /// A saved context, or `None` if there is no such context.
    pub fn context(&self, name: &str) -> rusqlite::Result<Option<BTreeMap<String, String>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT var, val FROM envvars WHERE context=?1")?;
        let vars: BTreeMap<String, String> = stmt
            .query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok((!vars.is_empty()).then_some(vars))
    }
}
