//! Hostile or unlucky names never reach outside the area: item values, run names, targets
//! and step names that would escape are refused where they enter, `-remove-runs` deletes only
//! run directories the area made, and values from the environment are never run as code.

use crate::harness::{Area, Output};
use rusqlite::Connection;
use std::path::Path;

/// A directory outside the area holding a file that must survive.
struct Victim {
    dir: tempfile::TempDir,
}

impl Victim {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/keep.txt"), "precious").unwrap();
        Victim { dir }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    #[track_caller]
    fn assert_untouched(&self) {
        let data = self.dir.path().join("data");
        let names: Vec<String> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["keep.txt"],
            "files appeared in or vanished from the victim"
        );
        assert_eq!(
            std::fs::read_to_string(data.join("keep.txt")).unwrap(),
            "precious"
        );
    }
}

fn area(testconfig: &str) -> Area {
    Area::new()
        .file(
            "megatest.config",
            "
            [fields]
            platform TEXT
            variant TEXT

            [setup]
            max_concurrent_jobs 2
            linktree #{getenv MT_RUN_AREA_HOME}/lt

            [disks]
            disk0 #{getenv MT_RUN_AREA_HOME}/disk
            ",
        )
        .file("runconfigs.config", "[default]\nV #{getenv platform}\n")
        .file("disk/.keep", "")
        .file("tests/t/testconfig", testconfig)
}

/// `-run` of every test for a target and run name, waiting for the end.
fn run(a: &Area, target: &str, runname: &str) -> Output {
    a.megatest(&["-run", "-target", target, "-runname", runname, "-run-wait"])
        .run()
}

const SIMPLE: &str = "[ezsteps]\ns1 echo hello\n";

