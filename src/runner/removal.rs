//! Removing tests (spec §15.5): running ones are asked to stop, then their run directory and
//! link-tree link go and the record is marked DELETED; a run whose tests are all gone is
//! marked deleted. Only directories laid out as the tool lays them out, under the link
//! tree or a disk (symlinks resolved), are ever deleted.

use crate::area::Area;
use crate::config::{ReadOptions, SystemPolicy, read_file};
use crate::db::{RunRecord, Store, TestFilter, TestRecord};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{State, Status};
use crate::runner::nested::NestedRun;
use crate::writer::{TriggerTable, Writer};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a running test gets to stop after KILLREQ.
const KILL_WAIT: Duration = Duration::from_secs(10);

/// How many tests are removed together: one transaction marks them REMOVING, their
/// directories go in parallel, and one transaction marks them DELETED.
const BATCH: usize = 256;

/// What to keep, and how many directories to remove at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveOptions {
    /// Keep the database records; remove only the files.
    pub keep_records: bool,
    /// Directories removed at the same time (0 or 1: one at a time).
    pub workers: usize,
}

impl RemoveOptions {
    /// The workers an area allows: its `[setup] max_concurrent_jobs`, at most 8 (removal
    /// waits on the disk, and a network filesystem answers a few requests at a time).
    pub fn workers_of(area: &Area) -> usize {
        area.config
            .get("setup", "max_concurrent_jobs")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(8)
            .clamp(1, 8)
    }
}

/// Deletes a run directory; refuses paths too short to be a test's directory.
fn remove_directory(path: &Path) -> Result<()> {
    let text = path.to_string_lossy();
    if text.len() <= 5 || path.parent().is_none() {
        return Err(Error::new(format!(
            "refusing to remove `{text}`: not a test directory"
        )));
    }
    if !path.exists() {
        return Ok(());
    }
    if std::fs::remove_dir_all(path).is_ok() {
        return Ok(());
    }
    // Read-only files or directories: make them writable and try again.
    let _ = std::process::Command::new("chmod")
        .args(["-R", "u+rwx"])
        .arg(path)
        .status();
    std::fs::remove_dir_all(path).map_err(|e| {
        Error::of(
            ErrorKind::Io,
            format!("cannot remove `{text}`: {}", crate::sys::io_reason(&e)),
        )
    })
}

/// The directories run directories may be under: the link tree, the default disk and every
/// `[disks]` entry (the area's, and those of testconfigs that have their own), resolved.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    dirs: Vec<PathBuf>,
}

impl Roots {
    /// The roots of `area`.
    pub fn of_area(area: &Area) -> Roots {
        Roots::new(Roots::candidates_of_area(area))
    }

    /// The directories that may be the roots of `area`, whether they exist yet or not
    /// (reading testconfigs for their `[disks]`): a long-lived reader resolves them with
    /// [`Roots::new`] when it needs them, so directories made later count.
    pub fn candidates_of_area(area: &Area) -> Vec<PathBuf> {
        let settings = crate::runner::Settings::read(area);
        let mut candidates = vec![settings.linktree, settings.default_disk];
        let mut disks = area.disks();
        for dir in area.tests().values() {
            let has_disks = std::fs::read_to_string(dir.join("testconfig"))
                .is_ok_and(|t| t.contains("[disks]"));
            if has_disks {
                // Read for its [disks] only: no command or Scheme of it runs here.
                let mut opts = ReadOptions::new(dir);
                opts.system = SystemPolicy::Raw;
                opts.toppath = Some(area.top.clone());
                match read_file(&dir.join("testconfig"), &opts) {
                    Ok(Some(config)) => disks.extend(config.pairs("disks")),
                    Ok(None) => {}
                    Err(e) => crate::warn!("{e}"),
                }
            }
        }
        candidates.extend(disks.into_iter().map(|(_, p)| PathBuf::from(p.trim())));
        candidates
    }

    /// These directories, resolved; those that do not exist are left out.
    pub fn new(candidates: impl IntoIterator<Item = PathBuf>) -> Roots {
        let mut dirs: Vec<PathBuf> = candidates
            .into_iter()
            .filter_map(|d| d.canonicalize().ok())
            .collect();
        dirs.sort();
        dirs.dedup();
        Roots { dirs }
    }

    /// Whether the resolved path `real` is under one of the roots.
    pub fn contains(&self, real: &Path) -> bool {
        self.dirs.iter().any(|root| real.starts_with(root))
    }

