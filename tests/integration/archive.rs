//! `-archive`: a real run with items saved and removed, then restored, with real bup and with
//! tar; the same files come back (checksums) and the records go ARCHIVE_REMOVING → ARCHIVED →
//! COMPLETED with their statuses kept. A locked run is left alone; a missing or full archive
//! disk is a clear error that loses nothing.

use crate::harness::Area;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// An area whose tests write data (a test with two items, one that fails), archiving to
/// `adisk/` by `method`, and keeping no extra space free.
fn area(method: &str) -> Area {
    area_with(method, "")
}

/// [`area`] with more `[archive]` settings.
fn area_with(method: &str, archive_extra: &str) -> Area {
    Area::new()
        .file(
            "megatest.config",
            &format!(
                "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n\n[archive]\nmethod {method}\nminspace 0\n{archive_extra}\n[archive-disks]\nd1 #{{getenv MT_RUN_AREA_HOME}}/adisk\n"
            ),
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("adisk/.keep", "")
        .file(
            "tests/data/testconfig",
            "[ezsteps]\nmake head -c 200000 /dev/urandom > blob.bin; mkdir -p deep/er; echo $MT_TEST_NAME > deep/er/name.txt; chmod 640 blob.bin\n\n[triggers]\nARCHIVE_REMOVING/ sh \"$MT_RUN_AREA_HOME/log.sh\"\nARCHIVED/ sh \"$MT_RUN_AREA_HOME/log.sh\"\n",
        )
        .file(
            "log.sh",
            "echo \"$MT_TEST_NAME $3\" >> \"$MT_RUN_AREA_HOME/triggers.log\"\n",
        )
        .file(
            "tests/items/testconfig",
            "[items]\nN a b\n[ezsteps]\nmake head -c 50000 /dev/urandom > item-$N.bin\n",
        )
        .file(
            "tests/broken/testconfig",
            "[ezsteps]\nmake head -c 1000 /dev/urandom > partial.bin; exit 1\n",
        )
}

fn run(area: &Area) {
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run();
}

/// Every file under the run's directory in the link tree, with its checksum and mode.
fn checksums(area: &Area) -> BTreeMap<String, String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            // The run directories, through the link tree's links.
            let meta = std::fs::metadata(&path).unwrap();
            if meta.is_dir() {
                // A directory moved aside by a restore (`.NAME`) is not the test's.
                if !e.file_name().to_string_lossy().starts_with('.') {
                    walk(&path, base, out);
                }
            } else {
                use std::os::unix::fs::PermissionsExt;
                let sum = Sha256::digest(std::fs::read(&path).unwrap());
                let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
                out.insert(
                    path.strip_prefix(base).unwrap().display().to_string(),
                    format!("{hex} {:o}", meta.permissions().mode() & 0o7777),
                );
            }
        }
    }
    let base = area.path().join("lt");
    let mut out = BTreeMap::new();
    walk(&base.join("linux/r1"), &base, &mut out);
    out
}

