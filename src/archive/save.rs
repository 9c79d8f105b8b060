//! `-archive save|save-remove|keep-html`: the selected tests' run directories saved into a
//! block, grouped by the disk they are on; `tests.archived` and `archives` record where, and
//! `save-remove` then removes each saved directory (ARCHIVE_REMOVING, then ARCHIVED, the
//! status kept).

use super::block;
use super::settings::ArchiveSettings;
use crate::area::Area;
use crate::db::{RunRecord, Store, TestFilter, TestRecord};
use crate::error::Result;
use crate::model::{State, full_test_name};
use crate::runner::removal::{
    Roots, TestPlace, check_test_dirs, delete_dirs_of_all, delete_test_dirs, held_by_runner,
    test_place,
};
use crate::writer::{TriggerTable, Writer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What happens to a test's directory once it is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Kept (`save`, and `keep-html`, which 1.65 treats the same).
    Keep,
    /// Removed, the record kept (`save-remove`).
    Remove,
}

/// What an archive command did with a run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The tests it saved or restored.
    pub done: Vec<TestRecord>,
    /// The tests it refused (each said why).
    pub refused: usize,
}

/// Where [`save_tests`] works.
pub struct Place<'a> {
    /// The area.
    pub area: &'a Area,
    /// Its `[archive]` settings.
    pub settings: &'a ArchiveSettings,
    /// Where run directories may be.
    pub roots: &'a Roots,
    /// The tests' triggers (state changes fire them).
    pub triggers: &'a TriggerTable,
}

/// Saves the selected tests of `run`. Tests that cannot be archived (a toplevel with items,
/// a test still running, one whose directory is gone) are named and left; a failing
/// archiver stops the command with nothing of its group removed.
pub fn save_tests(
    store: &Store,
    at: &Place<'_>,
    run: &RunRecord,
    filter: &TestFilter,
    mode: SaveMode,
    on_saved: &mut dyn FnMut(&TestRecord, (usize, usize)),
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    if held_by_runner(store, run, "archived")? {
        outcome.refused = 1;
        return Ok(outcome);
    }
    let itemized = store.item_counts(run.id())?;
    let writer = Writer::new(store, at.triggers);
    let mut places: Vec<(TestRecord, TestPlace)> = Vec::new();
    for test in store.tests_for_run(run.id(), filter)? {
        let name = full_test_name(&test.testname(), &test.item_path());
        let what = format!("{}/{}/{name}", run.target(), run.runname());
        if test.item_path().is_empty() && itemized.contains_key(&test.testname()) {
            crate::debug!(
                1,
                "{what} is a toplevel test with items: its items are archived"
            );
            continue;
        }
        let state = test.state();
        if state.is_active() {
            crate::warn!("{what} is {state}; not archived");
            outcome.refused += 1;
            continue;
        }
        if state == State::Archived {
            crate::warn!("{what} is ARCHIVED already (restore it to archive it again)");
            continue;
        }
        if state == State::ArchiveRemoving {
            // Saved, its removal cut short: finished here, never saved again over the archive.
            let saved = store.archive_of(test.id())?.is_some();
            if mode == SaveMode::Remove && saved {
                if finish_removal(&writer, run, &test, at.roots)? {
                    on_saved(&test, (0, 0));
                    outcome.done.push(test);
                } else {
                    outcome.refused += 1;
                }
            } else {
                crate::warn!(
                    "{what} is ARCHIVE_REMOVING: {}",
                    if saved {
                        "its removal was cut short; `-archive save-remove` finishes it"
                    } else {
                        "it has no archive; set its state (-set-state-status) before archiving it"
                    }
                );
                outcome.refused += 1;
            }
            continue;
        }
        let Some(place) = test_place(run, &test, at.roots) else {
            if std::fs::symlink_metadata(test.shortdir()).is_ok() {
                crate::warn!(
                    "{what}: `{}` is not a run directory this area made; not archived",
                    test.shortdir()
                );
                outcome.refused += 1;
            } else {
                crate::warn!(
                    "{what} has no run directory to archive (`{}`)",
                    test.shortdir()
                );
            }
            continue;
        };
        if mode == SaveMode::Remove
            && let Err(e) = check_test_dirs(run, &test, at.roots)
        {
            report(&e.note("not archived"));
            outcome.refused += 1;
            continue;
        }
        places.push((test, place));
    }
    let sizes = disk_usage_of_all(&places);
    let chosen: Vec<(TestRecord, TestPlace, u64)> = places
        .into_iter()
        .zip(sizes)
        .map(|((test, place), du)| (test, place, du))
        .collect();
    if chosen.is_empty() {
        return Ok(outcome);
    }
    let needed: u64 = chosen.iter().map(|(_, _, du)| du).sum();
    let total = chosen.len();
    let mut seen = 0;
    crate::output::log::emit(format_args!(
        "INFO: (0) archiving {} tests of {}/{}: {} MB on disk",
        chosen.len(),
        run.target(),
        run.runname(),
        needed.div_ceil(1024)
    ));
    let block = block::allocate(store, at.settings, &at.area.top, needed)?;
    crate::output::log::emit(format_args!(
        "INFO: (0) Using path {} for archiving",
        block.path.display()
    ));
    let mut groups: BTreeMap<PathBuf, Vec<(TestRecord, TestPlace, u64)>> = BTreeMap::new();
    for entry in chosen {
        groups.entry(entry.1.root.clone()).or_default().push(entry);
    }
    let name = format!(
        "{}-{}",
        block::safe_name(&at.settings.area_name),
        run.id().0
    );
    for (root, tests) in groups {
        let suffixes: Vec<PathBuf> = tests.iter().map(|(_, p, _)| p.suffix.clone()).collect();
        let location = at
            .settings
            .method
            .save(&block.path, &root, &suffixes, &name)
            .map_err(|e| {
                e.note("the tests of this disk were not archived, and nothing of them was removed")
            })?;
        // One commit for the group's records, rather than one per test; none when one fails.
        store.transaction(|| -> Result<()> {
            for (test, _, du) in &tests {
                let method = at.settings.method.name();
                store.record_archive(test.id(), block.id, method, &location, *du)?;
            }
            Ok(())
        })?;
        let mut saved = Vec::new();
        for (test, _, _) in tests {
            // Looked at again: a runner may have taken the test while it was being saved.
            if mode == SaveMode::Remove
                && store.test(test.id())?.map(|t| t.state()) != Some(test.state())
            {
                crate::warn!(
                    "{}/{}/{} changed while it was being saved; archived, not removed",
                    run.target(),
                    run.runname(),
                    full_test_name(&test.testname(), &test.item_path())
                );
                outcome.refused += 1;
                continue;
            }
            saved.push(test);
        }
        for batch in saved.chunks(REMOVAL_BATCH) {
            let removed = match mode {
                SaveMode::Remove => remove_saved(&writer, run, batch, at)?,
                SaveMode::Keep => vec![true; batch.len()],
            };
            for (test, removed) in batch.iter().zip(removed) {
                seen += 1;
                if removed {
                    on_saved(test, (seen, total));
                    outcome.done.push(test.clone());
                } else {
                    outcome.refused += 1;
                }
            }
        }
    }
    Ok(outcome)
}