    /// `path` resolved, when that is `ROOT/suffix` for one of the roots.
    fn resolved(&self, path: &Path, suffix: &Path) -> Option<PathBuf> {
        let real = path.canonicalize().ok()?;
        self.dirs
            .iter()
            .any(|root| real == root.join(suffix))
            .then_some(real)
    }
}

/// `TARGET/RUN/TEST[/ITEM]`, the layout every run directory ends with (spec §9.4), when each
/// name is one the tool could have made a directory of.
fn layout_suffix(run: &RunRecord, test: &TestRecord) -> Option<PathBuf> {
    let (target, runname, name, item) = (
        run.target(),
        run.runname(),
        test.testname(),
        test.item_path(),
    );
    let safe = target
        .split('/')
        .chain([runname.as_str(), name.as_str()])
        .all(|c| crate::model::check_component(c).is_ok())
        && crate::model::check_item_path(&item).is_ok();
    if !safe {
        return None;
    }
    let mut suffix = PathBuf::from(target).join(runname).join(name);
    if !item.is_empty() {
        suffix.push(crate::model::item_dir(&item));
    }
    Some(suffix)
}

/// What of the recorded directory `dir` is to be deleted, when it is one the tool made: it
/// must end with the test's layout and, symlinks resolved, be that layout under one of
/// `roots`. A directory comes back resolved (deleting that path follows no link that could
/// be swapped in later); a link-tree link comes back as itself, judged by where its parent
/// is, since only the link goes.
fn made_here(dir: &Path, suffix: &Path, roots: &Roots) -> Option<PathBuf> {
    if !dir.is_absolute() || !dir.ends_with(suffix) {
        return None;
    }
    if dir.is_symlink() {
        let parent = roots.resolved(dir.parent()?, suffix.parent()?)?;
        return Some(parent.join(dir.file_name()?));
    }
    roots.resolved(dir, suffix)
}

