//! Which batch job or remote host carries a test: one row per test record in `test_jobs`
//! (a Slurm job id, or the ssh pool host), so a runner started again follows the jobs an
//! earlier one submitted instead of submitting them twice. A launch clears the row (see
//! `mark_launched`); the launcher writes it once the job exists.

use super::store::{Store, now};
use crate::error::Result;
use crate::model::TestId;

/// The job behind a test record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestJob {
    /// The test record.
    pub test_id: TestId,
    /// `slurm` or `ssh`.
    pub launcher: String,
    /// The Slurm job id, or the ssh host.
    pub job: String,
    /// When it was submitted (seconds since the epoch).
    pub submitted: i64,
}

impl Store {
    /// Records the job that carries `test_id`'s current launch.
    pub fn set_test_job(&self, test_id: TestId, launcher: &str, job: &str) -> Result<()> {
        self.write(|c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO test_jobs (test_id, launcher, job, submitted) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute((test_id, launcher, job, now()))?;
            Ok(())
        })
    }

    /// The jobs of these records (those that have one).
    pub fn test_jobs(&self, ids: &[TestId]) -> Result<Vec<TestJob>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT test_id, launcher, job, submitted FROM test_jobs WHERE test_id=?1",
            )?;
            let mut jobs = Vec::new();
            for id in ids {
                let mut rows = stmt.query_map([id], |r| {
                    Ok(TestJob {
                        test_id: r.get(0)?,
                        launcher: r.get(1)?,
                        job: r.get(2)?,
                        submitted: r.get(3)?,
                    })
                })?;
                if let Some(job) = rows.next() {
                    jobs.push(job?);
                }
            }
            Ok(jobs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::RecordWrites;

    #[test]
    fn a_launch_forgets_the_last_job() {
        let dir = tempfile::tempdir().unwrap();
        let (store, target) = Store::scratch(dir.path());
        let run = store.register_run(&target, "r", "me", "").unwrap();
        let ids = store.register_tests(run, &[("t", "")]).unwrap();
        store.set_test_job(ids[0], "slurm", "17").unwrap();
        let jobs = store.test_jobs(&ids).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            (jobs[0].launcher.as_str(), jobs[0].job.as_str()),
            ("slurm", "17")
        );
        store.mark_launched(ids[0], "/r", "/r", "h").unwrap();
        assert!(store.test_jobs(&ids).unwrap().is_empty());
    }
}
