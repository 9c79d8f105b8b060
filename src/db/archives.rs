//! The archive records (spec §14, §17.2): the disks and blocks archives were written to
//! (`archive_disks`, `archive_blocks`), what each test's archive is (`archives`: its method
//! and where in the block), and `tests.archived`, the block of a test's latest archive.

use super::store::{Store, now};
use crate::error::Result;
use crate::model::TestId;
use rusqlite::OptionalExtension;

/// A test's latest archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The block's directory.
    pub block: String,
    /// `bup` or `tar`.
    pub method: String,
    /// Where in the block: a bup branch, or a tar file.
    pub location: String,
}

impl Store {
    /// The id of the archive disk `name` at `path` (registered now if new), its free space
    /// (KiB) noted.
    pub fn register_archive_disk(&self, name: &str, path: &str, free_kib: u64) -> Result<i64> {
        self.write(|c| {
            let found: Option<i64> = c
                .prepare_cached(
                    "SELECT id FROM archive_disks WHERE archive_area_name=?1 AND disk_path=?2",
                )?
                .query_row((name, path), |r| r.get(0))
                .optional()?;
            let id = match found {
                Some(id) => id,
                None => {
                    c.execute(
                        "INSERT INTO archive_disks (archive_area_name, disk_path) VALUES (?1, ?2)",
                        (name, path),
                    )?;
                    c.last_insert_rowid()
                }
            };
            c.execute(
                "UPDATE archive_disks SET last_df=?1, last_df_time=?2 WHERE id=?3",
                (free_kib as i64, now(), id),
            )?;
            Ok(id)
        })
    }

    /// The id of the block at `path` on disk `disk_id` (registered now if new).
    pub fn register_archive_block(&self, disk_id: i64, path: &str) -> Result<i64> {
        self.write(|c| {
            let found: Option<i64> = c
                .prepare_cached("SELECT id FROM archive_blocks WHERE disk_path=?1")?
                .query_row([path], |r| r.get(0))
                .optional()?;
            match found {
                Some(id) => Ok(id),
                None => {
                    c.execute(
                        "INSERT INTO archive_blocks (archive_disk_id, disk_path) VALUES (?1, ?2)",
                        (disk_id, path),
                    )?;
                    Ok(c.last_insert_rowid())
                }
            }
        })
    }

    /// Records that `test_id` was archived in block `block_id` by `method` at `location`
    /// (`du` KiB): `tests.archived` and a row of `archives`.
    pub fn record_archive(
        &self,
        test_id: TestId,
        block_id: i64,
        method: &str,
        location: &str,
        du_kib: u64,
    ) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO archives (test_id, state, status, archive_type, du, archive_path) VALUES (?1, 'saved', ?2, ?3, ?4, ?5)",
                (test_id, block_id, method, du_kib as i64, location),
            )?;
            c.execute(
                "UPDATE tests SET archived=?1 WHERE id=?2",
                (block_id, test_id),
            )?;
            Ok(())
        })
    }

    /// The latest archive of a test, from `tests.archived`: with no `archives` row (an
    /// archive 1.65 made) the method is bup and the location empty.
    pub fn archive_of(&self, test_id: TestId) -> Result<Option<ArchiveEntry>> {
        self.read(|c| {
            let block: Option<(i64, String)> = c
                .prepare_cached(
                    "SELECT b.id, b.disk_path FROM tests AS t JOIN archive_blocks AS b ON b.id = t.archived WHERE t.id=?1 AND t.archived > 0",
                )?
                .query_row([test_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((block_id, block)) = block else {
                return Ok(None);
            };
            let entry: Option<(String, String)> = c
                .prepare_cached(
                    "SELECT archive_type, archive_path FROM archives WHERE test_id=?1 AND status=?2 ORDER BY id DESC LIMIT 1",
                )?
                .query_row((test_id, block_id.to_string()), |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (method, location) = entry.unwrap_or_else(|| ("bup".into(), String::new()));
            Ok(Some(ArchiveEntry {
                block,
                method,
                location,
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_is_found_through_its_test() {
        let tmp = tempfile::tempdir().unwrap();
        let (store, target) = Store::scratch(tmp.path());
        let run = store.register_run(&target, "r1", "me", "").unwrap();
        let test = store.register_test(run, "t", "").unwrap();
        assert_eq!(store.archive_of(test).unwrap(), None);
        let disk = store.register_archive_disk("a1", "/arch", 10).unwrap();
        assert_eq!(
            store.register_archive_disk("a1", "/arch", 20).unwrap(),
            disk
        );
        let block = store
            .register_archive_block(disk, "/arch/2026_q4/x_12345")
            .unwrap();
        assert_eq!(
            store
                .register_archive_block(disk, "/arch/2026_q4/x_12345")
                .unwrap(),
            block
        );
        store
            .record_archive(test, block, "tar", "/arch/b.tar", 4)
            .unwrap();
        store.record_archive(test, block, "bup", "x-1", 4).unwrap();
        assert_eq!(
            store.archive_of(test).unwrap(),
            Some(ArchiveEntry {
                block: "/arch/2026_q4/x_12345".into(),
                method: "bup".into(),
                location: "x-1".into(),
            })
        );
    }
}