/// How many saved tests are removed together: one transaction sets them ARCHIVE_REMOVING,
/// their directories go in parallel, and one transaction sets the removed ones ARCHIVED.
const REMOVAL_BATCH: usize = 256;

/// Removes saved tests' directories, `[setup] max_concurrent_jobs` at a time (at most 8),
/// with ARCHIVE_REMOVING before and ARCHIVED after, each for all of them in one transaction
/// (their triggers fire after it); whether each went. When a batch's write fails, each test
/// goes on its own as before.
fn remove_saved(
    writer: &Writer<'_, Store>,
    run: &RunRecord,
    batch: &[TestRecord],
    at: &Place<'_>,
) -> Result<Vec<bool>> {
    let ids: Vec<_> = batch.iter().map(TestRecord::id).collect();
    if writer
        .set_state_status_of_all(&ids, &State::ArchiveRemoving, None)
        .is_err()
    {
        return batch
            .iter()
            .map(|test| {
                writer.set_state_status(test.id(), Some(&State::ArchiveRemoving), None, None)?;
                finish_removal(writer, run, test, at.roots)
            })
            .collect();
    }
    let tests: Vec<&TestRecord> = batch.iter().collect();
    let workers = crate::runner::removal::RemoveOptions::workers_of(at.area);
    let deleted = delete_dirs_of_all(run, &tests, at.roots, workers);
    let mut gone = Vec::new();
    let removed: Vec<bool> = deleted
        .into_iter()
        .zip(batch)
        .map(|(result, test)| match result {
            Ok(()) => {
                gone.push(test.id());
                true
            }
            Err(e) => {
                report(&e.note(
                    "the test is archived and stays ARCHIVE_REMOVING; `-archive save-remove` again finishes the removal",
                ));
                false
            }
        })
        .collect();
    if writer
        .set_state_status_of_all(&gone, &State::Archived, None)
        .is_err()
    {
        for id in gone {
            writer.set_state_status(id, Some(&State::Archived), None, None)?;
        }
    }
    Ok(removed)
}

/// Removes a saved test's directories and sets it ARCHIVED; false (said) when they could
/// not all go. A removal that stopped part-way leaves the test ARCHIVE_REMOVING, so that
/// no later save takes the remains for the test and hides its archive.
fn finish_removal(
    writer: &Writer<'_, Store>,
    run: &RunRecord,
    test: &TestRecord,
    roots: &Roots,
) -> Result<bool> {
    match delete_test_dirs(run, test, roots) {
        Ok(()) => {
            writer.set_state_status(test.id(), Some(&State::Archived), None, None)?;
            Ok(true)
        }
        Err(e) => {
            report(&e.note(
                "the test is archived and stays ARCHIVE_REMOVING; `-archive save-remove` again finishes the removal",
            ));
            Ok(false)
        }
    }
}

/// Says an error and goes on.
fn report(e: &crate::error::Error) {
    crate::output::log::emit(format_args!("{}", crate::error::render(e).trim_end()));
}

/// The sizes of the places' directories, measured a few at a time (on a network filesystem
/// each directory read waits on the server).
fn disk_usage_of_all(places: &[(TestRecord, TestPlace)]) -> Vec<u64> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    crate::sys::parallel::map_in_shares(
        places,
        threads,
        |(_, p)| disk_usage_kib(&p.physical),
        |_| 0,
    )
}

/// The size of the files under `dir` (symlinks not followed), in KiB.
fn disk_usage_kib(dir: &Path) -> u64 {
    fn walk(dir: &Path) -> u64 {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path()),
                Ok(_) => e.metadata().map_or(0, |m| m.len()),
                Err(_) => 0,
            })
            .sum()
    }
    walk(dir).div_ceil(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_usage_counts_every_file() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        std::fs::write(tmp.path().join("a/b/f"), vec![0u8; 3000]).unwrap();
        std::fs::write(tmp.path().join("g"), vec![0u8; 100]).unwrap();
        assert_eq!(disk_usage_kib(tmp.path()), 4);
    }
}