/// Removes one test: its physical directory, its link, and (unless kept) its record. A
/// directory that is not where the tool would have made it is left alone, and so is the
/// record pointing at it (an error says which).
pub fn remove_test(
    store: &Store,
    run: &RunRecord,
    test: &TestRecord,
    opts: RemoveOptions,
    roots: &Roots,
    triggers: &TriggerTable,
) -> Result<()> {
    let id = test.id();
    check_test_dirs(run, test, roots)?;
    let writer = Writer::new(store, triggers);
    if test.state().is_running() {
        writer.set_state_status(
            id,
            Some(&State::KillReq),
            Some(&Status::NotApplicable),
            None,
        )?;
        let started = Instant::now();
        loop {
            let state = store.test(id)?.map(|t| t.state());
            if state != Some(State::KillReq) {
                break;
            }
            if started.elapsed() > KILL_WAIT {
                let failed = (State::FailedKill, Status::NotApplicable);
                writer.set_state_status(id, Some(&failed.0), Some(&failed.1), None)?;
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // A nested run goes first; the test keeps its link to it until it is gone.
    let rundir = PathBuf::from(test.rundir());
    if let Some(nested) = NestedRun::recorded(&rundir) {
        let mut action = vec!["-remove-runs"];
        if opts.keep_records {
            action.push("-keep-records");
        }
        nested.operate(&rundir, &action, "remove")?;
        NestedRun::mark_removed(&rundir);
    }
    if !opts.keep_records {
        writer.set_state_status(id, Some(&State::Removing), Some(&Status::Locked), None)?;
    }
    delete_test_dirs(run, test, roots)?;
    if !opts.keep_records {
        store.mark_test_deleted(id)?;
    }
    Ok(())
}

/// Checks that each recorded directory of a test that is there (its physical directory and
/// its link-tree path) is one the tool made: the test's layout under one of `roots`.
pub fn check_test_dirs(run: &RunRecord, test: &TestRecord, roots: &Roots) -> Result<()> {
    let suffix = layout_suffix(run, test);
    for dir in &test_dirs(test) {
        let ours = suffix
            .as_ref()
            .and_then(|s| made_here(dir, s, roots))
            .is_some();
        if !ours {
            return Err(Error::new(format!(
                "not removing `{}` of {}/{}/{}: it is not a run directory this area made",
                dir.display(),
                run.target(),
                run.runname(),
                crate::model::full_test_name(&test.testname(), &test.item_path())
            ))
            .note("a run directory is TARGET/RUNNAME/TEST[/ITEM] under the link tree or a [disks] entry, with no symlink leading elsewhere")
            .note("its record is kept; remove the directory by hand if it is yours to remove"));
        }
    }
    Ok(())
}

/// The recorded directories of a test that are there: its physical directory and its
/// link-tree path.
fn test_dirs(test: &TestRecord) -> Vec<PathBuf> {
    [test.shortdir(), test.rundir()]
        .into_iter()
        .filter(|d| !d.is_empty() && d != "/tmp/badname")
        .map(PathBuf::from)
        .filter(|p| p.is_symlink() || p.is_dir())
        .collect()
}

/// Where a test's files are, when the tool made them there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPlace {
    /// Its physical directory, resolved.
    pub physical: PathBuf,
    /// The disk (or link tree) it is under, resolved.
    pub root: PathBuf,
    /// `TARGET/RUN/TEST[/ITEM]`: the physical directory is `root/suffix`.
    pub suffix: PathBuf,
}

/// The place of a test's physical directory (`shortdir`), when it exists and is one the
/// tool made: the test's layout under one of `roots`.
pub fn test_place(run: &RunRecord, test: &TestRecord, roots: &Roots) -> Option<TestPlace> {
    let suffix = layout_suffix(run, test)?;
    let dir = PathBuf::from(test.shortdir());
    if dir.is_symlink() || !dir.is_dir() {
        return None;
    }
    let physical = made_here(&dir, &suffix, roots)?;
    let root = physical
        .ancestors()
        .nth(suffix.components().count())?
        .to_path_buf();
    Some(TestPlace {
        physical,
        root,
        suffix,
    })
}

/// The root a test's physical directory was under, and its layout, from the record alone
/// (the directory may be gone): the recorded `shortdir` must end with the test's layout.
pub fn recorded_place(run: &RunRecord, test: &TestRecord) -> Option<(PathBuf, PathBuf)> {
    let suffix = layout_suffix(run, test)?;
    let dir = PathBuf::from(test.shortdir());
    if !dir.is_absolute() || !dir.ends_with(&suffix) {
        return None;
    }
    let root = dir
        .ancestors()
        .nth(suffix.components().count())?
        .to_path_buf();
    Some((root, suffix))
}

/// Deletes a test's physical directory and its link-tree link, each checked right before
/// to be where the tool made it (under `roots`, with the test's layout).
pub fn delete_test_dirs(run: &RunRecord, test: &TestRecord, roots: &Roots) -> Result<()> {
    let suffix = layout_suffix(run, test);
    for path in &test_dirs(test) {
        if std::fs::symlink_metadata(path).is_err() {
            // Gone with the one removed before it (an item reached through its test's link).
            continue;
        }
        // Looked at again right before: the wait above gave time for a swap. What is
        // deleted is exactly what was checked.
        let Some(target) = suffix.as_ref().and_then(|s| made_here(path, s, roots)) else {
            return Err(Error::new(format!(
                "not removing `{}`: it changed while the test was being stopped",
                path.display()
            )));
        };
        if target.is_symlink() {
            std::fs::remove_file(&target).map_err(|e| {
                Error::of(
                    ErrorKind::Io,
                    format!(
                        "cannot remove the link `{}`: {}",
                        path.display(),
                        crate::sys::io_reason(&e)
                    ),
                )
            })?;
        } else if target.is_dir() {
            remove_directory(&target)?;
        }
    }
    Ok(())
}

/// Removes the selected tests of a run, items before their toplevel and deeper directories
/// first; a toplevel whose items are not all removed stays. The writes fire the tests'
/// `[triggers]` (as 1.65's removal does). `on_removed` hears of each test as it goes, with
/// how many of the selected tests have been dealt with and how many there are.
///
/// Tests go in batches ([`BATCH`]): one transaction marks a batch REMOVING, its directories
/// are removed `opts.workers` at a time, and one transaction marks the removed ones
/// DELETED. Running tests and tests with a nested run go one at a time as before.
pub fn remove_tests(
    store: &Store,
    run: &RunRecord,
    filter: &TestFilter,
    opts: RemoveOptions,
    roots: &Roots,
    triggers: &TriggerTable,
    on_removed: &mut dyn FnMut(&TestRecord, (usize, usize)),
) -> Result<Removal> {
    let run_id = run.id();
    if held_by_runner(store, run, "removed")? {
        return Ok(Removal {
            removed: Vec::new(),
            refused: 1,
        });
    }
    let mut tests = store.tests_for_run(run_id, filter)?;
    tests.sort_by_key(|t| {
        (
            t.item_path().is_empty(),
            std::cmp::Reverse(t.rundir().matches('/').count()),
        )
    });
    let total = tests.len();
    // Items first, all of them, so a toplevel (whose directory holds its items') is never
    // removed beside one of its items, and its items left are known when its turn comes.
    let toplevels = tests.split_off(tests.partition_point(|t| !t.item_path().is_empty()));
    // Items of each test still in the run, counted once: a toplevel goes only after them.
    let mut items_left = store.item_counts(run_id)?;
    let mut removal = Removal::default();
    let mut seen = 0;
    for batch in tests.chunks(BATCH) {
        let results = remove_batch(store, run, batch, opts, roots, triggers)?;
        for (test, result) in batch.iter().zip(results) {
            seen += 1;
            if result.is_ok()
                && !opts.keep_records
                && let Some(n) = items_left.get_mut(&test.testname())
            {
                *n = n.saturating_sub(1);
            }
            removal.take(test, result, (seen, total), on_removed);
        }
    }
    let (kept, toplevels): (Vec<_>, Vec<_>) = toplevels.into_iter().partition(|t| {
        let remaining = items_left.get(&t.testname()).copied().unwrap_or(0);
        remaining > 0 && !opts.keep_records
    });
    for test in &kept {
        let name = test.testname();
        crate::debug!(
            1,
            "keeping {name}: {} of its items remain",
            items_left[&name]
        );
    }
    seen += kept.len();
    for batch in toplevels.chunks(BATCH) {
        let results = remove_batch(store, run, batch, opts, roots, triggers)?;
        for (test, result) in batch.iter().zip(results) {
            seen += 1;
            removal.take(test, result, (seen, total), on_removed);
        }
    }
    if !opts.keep_records
        && removal.refused == 0
        && store
            .tests_for_run(run_id, &TestFilter::default())?
            .is_empty()
    {
        store.mark_run_deleted(run_id)?;
        store.purge_deleted_tests(30)?;
    }
    Ok(removal)
}

/// Removes a batch of tests; the result of each, in order.
fn remove_batch(
    store: &Store,
    run: &RunRecord,
    batch: &[TestRecord],
    opts: RemoveOptions,
    roots: &Roots,
    triggers: &TriggerTable,
) -> Result<Vec<Result<()>>> {
    let mut results: Vec<Option<Result<()>>> = Vec::with_capacity(batch.len());
    let mut plain = Vec::new();
    for (k, test) in batch.iter().enumerate() {
        let alone = test.state().is_running()
            || NestedRun::recorded(&PathBuf::from(test.rundir())).is_some();
        results.push(match check_test_dirs(run, test, roots) {
            Err(e) => Some(Err(e)),
            // These wait for a stop, or for another area's removal: one at a time.
            Ok(()) if alone => Some(remove_test(store, run, test, opts, roots, triggers)),
            Ok(()) => {
                plain.push(k);
                None
            }
        });
    }
    let writer = Writer::new(store, triggers);
    if !opts.keep_records {
        let ids: Vec<_> = plain.iter().map(|&k| batch[k].id()).collect();
        if let Err(e) =
            writer.set_state_status_of_all(&ids, &State::Removing, Some(&Status::Locked))
        {
            // Nothing of it was written: each test goes on its own, and fails on its own.
            crate::debug!(1, "removing one test at a time: {e}");
            for &k in &plain {
                results[k] = Some(remove_test(store, run, &batch[k], opts, roots, triggers));
            }
            return Ok(results.into_iter().map(|r| r.unwrap_or(Ok(()))).collect());
        }
    }
    let chosen: Vec<&TestRecord> = plain.iter().map(|&k| &batch[k]).collect();
    let deleted = delete_dirs_of_all(run, &chosen, roots, opts.workers);
    for (&k, result) in plain.iter().zip(deleted) {
        results[k] = Some(result);
    }
    if !opts.keep_records {
        let gone: Vec<usize> = plain
            .iter()
            .copied()
            .filter(|&k| matches!(results[k], Some(Ok(()))))
            .collect();
        let ids: Vec<_> = gone.iter().map(|&k| batch[k].id()).collect();
        if store.mark_tests_deleted(&ids).is_err() {
            for &k in &gone {
                results[k] = Some(store.mark_test_deleted(batch[k].id()));
            }
        }
    }
    Ok(results.into_iter().map(|r| r.unwrap_or(Ok(()))).collect())
}

/// [`delete_test_dirs`] of each test, `workers` at a time; the result of each, in order. A
/// test whose directory holds another's of the list (an item path that is a prefix of
/// another) goes after the others, one at a time, in list order (deeper ones first when the
/// list is sorted so), never beside the one it holds.
pub fn delete_dirs_of_all(
    run: &RunRecord,
    tests: &[&TestRecord],
    roots: &Roots,
    workers: usize,
) -> Vec<Result<()>> {
    let dirs: Vec<String> = tests.iter().map(|t| t.rundir()).collect();
    let nested = nested_dirs(&dirs);
    let (held, free): (Vec<usize>, Vec<usize>) = (0..tests.len()).partition(|&k| nested[k]);
    let mut results: Vec<Option<Result<()>>> = (0..tests.len()).map(|_| None).collect();
    let deleted = crate::sys::parallel::map_in_shares(
        &free,
        workers,
        |&k| delete_test_dirs(run, tests[k], roots),
        |&k| {
            Err(Error::new(format!(
                "removing `{}` stopped on an internal error",
                tests[k].rundir()
            )))
        },
    );
    for (&k, result) in free.iter().zip(deleted) {
        results[k] = Some(result);
    }
    for &k in &held {
        results[k] = Some(delete_test_dirs(run, tests[k], roots));
    }
    results.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
}

/// For each run directory, whether it holds, or is held by, another of the list (empty:
/// none). Sorted by path components, a directory's descendants follow it directly, so one
/// pass with the chain of open ancestors finds them all.
fn nested_dirs(dirs: &[String]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..dirs.len()).filter(|&k| !dirs[k].is_empty()).collect();
    order.sort_by(|&a, &b| dirs[a].split('/').cmp(dirs[b].split('/')));
    let under =
        |a: &str, b: &str| a.len() > b.len() && a.starts_with(b) && a[b.len()..].starts_with('/');
    let mut nested = vec![false; dirs.len()];
    let mut ancestors: Vec<usize> = Vec::new();
    for k in order {
        while ancestors
            .last()
            .is_some_and(|&a| !under(&dirs[k], &dirs[a]))
        {
            ancestors.pop();
        }
        if !ancestors.is_empty() {
            nested[k] = true;
            for &a in &ancestors {
                nested[a] = true;
            }
        }
        ancestors.push(k);
    }
    nested
}

/// Whether a live runner is running `run`: then it says so (nothing of the run `done`) and
/// the run is to be left alone.
pub fn held_by_runner(store: &Store, run: &RunRecord, done: &str) -> Result<bool> {
    let Some(owner) = crate::runner::live_owner(store, run.id())? else {
        return Ok(false);
    };
    let held = Error::new(format!(
        "run {}/{} is being run by {}; nothing of it {done}",
        run.target(),
        run.runname(),
        crate::runner::describe_owner(&owner)
    ))
    .note("stop that runner first (Ctrl-C, or kill its pid), or wait for it to end");
    crate::output::log::emit(format_args!("{}", crate::error::render(&held).trim_end()));
    Ok(true)
}

/// What [`remove_tests`] did.
#[derive(Debug, Default)]
pub struct Removal {
    /// The tests removed.
    pub removed: Vec<TestRecord>,
    /// How many tests were left because their directories are not the tool's, or runs
    /// because a runner holds them (each reported).
    pub refused: usize,
}

impl Removal {
    /// Counts the outcome of one test's removal, and tells `on_removed` of a removed one.
    fn take(
        &mut self,
        test: &TestRecord,
        result: Result<()>,
        progress: (usize, usize),
        on_removed: &mut dyn FnMut(&TestRecord, (usize, usize)),
    ) {
        match result {
            Ok(()) => {
                on_removed(test, progress);
                self.removed.push(test.clone());
            }
            Err(e) => {
                crate::output::log::emit(format_args!("{e}"));
                self.refused += 1;
            }
        }
    }

    /// An error when tests were left, for the command's exit status.
    pub fn check_refused(refused: usize) -> Result<()> {
        if refused == 0 {
            return Ok(());
        }
        Err(Error::new(format!(
            "{refused} {} not removed (see above)",
            if refused == 1 {
                "test or run was"
            } else {
                "tests or runs were"
            }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::nested_dirs;

    #[test]
    fn nested_directories_are_found_whatever_sorts_between_them() {
        let dirs: Vec<String> = ["/r/t/a", "/r/t/a-b", "/r/t/a/b/c", "/r/t/c", "", "/r/t/a/x"]
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(nested_dirs(&dirs), [true, false, true, false, false, true]);
    }
}
