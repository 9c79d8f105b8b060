//! `-archive restore`: each selected archived test's directory brought back from its block
//! to where it was (a directory still there is moved aside to `.NAME` first), its link-tree
//! link made again, and its record set COMPLETED with its status kept.

use super::method::Method;
use super::save::{Outcome, Place};
use crate::db::{ArchiveEntry, RunRecord, Store, TestFilter, TestRecord};
use crate::error::{Error, Result};
use crate::model::{State, full_test_name};
use crate::runner::removal::{held_by_runner, recorded_place};
use crate::writer::Writer;
use std::path::{Path, PathBuf};

/// Restores the selected archived tests of `run`; a test that cannot be restored is named
/// and counted as refused, the others go on.
pub fn restore_tests(
    store: &Store,
    at: &Place<'_>,
    run: &RunRecord,
    filter: &TestFilter,
    on_restored: &mut dyn FnMut(&TestRecord),
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    if held_by_runner(store, run, "restored")? {
        outcome.refused = 1;
        return Ok(outcome);
    }
    let itemized = store.item_counts(run.id())?;
    let linktree = crate::runner::Settings::read(at.area).linktree;
    let writer = Writer::new(store, at.triggers);
    for test in store.tests_for_run(run.id(), filter)? {
        if test.item_path().is_empty() && itemized.contains_key(&test.testname()) {
            continue;
        }
        let what = format!(
            "{}/{}/{}",
            run.target(),
            run.runname(),
            full_test_name(&test.testname(), &test.item_path())
        );
        let Some(entry) = store.archive_of(test.id())? else {
            let block = test
                .field("archived")
                .map_or(0, |f| f.to_string().parse().unwrap_or(0));
            if block > 0 {
                crate::warn!(
                    "{what} names archive block {block}, which the database does not hold; not restored"
                );
                outcome.refused += 1;
            }
            continue;
        };
        if test.state().is_active() {
            crate::warn!("{what} is {}; not restored over it", test.state());
            outcome.refused += 1;
            continue;
        }
        match restore_test(at, run, &test, &entry, &linktree) {
            Ok(()) => {
                writer.set_state_status(test.id(), Some(&State::Completed), None, None)?;
                on_restored(&test);
                outcome.done.push(test);
            }
            Err(e) => {
                crate::output::log::emit(format_args!(
                    "{}",
                    crate::error::render(&e.note(format!("{what} was not restored"))).trim_end()
                ));
                outcome.refused += 1;
            }
        }
    }
    Ok(outcome)
}

fn restore_test(
    at: &Place<'_>,
    run: &RunRecord,
    test: &TestRecord,
    entry: &ArchiveEntry,
    linktree: &Path,
) -> Result<()> {
    let Some((root, suffix)) = recorded_place(run, test) else {
        return Err(Error::new(format!(
            "the recorded run directory `{}` is not one this area lays out",
            test.shortdir()
        )));
    };
    let known = root
        .canonicalize()
        .is_ok_and(|real| at.roots.contains(&real));
    if !known {
        return Err(Error::new(format!(
            "the disk `{}` the test was on is not there, or is no longer a disk of this area",
            root.display()
        ))
        .note("add it back to [disks] (or make the directory) and restore again"));
    }
    let dir = root.join(&suffix);
    let existed = std::fs::symlink_metadata(&dir).is_ok();
    // Laid out and checked first (no symlink leads outside the disk), with its link.
    let work = crate::launch::plan_work_area(
        &root,
        linktree,
        &run.target(),
        &run.runname(),
        &test.testname(),
        &test.item_path(),
    )?;
    work.create()?;
    let method = method_of(&entry.method, &at.settings.method)?;
    let location = if entry.location.is_empty() {
        // An archive 1.65 made: its branch is AREA-RUNID.
        format!("{}-{}", at.settings.area_name, run.id().0)
    } else {
        entry.location.clone()
    };
    // Restored beside it first: a failing archiver leaves the directory as it was.
    let parent = dir.parent().unwrap_or(&root);
    let scratch = parent.join(format!(
        ".megatest-restore-{}-{}",
        std::process::id(),
        dir.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let restored = scratch.join(&suffix);
    let outcome = method
        .restore(Path::new(&entry.block), &location, &scratch, &suffix)
        .and_then(|()| {
            if restored.is_dir() {
                Ok(())
            } else {
                Err(Error::new(format!(
                    "the archive in `{}` gave back nothing for `{}`",
                    entry.block,
                    suffix.display()
                )))
            }
        });
    if let Err(e) = outcome {
        let _ = std::fs::remove_dir_all(&scratch);
        if !existed {
            let _ = std::fs::remove_dir(&dir);
        }
        return Err(e);
    }
    if existed {
        let aside = moved_aside(&dir);
        crate::warn!(
            "the directory `{}` still exists; moved to `{}`",
            dir.display(),
            aside.display()
        );
        std::fs::rename(&dir, &aside).map_err(|e| crate::sys::io_error("move aside", &dir, &e))?;
    } else {
        // The empty directory the layout made.
        let _ = std::fs::remove_dir(&dir);
    }
    std::fs::rename(&restored, &dir)
        .map_err(|e| crate::sys::io_error("put in place the restored", &dir, &e))?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// `DIR`'s sibling `.NAME` (or `.NAME.2`, ...) that does not exist yet.
fn moved_aside(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut aside = dir.with_file_name(format!(".{name}"));
    let mut n = 2;
    while std::fs::symlink_metadata(&aside).is_ok() {
        aside = dir.with_file_name(format!(".{name}.{n}"));
        n += 1;
    }
    aside
}

/// The archiver that wrote an archive: the configured one when it is of the same kind
/// (its program and settings), else that kind's default.
fn method_of(recorded: &str, configured: &Method) -> Result<Method> {
    if recorded == configured.name() {
        return Ok(configured.clone());
    }
    match recorded {
        "bup" => Ok(Method::Bup {
            exe: "bup".into(),
            compress: 9,
        }),
        "tar" => Ok(Method::Tar { exe: "tar".into() }),
        other => Err(Error::new(format!(
            "the archive was written by `{other}`, which this version cannot read"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_moved_aside_takes_a_free_name() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        assert_eq!(moved_aside(&dir), tmp.path().join(".t"));
        std::fs::create_dir(tmp.path().join(".t")).unwrap();
        assert_eq!(moved_aside(&dir), tmp.path().join(".t.2"));
    }
}
