//! The `runs` table: registering runs, selecting them by target and name patterns, their
//! status, locks and removal.

use super::records::RunRecord;
use super::store::{Store, now};
use crate::area::Target;
use crate::error::Result;
use crate::model::RunId;
use crate::select::RunSelector;
use rusqlite::{OptionalExtension, params_from_iter};

impl Store {
    /// Registers a run (or reuses it; a deleted one is revived) and returns its id.
    pub fn register_run(
        &self,
        target: &Target,
        runname: &str,
        owner: &str,
        contour: &str,
    ) -> Result<RunId> {
        crate::model::check_run_name(runname)?;
        let keys = self.keys().to_vec();
        let values = target.values().to_vec();
        self.write(|c| {
            let key_cols: String = keys.iter().map(|k| format!("\"{k}\",")).collect();
            let marks: String = keys.iter().map(|_| "?,").collect();
            let mut params: Vec<rusqlite::types::Value> = values.iter().map(|v| v.clone().into()).collect();
            params.extend([
                runname.to_string().into(),
                owner.to_string().into(),
                now().into(),
                contour.to_string().into(),
            ]);
            c.execute(
                &format!(
                    "INSERT OR IGNORE INTO runs ({key_cols}runname,state,status,owner,event_time,contour) VALUES ({marks}?,'new','n/a',?,?,?)"
                ),
                params_from_iter(params.iter()),
            )?;
            let cond: String = keys.iter().map(|k| format!(" AND \"{k}\"=?")).collect();
            let mut find: Vec<rusqlite::types::Value> = vec![runname.to_string().into()];
            find.extend(values.iter().map(|v| rusqlite::types::Value::from(v.clone())));
            let (id, state): (RunId, String) = c.query_row(
                &format!("SELECT id, coalesce(state,'') FROM runs WHERE runname=?{cond}"),
                params_from_iter(find.iter()),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if state == "deleted" {
                c.execute(
                    "UPDATE runs SET state='new', status='n/a', event_time=?1 WHERE id=?2",
                    (now(), id),
                )?;
            }
            Ok(id)
        })
    }

    /// Runs matching the selector (not deleted), oldest first.
    pub fn runs(&self, selector: &RunSelector) -> Result<Vec<RunRecord>> {
        let keys = self.keys().to_vec();
        let (mut conditions, params) = selector.conditions(&keys);
        conditions.push("coalesce(state,'') != 'deleted'".into());
        let sql = format!(
            "SELECT {} FROM runs WHERE {} ORDER BY event_time ASC, id ASC",
            RunRecord::columns(&keys),
            conditions.join(" AND ")
        );
        self.read(|c| {
            let mut stmt = c.prepare(&sql)?;

            stmt.query_map(params_from_iter(params.iter()), |r| {
                RunRecord::from_row(r, keys.len())
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
    }

    /// One run.
    pub fn run(&self, id: RunId) -> Result<Option<RunRecord>> {
        let keys = self.keys().to_vec();
        let sql = format!("SELECT {} FROM runs WHERE id=?1", RunRecord::columns(&keys));
        self.read(|c| {
            c.query_row(&sql, [id], |r| RunRecord::from_row(r, keys.len()))
                .optional()
        })
    }

    /// Sets a run's status, and its comment when given.
    pub fn set_run_status(&self, id: RunId, status: &str, comment: Option<&str>) -> Result<()> {
        self.write(|c| {
            c.execute("UPDATE runs SET status=?1 WHERE id=?2", (status, id))?;
            if let Some(m) = comment {
                c.execute("UPDATE runs SET comment=?1 WHERE id=?2", (m, id))?;
            }
            Ok(())
        })
    }

    /// Locks or unlocks a run (`runs.state`), logging who did it in `access_log`.
    pub fn set_run_lock(&self, id: RunId, locked: bool, user: &str) -> Result<()> {
        let word = if locked { "locked" } else { "unlocked" };
        self.write(|c| {
            c.execute("UPDATE runs SET state=?1 WHERE id=?2", (word, id))?;
            c.execute(
                "INSERT INTO access_log (user, accessed, args) VALUES (?1, ?2, ?3)",
                (user, now(), format!("{word} {id}")),
            )?;
            Ok(())
        })
    }

    /// Marks a run deleted: its tests become DELETED and their steps and data go.
    pub fn mark_run_deleted(&self, id: RunId) -> Result<()> {
        self.write(|c| {
            c.execute(
                "DELETE FROM test_steps WHERE test_id IN (SELECT id FROM tests WHERE run_id=?1)",
                [id],
            )?;
            c.execute(
                "DELETE FROM test_data WHERE test_id IN (SELECT id FROM tests WHERE run_id=?1)",
                [id],
            )?;
            c.execute(
                "UPDATE tests SET state='DELETED', status='n/a' WHERE run_id=?1",
                [id],
            )?;
            c.execute("UPDATE runs SET state='deleted' WHERE id=?1", [id])?;
            c.execute("DELETE FROM run_stats WHERE run_id=?1", [id])?;
            Ok(())
        })
    }

    /// Distinct targets of the runs that are not deleted, in order of first registration.
    pub fn db_targets(&self) -> Result<Vec<String>> {
        let mut seen: Vec<String> = Vec::new();
        for run in self.runs(&RunSelector::default())? {
            let t = run.target();
            if !seen.contains(&t) {
                seen.push(t);
            }
        }
        Ok(seen)
    }
}