/// Each test's state, status and archive block.
fn records(area: &Area) -> BTreeMap<String, (String, String, i64)> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT testname, item_path, state, status, archived FROM tests")
        .unwrap();
    stmt.query_map([], |r| {
        let (test, item): (String, String) = (r.get(0)?, r.get(1)?);
        let name = if item.is_empty() {
            test
        } else {
            format!("{test}/{item}")
        };
        Ok((name, (r.get(2)?, r.get(3)?, r.get(4)?)))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn archive(area: &Area, command: &str) -> crate::harness::Output {
    area.megatest(&[
        "-archive",
        command,
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        "%",
    ])
    .run()
}

/// save-remove then restore with `method`; returns the area for more checks.
fn round_trip(method: &str) -> Area {
    let area = area(method);
    run(&area);
    let before = checksums(&area);
    assert!(
        before.len() > 10 && before.keys().any(|k| k.ends_with("items/a/item-a.bin")),
        "{before:?}"
    );
    let statuses: BTreeMap<String, String> =
        records(&area).into_iter().map(|(k, v)| (k, v.1)).collect();
    assert_eq!(statuses["broken"], "FAIL");

    let saved = archive(&area, "save-remove");
    let out = saved.success();
    for test in ["data", "items/a", "items/b", "broken"] {
        assert!(
            out.contains(&format!("archived and removed linux/r1/{test}\n")),
            "{out}"
        );
    }
    let after_save = records(&area);
    for test in ["data", "items/a", "items/b", "broken"] {
        let (state, status, block) = &after_save[test];
        assert_eq!(state, "ARCHIVED", "{test}: {after_save:?}");
        assert_eq!(status, &statuses[test], "{test}: the status is kept");
        assert!(*block > 0, "{test}: tests.archived names the block");
    }
    // ARCHIVE_REMOVING was set (its trigger fired) while the directory was still there; a
    // trigger runs in the test's directory, so ARCHIVED, set once it is gone, fires none.
    let fired = std::fs::read_to_string(area.path().join("triggers.log")).unwrap_or_default();
    assert_eq!(
        fired.lines().collect::<Vec<_>>(),
        ["data ARCHIVE_REMOVING/"],
        "{fired}"
    );
    // The directories are gone; the toplevel of the items keeps its own files (its items'
    // page), which are not an item's.
    let left: Vec<String> = checksums(&area).into_keys().collect();
    assert_eq!(left, ["linux/r1/items/megatest-rollup-items.html"]);
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let (block_path, kinds): (String, String) = db
        .query_row(
            "SELECT b.disk_path, (SELECT group_concat(DISTINCT archive_type) FROM archives) FROM archive_blocks b",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kinds, method);
    assert!(
        block_path.starts_with(&area.path().join("adisk").display().to_string()),
        "{block_path}"
    );

    archive(&area, "restore").success();
    assert_eq!(checksums(&area), before, "the same files come back");
    let restored = records(&area);
    for test in ["data", "items/a", "items/b", "broken"] {
        let (state, status, _) = &restored[test];
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("COMPLETED", statuses[test].as_str()),
            "{test}"
        );
    }
    area
}

#[test]
fn bup_saves_removes_and_restores_the_same_files() {
    let area = round_trip("bup");
    // A real bup repository, browsable with bup itself.
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let block: String = db
        .query_row("SELECT disk_path FROM archive_blocks", [], |r| r.get(0))
        .unwrap();
    let listed = std::process::Command::new("bup")
        .args(["-d", &block, "ls"])
        .output()
        .expect("bup runs (scripts/setup.sh installs it)");
    let branches = String::from_utf8_lossy(&listed.stdout);
    assert!(branches.lines().any(|b| b.ends_with("-1")), "{branches}");
}

#[test]
fn tar_saves_removes_and_restores_the_same_files() {
    round_trip("tar");
}

#[test]
fn a_directory_still_there_is_moved_aside_on_restore() {
    let area = area("tar");
    run(&area);
    let before = checksums(&area);
    archive(&area, "save").success();
    assert_eq!(checksums(&area), before, "save keeps the directories");
    std::fs::write(area.path().join("lt/linux/r1/data/blob.bin"), "changed").unwrap();
    let out = archive(&area, "restore");
    out.success();
    assert!(out.stderr.contains("moved to"), "{}", out.stderr);
    assert_eq!(checksums(&area), before);
    let aside = area.path().join("runs/linux/r1/.data/blob.bin");
    assert_eq!(std::fs::read_to_string(aside).unwrap(), "changed");
}

#[test]
fn a_locked_run_is_not_archived() {
    let area = area("tar");
    run(&area);
    let before = checksums(&area);
    area.megatest(&["-lock", "-target", "linux", "-runname", "r1"])
        .run()
        .success();
    let out = archive(&area, "save-remove");
    out.success();
    assert!(out.stderr.contains("locked"), "{}", out.stderr);
    assert_eq!(checksums(&area), before);
    assert!(records(&area).values().all(|(_, _, block)| *block == 0));
}

/// Nothing archived, nothing removed, the records as they were.
fn nothing_lost(area: &Area, before: &BTreeMap<String, String>) {
    assert_eq!(&checksums(area), before);
    assert!(
        records(area)
            .values()
            .all(|(state, _, block)| state == "COMPLETED" && *block == 0),
        "{:?}",
        records(area)
    );
}

#[test]
fn a_missing_archive_disk_is_a_clear_error() {
    let area = area("bup");
    run(&area);
    let before = checksums(&area);
    std::fs::remove_dir_all(area.path().join("adisk")).unwrap();
    let out = archive(&area, "save-remove");
    let err = out.failure(1);
    assert!(
        err.contains("no archive disk can take this archive") && err.contains("is missing"),
        "{err}"
    );
    nothing_lost(&area, &before);
}

#[test]
fn a_full_archive_disk_is_a_clear_error() {
    // The disk is a 256 KiB tmpfs in a mount namespace of its own (needs root, as CI runs).
    let area = area("bup");
    run(&area);
    let before = checksums(&area);
    let disk = area.path().join("adisk");
    let megatest = env!("CARGO_BIN_EXE_megatest");
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "/bin/sh", "-c"])
        .arg(
            r#"mount -t tmpfs -o size=256k none "$0" || exit 97
               exec "$1" -archive save-remove -target linux -runname r1 -testpatt %"#,
        )
        .arg(&disk)
        .arg(megatest)
        .current_dir(area.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "needs root for the tmpfs (CI runs as root): {stderr}"
    );
    assert!(
        stderr.contains("no archive disk can take this archive") && stderr.contains("MB free"),
        "{stderr}"
    );
    nothing_lost(&area, &before);
}