fn count_rows(area: &Area, sql: &str) -> i64 {
    let path = area.path().join("megatest.db");
    if !path.exists() {
        return 0;
    }
    let db = Connection::open(path).unwrap();
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn an_item_value_that_climbs_out_is_refused_with_its_line() {
    let victim = Victim::new();
    let a = area("[items]\nV ok ../../../../victim\n\n[ezsteps]\ns1 echo hi\n");
    let out = run(&a, "a/b", "r1");
    let stderr = out.failure(1);
    assert!(
        stderr.contains("cannot be part of a path") && stderr.contains("testconfig:2"),
        "{stderr}"
    );
    assert_eq!(
        count_rows(&a, "SELECT count(*) FROM tests"),
        0,
        "nothing was registered"
    );
    victim.assert_untouched();
}

#[test]
fn an_absolute_item_value_is_a_directory_inside_its_test() {
    // Megatest joins item paths as text (`TEST//tmp/v/data`): the directory nests under the
    // test, wherever the value points.
    let victim = Victim::new();
    let a = area(&format!(
        "[items]\nV ok {}\n\n[ezsteps]\ns1 echo hi > out.txt\n",
        victim.data()
    ));
    run(&a, "a/b", "r1").success();
    let inside = a
        .path()
        .join("disk/a/b/r1/t")
        .join(victim.data().trim_start_matches('/'));
    assert!(inside.join("out.txt").is_file(), "{}", inside.display());
    victim.assert_untouched();
    let out = a
        .megatest(&[
            "-remove-runs",
            "-target",
            "%/%",
            "-runname",
            "%",
            "-testpatt",
            "%",
        ])
        .run();
    assert!(
        out.success()
            .contains(&format!("removed a/b/r1/t/{}", victim.data()))
    );
    assert!(!inside.exists());
    victim.assert_untouched();
}

#[test]
fn an_item_list_computed_at_run_time_that_escapes_ends_that_test_only() {
    let victim = Victim::new();
    let a = area(
        "[requirements]\nwaiton producer\n\n[items]\nV [system cat $MT_RUN_AREA_HOME/itemlist 2>/dev/null || echo safe]\n\n[ezsteps]\ns1 echo hi\n",
    )
    .file(
        "tests/producer/testconfig",
        &format!(
            "[ezsteps]\nwrite echo 'ok ../../../../../../../..{}' | tee $MT_RUN_AREA_HOME/itemlist\n",
            victim.data()
        ),
    );
    let out = run(&a, "a/b", "r1");
    assert!(
        out.stderr.contains("cannot be part of a path"),
        "{}",
        out.stderr
    );
    let status: String = Connection::open(a.path().join("megatest.db"))
        .unwrap()
        .query_row(
            "SELECT state||'/'||status FROM tests WHERE testname='t' AND item_path=''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "NOT_STARTED/ABORT");
    assert_eq!(
        count_rows(
            &a,
            "SELECT count(*) FROM tests WHERE testname='producer' AND status='PASS'"
        ),
        1
    );
    victim.assert_untouched();
}

#[test]
fn run_names_and_targets_that_leave_the_area_are_refused() {
    let victim = Victim::new();
    let a = area(SIMPLE);
    let escape = format!("../../../../../../../../..{}", victim.data());
    for (target, runname, expect) in [
        ("a/b", "../x", "invalid run name `../x`"),
        ("a/b", victim.data().as_str(), "invalid run name"),
        ("a/b", escape.as_str(), "invalid run name"),
        ("../..", "r1", "`..` for key `platform`"),
        ("a/-rf", "r1", "starts with `-`"),
    ] {
        let out = run(&a, target, runname);
        let stderr = out.failure(1);
        assert!(stderr.contains(expect), "{target} {runname}: {stderr}");
    }
    assert_eq!(count_rows(&a, "SELECT count(*) FROM runs"), 0);
    victim.assert_untouched();
}

#[test]
fn step_names_are_path_components_and_shell_words() {
    let a = area("[ezsteps]\nbad/name echo hi\n");
    let out = run(&a, "a/b", "r1");
    let stderr = out.failure(1);
    assert!(
        stderr.contains("step name `bad/name` holds `/`") && stderr.contains("testconfig:2"),
        "{stderr}"
    );
    let a = area("[ezsteps]\ns$(touch${IFS}INJECTED) echo hi\n");
    run(&a, "a/b", "r1").success();
    let rundir = a.path().join("lt/a/b/r1/t");
    assert!(
        rundir.join("s$(touch${IFS}INJECTED).log").is_file(),
        "the step's log is named after it"
    );
    assert!(
        !rundir.join("INJECTED").exists(),
        "a step name ran as a command"
    );
    assert_eq!(
        count_rows(&a, "SELECT count(*) FROM tests WHERE status='PASS'"),
        1
    );
}

#[test]
fn a_step_without_a_command_is_a_config_error() {
    for (step, hint) in [
        ("s1 { false; }", "reserved by Megatest"),
        ("s1", "has no command"),
    ] {
        let a = area(&format!("[ezsteps]\n{step}\n"));
        let out = run(&a, "a/b", "r1");
        let stderr = out.failure(1);
        assert!(
            stderr.contains("step `s1` has no command")
                && stderr.contains(hint)
                && stderr.contains("testconfig:2"),
            "{stderr}"
        );
    }
}

#[test]
fn remove_runs_deletes_only_run_directories_the_area_made() {
    let victim = Victim::new();
    let a = area(SIMPLE);
    run(&a, "a/b", "r1").success();
    run(&a, "a/b", "r2").success();
    // A record pointing outside the area (as an older version could write), and a run
    // directory replaced by a symlink to somewhere else.
    let db = Connection::open(a.path().join("megatest.db")).unwrap();
    db.execute(
        "UPDATE tests SET shortdir=?1, rundir=?1 WHERE run_id=(SELECT id FROM runs WHERE runname='r1')",
        [victim.data()],
    )
    .unwrap();
    let r2 = a.path().join("disk/a/b/r2/t");
    std::fs::remove_dir_all(&r2).unwrap();
    std::os::unix::fs::symlink(victim.dir.path().join("data"), &r2).unwrap();
    let out = a
        .megatest(&[
            "-remove-runs",
            "-target",
            "a/b",
            "-runname",
            "r1",
            "-testpatt",
            "%",
        ])
        .run();
    let stderr = out.failure(1);
    assert!(
        stderr.contains("not a run directory this area made") && stderr.contains("not removed"),
        "{stderr}"
    );
    // The symlink itself goes; what it points at stays.
    let out = a
        .megatest(&[
            "-remove-runs",
            "-target",
            "a/b",
            "-runname",
            "r2",
            "-testpatt",
            "%",
        ])
        .run();
    assert!(out.success().contains("removed a/b/r2/t"));
    assert!(std::fs::symlink_metadata(&r2).is_err());
    victim.assert_untouched();
    assert_eq!(
        count_rows(
            &a,
            "SELECT count(*) FROM tests WHERE state='DELETED' AND run_id=(SELECT id FROM runs WHERE runname='r1')"
        ),
        0,
        "the records pointing at those directories are kept"
    );
    // A normal run is still removed whole.
    run(&a, "a/b", "r3").success();
    let out = a
        .megatest(&[
            "-remove-runs",
            "-target",
            "a/b",
            "-runname",
            "r3",
            "-testpatt",
            "%",
        ])
        .run();
    assert!(out.success().contains("removed a/b/r3/t"));
    assert!(!a.path().join("disk/a/b/r3/t").exists());
    assert!(!Path::new(&a.path().join("lt/a/b/r3/t")).exists());
    victim.assert_untouched();
}

#[test]
fn values_from_the_environment_are_never_run_as_code() {
    let a = area("[ezsteps]\ns1 echo \"V=$V\"\n");
    let pwn = a.path().join("PWN");
    // A target part may not hold `/`; the file's path does, so it goes through a variable.
    // The first would run as a `#{shell}` form if the value were expanded again; the second
    // through the shell that evaluates runconfigs values in the executor (spec §3.3).
    for target in ["#{shell touch $PWN_AT}", "$(touch $PWN_AT)"] {
        let out = a
            .megatest(&[
                "-run",
                "-target",
                &format!("{target}/b"),
                "-runname",
                "r1",
                "-run-wait",
            ])
            .env("PWN_AT", &pwn.display().to_string())
            .run();
        out.success();
        assert!(!pwn.exists(), "{target}: a value was run as code");
        let log = a.path().join("lt").join(target).join("b/r1/t/s1.log");
        assert_eq!(
            std::fs::read_to_string(log).unwrap().trim(),
            format!("V={target}")
        );
        let shown = a
            .megatest(&["-show-runconfig", "-target", &format!("{target}/b")])
            .run();
        assert!(
            shown.success().contains(&format!("V {target}")),
            "{}",
            shown.stdout
        );
    }
}

#[test]
fn runconfig_values_expand_the_authors_shell_and_keep_data_as_text() {
    let a = area(
        "[ezsteps]\ns1 printf '%s|%s|%s|%s|%s' \"$OUT\" \"$WILD\" \"$DIR\" \"$LINES\" \"$PWNED\"\n",
    )
    .file(
        "runconfigs.config",
        "
            [default]
            BASE /tmp/$RC_USER
            OUT #{rget BASE}/out
            DIR \"$(dirname #{getenv RC_DATA})\"
            LINES first
              #{getenv RC_DATA}
            PWNED none

            [%/b]
            WILD #{getenv RC_DATA}
            ",
    );
    let pwn = a.path().join("PWN");
    let data = format!("x; touch {}", pwn.display());
    let data = format!(
        "{data} $(touch {}) `touch {}`",
        pwn.display(),
        pwn.display()
    );
    let out = a
        .megatest(&["-run", "-target", "a/b", "-runname", "r1", "-run-wait"])
        .env("RC_USER", "alice")
        .env("RC_DATA", &data)
        .run();
    out.success();
    assert!(
        !pwn.exists(),
        "a value from the environment ran as a command"
    );
    let log = std::fs::read_to_string(a.path().join("lt/a/b/r1/t/s1.log")).unwrap();
    let fields: Vec<&str> = log.split('|').collect();
    assert_eq!(
        fields[0], "/tmp/alice/out",
        "the author's $RC_USER expands through rget"
    );
    assert_eq!(fields[1], data, "a wildcard section keeps the data as text");
    // Only the first line of a value's `echo` is kept (spec §3.3); the data in the second
    // was not run on the way.
    assert_eq!(fields[3], "first");
    assert_eq!(fields[4], "none");
}
