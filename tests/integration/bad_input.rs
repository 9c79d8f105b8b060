//! Unlucky input never crashes and never passes silently: bytes that are not UTF-8, a
//! database from a newer megatest, a full stdout, hostile log names, odd test names, a step
//! that will not die politely.

use crate::harness::{Area, Output, one_key_area};
use rusqlite::Connection;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

fn area() -> Area {
    one_key_area(2)
}

fn run(a: &Area, runname: &str) -> Output {
    a.megatest(&["-run", "-target", "p", "-runname", runname, "-run-wait"])
        .run()
}

fn db(a: &Area) -> Connection {
    Connection::open(a.path().join("megatest.db")).unwrap()
}

fn state_status(a: &Area, test: &str) -> String {
    db(a)
        .query_row(
            "SELECT state||'/'||status FROM tests WHERE testname=?1 AND item_path=''",
            [test],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn bytes_that_are_not_utf8_pass_through_or_are_named() {
    let a = area().file(
        "tests/t/testconfig",
        "[ezsteps]\ns1 printf '%s' \"$RAW\" | tee raw.out\n",
    );
    // A variable whose value is not UTF-8 reaches the test byte for byte.
    let out = Command::new(env!("CARGO_BIN_EXE_megatest"))
        .args(["-run", "-target", "p", "-runname", "r1", "-run-wait"])
        .env("RAW", OsStr::from_bytes(b"a\xffb"))
        .current_dir(a.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(state_status(&a, "t"), "COMPLETED/PASS");
    assert_eq!(
        std::fs::read(a.path().join("lt/p/r1/t/raw.out")).unwrap(),
        b"a\xffb"
    );
    // An argument that is not UTF-8 is a usage error naming it, not an internal error.
    let out = Command::new(env!("CARGO_BIN_EXE_megatest"))
        .arg("-list-runs")
        .arg(OsStr::from_bytes(b"r\xff"))
        .current_dir(a.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("argument 2 is not valid UTF-8"), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
}

#[test]
fn a_test_directory_with_a_name_that_is_not_utf8_is_skipped_with_a_warning() {
    let a = area().file("tests/good/testconfig", "[ezsteps]\ns1 true\n");
    let odd = a.path().join(OsStr::from_bytes(b"tests/bad\xffname"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("testconfig"), "[ezsteps]\ns1 true\n").unwrap();
    let out = run(&a, "r1");
    out.success();
    assert!(
        out.stderr.contains("skipped: its name is not valid UTF-8"),
        "{}",
        out.stderr
    );
    assert_eq!(state_status(&a, "good"), "COMPLETED/PASS");
}

#[test]
fn a_database_from_a_newer_megatest_is_read_but_never_written() {
    let a = area().file("tests/t/testconfig", "[ezsteps]\ns1 true\n");
    run(&a, "r1").success();
    db(&a).execute_batch("PRAGMA user_version = 99").unwrap();
    let listed = a.megatest(&["-list-runs", "%"]).run();
    assert!(listed.success().contains("r1"));
    assert!(
        listed.stderr.contains("schema version 99"),
        "{}",
        listed.stderr
    );
    let out = run(&a, "r2");
    let stderr = out.failure(1);
    assert!(
        stderr.contains("has schema version 99, newer than this megatest's"),
        "{stderr}"
    );
    let runs: i64 = db(&a)
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 1, "nothing was written");
    let version: i64 = db(&a)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
}

#[test]
fn output_that_cannot_be_written_fails_the_command() {
    let a = area().file("tests/t/testconfig", "[ezsteps]\ns1 true\n");
    run(&a, "r1").success();
    // `-run` too: its tests run to their end, and the lost progress lines are said.
    for args in [
        &["-list-runs", "%"][..],
        &["-run", "-target", "p", "-runname", "r2", "-run-wait"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_megatest"))
            .args(args)
            .stdout(full)
            .current_dir(a.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{args:?}: {stderr}"
        );
    }
    let passed: i64 = db(&a)
        .query_row(
            "SELECT count(*) FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname='r2' AND t.status='PASS'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(passed, 1);
}

#[test]
fn log_names_become_links_only_to_files_and_web_pages() {
    let a = area().file(
        "tests/t/testconfig",
        "[ezsteps]\ns1 $MT_MEGATEST -setlog 'javascript:alert(1)'\n",
    );
    run(&a, "r1").success();
    let page = std::fs::read_to_string(a.path().join("lt/p/r1/t/test-summary.html")).unwrap();
    assert!(page.contains("href=\"./javascript:alert(1)\""), "{page}");
    assert!(!page.contains("href=\"javascript:"), "{page}");
}

#[test]
fn the_rollup_page_lists_the_items_of_a_test_whose_name_holds_pattern_characters() {
    let a = area().file(
        "tests/t(a,b)%/testconfig",
        "[items]\nV one two\n\n[ezsteps]\ns1 true\n",
    );
    run(&a, "r1").success();
    let page = std::fs::read_to_string(
        a.path()
            .join("lt/p/r1/t(a,b)%/megatest-rollup-t(a,b)%.html"),
    )
    .unwrap();
    assert!(
        page.contains("<td>one</td>") && page.contains("<td>two</td>"),
        "{page}"
    );
}

#[test]
fn a_step_that_ignores_sigterm_is_killed_and_recorded_as_killed() {
    let a = area().file(
        "tests/t/testconfig",
        "[requirements]\nruntimelim 1s\n\n[ezsteps]\ns1 trap '' TERM; sleep 30 & trap '' TERM; sleep 30\n",
    );
    run(&a, "r1");
    assert_eq!(state_status(&a, "t"), "KILLED/KILLED");
}

#[test]
fn runaway_scheme_is_stopped_by_its_memory_and_time_bounds() {
    let a = area()
        .file(
            "grow.scm",
            "(define (grow l) (grow (cons (make-string 1000 #\\x) l)))\n(grow (list))\n",
        )
        .file("spin.scm", "(define (spin n) (spin (+ n 1)))\n(spin 0)\n")
        .file(
            "spin.logpro",
            "(define (spin n) (spin (+ n 1)))\n(spin 0)\n(expect:required in \"LogFileBody\" > 0 \"x\" #/x/)\n",
        );
    let bombs: [(&[&str], &str); 2] = [
        (&["-load", "grow.scm"], "-load"),
        (
            // -strict: without it the form would be left as written, with a warning.
            &["-strict", "-show-config", "-append-config", "bomb.config"],
            "#{scheme}",
        ),
    ];
    std::fs::write(
        a.path().join("bomb.config"),
        "[x]\nv #{scheme (begin (define (grow l) (grow (cons (make-string 1000 #\\x) l))) (grow (list)))}\n",
    )
    .unwrap();
    for (args, what) in bombs {
        let out = a.megatest(args).env("MEGATEST_SCHEME_MEMORY", "200").run();
        let stderr = out.failure(1);
        assert!(
            stderr.contains("evaluation stopped: it used more than 200 MiB of memory"),
            "{what}: {stderr}"
        );
    }
    let out = a
        .megatest(&["-load", "spin.scm"])
        .env("MEGATEST_SCHEME_TIMEOUT", "1")
        .run();
    assert!(
        out.failure(1).contains("evaluation interrupted after 1 s"),
        "{}",
        out.stderr
    );
    let logpro = Command::new(env!("CARGO_BIN_EXE_logpro"))
        .arg(a.path().join("spin.logpro"))
        .current_dir(a.path())
        .env("MEGATEST_SCHEME_TIMEOUT", "1")
        .stdin(std::fs::File::open(a.path().join("spin.scm")).unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&logpro.stdout);
    assert_ne!(logpro.status.code(), Some(0));
    assert!(text.contains("evaluation interrupted after 1 s"), "{text}");
}

#[test]
fn a_disk_that_fills_during_a_run_ends_the_tests_it_stops_and_the_run_goes_on() {
    let a = area()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\nminspace 0\n\n[disks]\ndisk0 #{getenv MT_RUN_AREA_HOME}/disk\n",
        )
        .file(
            "tests/t/testconfig",
            "[items]\nV 1 2 3 4 5 6 7 8\n\n[ezsteps]\ns1 head -c 300000 /dev/zero | tr '\\0' x\n",
        )
        .file("disk/.keep", "");
    // A 1 MiB disk of its own, in a mount namespace that ends with the command.
    let disk = a.path().join("disk");
    let out = Command::new("unshare")
        .args([
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=1m tmpfs \"$1\" && shift && exec \"$@\"",
            "sh",
        ])
        .arg(&disk)
        .arg(env!("CARGO_BIN_EXE_megatest"))
        .args(["-run", "-target", "p", "-runname", "r1", "-run-wait"])
        .current_dir(a.path())
        .env_remove("MT_RUN_AREA_HOME")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let records: Vec<(String, String, String)> = {
        let db = db(&a);
        let mut stmt = db
            .prepare("SELECT state, status, coalesce(comment,'') FROM tests WHERE item_path != ''")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(records.len(), 8);
    for (state, status, _) in &records {
        assert!(
            state == "COMPLETED" || state == "INCOMPLETE",
            "a test was left {state}/{status}: {records:?}"
        );
    }
    assert!(
        records.iter().any(|(_, status, _)| status == "PASS"),
        "the tests before the disk filled passed: {records:?}"
    );
    assert!(
        records
            .iter()
            .any(|(_, _, comment)| comment
                .starts_with("Launch failed: no disk in [disks] is usable")),
        "{records:?}"
    );
    assert!(stderr.contains("no disk in [disks] is usable"), "{stderr}");
}