#[test]
fn a_bad_archive_command_is_a_usage_error() {
    let area = area("bup");
    let out = archive(&area, "frob");
    assert!(
        out.failure(64).contains("not an archive command"),
        "{}",
        out.stderr
    );
}

#[test]
fn remove_keep_archives_the_older_runs() {
    let area = area("tar");
    for runname in ["r1", "r2"] {
        area.megatest(&["-run", "-target", "linux", "-runname", runname, "-run-wait"])
            .run();
    }
    area.megatest(&[
        "-remove-keep",
        "1",
        "-target",
        "linux",
        "-runname",
        "%",
        "-actions",
        "archive",
    ])
    .run()
    .success();
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let states = |runname: &str| -> Vec<String> {
        db.prepare("SELECT DISTINCT t.state FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname=?1 AND NOT (t.testname='items' AND t.item_path='')")
            .unwrap()
            .query_map([runname], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(states("r1"), ["ARCHIVED"]);
    assert_eq!(states("r2"), ["COMPLETED"]);
    assert!(!area.path().join("runs/linux/r1/data").exists());
    assert!(area.path().join("runs/linux/r2/data/blob.bin").exists());
}

#[test]
fn an_archiver_failing_mid_save_loses_nothing() {
    // A bup that starts the block and indexes, then fails to save, as on a disk that fills up
    // after the space check.
    let area = area_with("bup", "bup #{getenv MT_RUN_AREA_HOME}/fakebup.sh\n").file(
        "fakebup.sh",
        "#!/bin/sh\ncase \"$3\" in\n  init) touch \"$2/HEAD\" ;;\n  index) ;;\n  save) echo 'error: [Errno 28] No space left on device' >&2; exit 1 ;;\nesac\n",
    );
    let script = area.path().join("fakebup.sh");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    run(&area);
    let before = checksums(&area);
    let out = archive(&area, "save-remove");
    let err = out.failure(1);
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("nothing of them was removed"), "{err}");
    nothing_lost(&area, &before);
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let rows: i64 = db
        .query_row("SELECT count(*) FROM archives", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn a_removal_cut_short_is_finished_not_saved_again() {
    let area = area("tar");
    run(&area);
    let before = checksums(&area);
    // As if a save-remove had saved `data` and been stopped before removing it.
    archive(&area, "save").success();
    area.megatest(&[
        "-set-state-status",
        "ARCHIVE_REMOVING,PASS",
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        "data",
    ])
    .run()
    .success();
    std::fs::remove_file(area.path().join("lt/linux/r1/data/blob.bin")).unwrap();
    let out = archive(&area, "save-remove");
    out.success();
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let saves_of_data: i64 = db
        .query_row(
            "SELECT count(*) FROM archives a JOIN tests t ON t.id=a.test_id WHERE t.testname='data'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        saves_of_data, 1,
        "the remains were not saved over the archive"
    );
    assert_eq!(records(&area)["data"].0, "ARCHIVED");
    archive(&area, "restore").success();
    assert_eq!(
        checksums(&area),
        before,
        "the first archive, whole, comes back"
    );
}
