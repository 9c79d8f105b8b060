//! UTAH runlists through the real `utah` binary and `megatest -utah`: the shared examples
//! (`../shared/conformance/utah/`) with every report entry, the counters, the exit status and
//! the Megatest records checked, and the client's rules one by one on small suites.

use crate::harness::Area;
use rusqlite::Connection;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn shared_utah() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/utah");
    assert!(
        dir.is_dir(),
        "the UTAH examples are missing: {} (../shared must be beside the checkout)",
        dir.display()
    );
    dir
}

/// An empty directory holding a copy of the shared example `name`.
fn example(name: &str) -> Area {
    let area = Area::new();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(shared_utah().join(name))
        .arg(area.path())
        .status()
        .unwrap();
    assert!(status.success());
    area
}

/// Runs `utah -r RUNLIST -f json -o report.json` in the area; (exit code, report, stderr).
fn utah_json(area: &Area, runlist: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["-r", runlist, "-f", "json", "-o", "report.json"];
    args.extend(extra);
    let out = area.utah(&args).run();
    let text = std::fs::read_to_string(area.path().join("report.json"))
        .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{}", out.stderr));
    (out.code, serde_json::from_str(&text).unwrap(), out.stderr)
}

/// `cmd_type testsuite testcase returncode` of each entry.
fn entries(report: &Value) -> Vec<String> {
    report["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["cmd_type"].as_str().unwrap(),
                e["testsuite"].as_str().unwrap(),
                e["testcase"].as_str().unwrap_or("-"),
                e["returncode"]
            )
        })
        .collect()
}

fn counters(report: &Value) -> [u64; 4] {
    ["passes", "failures", "errors", "fetch_errors"].map(|k| report[k].as_u64().unwrap())
}

fn no_entry_says(report: &Value, text: &str) {
    for e in report["commands"].as_array().unwrap() {
        assert!(
            !e["stdout"].as_str().unwrap().contains(text),
            "an entry says {text}: {e}"
        );
    }
}

/// `suite` or `suite(case)` → "STATE STATUS" of the area's records.
fn records(area: &Area) -> Vec<String> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT testname, item_path, state, status FROM tests ORDER BY testname, item_path",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let (test, item): (String, String) = (r.get(0)?, r.get(1)?);
        let name = if item.is_empty() {
            test
        } else {
            format!("{test}({item})")
        };
        Ok(format!(
            "{name} {} {}",
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn example_1_pass_fail_and_a_build_error() {
    let area = example("ex1-basic");
    let (code, report, _) = utah_json(&area, "ex1-basic/master.run", &[]);
    assert_eq!(code, 2, "ERROR");
    assert_eq!(
        entries(&report),
        [
            "testcase_setup basic t_pass 0",
            "testcase_test basic t_pass 0",
            "testcase_cleanup basic t_pass 0",
            "testcase_test basic t_fail 1",
            "testcase_cleanup basic t_fail 0",
            "testcase_build basic t_build_error 4",
            "testcase_cleanup basic t_build_error 0",
        ]
    );
    no_entry_says(&report, "SHOULD-NOT-RUN");
    assert_eq!(counters(&report), [1, 1, 1, 0]);
    assert_eq!(report["commands"][1]["stdout"], "MARK t_pass command\n");
    assert_eq!(
        records(&area),
        [
            "basic COMPLETED ABORT",
            "basic(t_build_error) COMPLETED ABORT",
            "basic(t_fail) COMPLETED FAIL",
            "basic(t_pass) COMPLETED PASS",
        ]
    );
    // The run is a run of the area utah made here.
    let listing = area.megatest(&["-list-runs", "%"]).run();
    let listing = listing.success();
    assert!(listing.contains("status: ERROR"), "{listing}");
    assert!(listing.contains("Test: basic(t_fail)"), "{listing}");
    assert!(
        listing.contains("Step: build                State: end        Status: 4"),
        "{listing}"
    );
}

#[test]
fn example_2_discovery_after_setup_from_the_suites_parent() {
    let area = example("ex2-auto");
    let (code, report, _) = utah_json(&area, "ex2-auto/master.run", &[]);
    assert_eq!(code, 1, "FAIL");
    assert_eq!(
        entries(&report),
        [
            "testsuite_setup auto_suite - 0",
            "testcase_test auto_suite alpha 0",
            "testcase_test auto_suite beta 1",
            "testcase_test auto_suite gamma 0",
            "testsuite_cleanup auto_suite - 0",
        ]
    );
    assert_eq!(counters(&report), [2, 1, 0, 0]);
    assert!(report["commands"][0]["testcase"].is_null());
    assert_eq!(report["commands"][1]["command"], "sh ../run_case.sh alpha");
    assert_eq!(
        report["commands"][2]["stdout"],
        "MARK case beta running in directory beta\n"
    );
    assert_eq!(
        records(&area),
        [
            "auto_suite COMPLETED FAIL",
            "auto_suite(alpha) COMPLETED PASS",
            "auto_suite(beta) COMPLETED FAIL",
            "auto_suite(gamma) COMPLETED PASS",
        ]
    );
}

#[test]
fn example_3_a_failed_setup_skips_its_suite_and_the_run_goes_on() {
    let area = example("ex3-ts-setup-fail");
    let (code, report, _) = utah_json(&area, "ex3-ts-setup-fail/master.run", &[]);
    assert_eq!(code, 2, "ERROR");
    assert_eq!(
        entries(&report),
        [
            "testsuite_build broken_setup - 0",
            "testsuite_setup broken_setup - 3",
            "testsuite_cleanup broken_setup - 0",
            "testcase_test healthy still_runs 0",
        ]
    );
    no_entry_says(&report, "SHOULD-NOT-RUN");
    assert_eq!(counters(&report), [1, 0, 1, 0]);
    assert_eq!(
        records(&area),
        [
            "broken_setup COMPLETED ABORT",
            "broken_setup(never_a) NOT_STARTED PREQ_FAIL",
            "broken_setup(never_b) NOT_STARTED PREQ_FAIL",
            "healthy COMPLETED PASS",
            "healthy(still_runs) COMPLETED PASS",
        ]
    );
}

#[test]
fn megatest_utah_runs_a_runlist_in_an_existing_area() {
    let area = example("ex3-ts-setup-fail")
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nlinktree #{getenv MT_RUN_AREA_HOME}/lt\n",
        )
        .file("runconfigs.config", "[default]\n");
    let out = area
        .megatest(&[
            "-utah",
            "ex3-ts-setup-fail/master.run",
            "-target",
            "linux",
            "-runname",
            "nightly",
            "-o",
            "utah.yaml",
        ])
        .run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    let yaml = std::fs::read_to_string(area.path().join("utah.yaml")).unwrap();
    for line in [
        "errors: 1\n",
        "failures: 0\n",
        "passes: 1\n",
        "fetch_errors: 0\n",
    ] {
        assert!(yaml.contains(&format!("\n{line}")), "{line} in\n{yaml}");
    }
    let listing = area
        .megatest(&["-list-runs", "nightly", "-target", "linux"])
        .run();
    assert!(
        listing.success().contains("Test: healthy(still_runs)"),
        "{}",
        listing.stdout
    );
    assert!(
        area.path()
            .join("lt/linux/nightly/healthy/still_runs")
            .is_dir()
    );
    // Without a target the area's keys are named.
    let out = area
        .megatest(&["-utah", "ex3-ts-setup-fail/master.run"])
        .run();
    let stderr = out.failure(2);
    assert!(
        stderr.contains("this area's targets are platform"),
        "{stderr}"
    );
}

/// A runlist `master.run` of one dev suite `s` whose cases are `(name, tc_control tail)`;
/// every case's tc_control has the required keys and `timeout: 30` unless the tail says.
fn one_suite(runlist_tail: &str, cases: &[(&str, &str)]) -> Area {
    let mut area = Area::new().file(
        "master.run",
        &format!(
            "testsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n{runlist_tail}"
        ),
    );
    let mut list = String::new();
    for (name, tail) in cases {
        list.push_str(&format!("- test: {name}\n"));
        let timeout = if tail.contains("timeout:") {
            ""
        } else {
            "timeout: 30\n"
        };
        area = area.file(
            &format!("s/{name}/tc_control"),
            &format!("description: d\ndependencies: none\naction: a\nexpected_results: e\n{timeout}{tail}"),
        );
    }
    area.file("s/tslist.run", &list)
}

#[test]
fn a_timeout_ends_the_commands_whole_process_group() {
    // The background child ignores TERM: the KILL after the grace period ends it too.
    let area = one_suite(
        "",
        &[(
            "slow",
            "timeout: 1\ncommand: (trap '' TERM; sleep 60) & echo $! > child.pid; sleep 60\n",
        )],
    );
    let started = std::time::Instant::now();
    let (code, report, _) = utah_json(&area, "master.run", &["--runname", "r"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(code, 1, "a timed-out test FAILs");
    assert_eq!(entries(&report), ["testcase_test s slow -15"]);
    assert!(
        report["commands"][0]["stderr"]
            .as_str()
            .unwrap()
            .ends_with("utah: command timed out after 1 seconds\n")
    );
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let rundir: String = db
        .query_row("SELECT rundir FROM tests WHERE item_path='slow'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let pid = std::fs::read_to_string(Path::new(&rundir).join("child.pid")).unwrap();
    let proc_dir = Path::new("/proc").join(pid.trim());
    for _ in 0..50 {
        if !proc_dir.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !proc_dir.exists(),
        "the TERM-ignoring child {} is left",
        pid.trim()
    );
}

#[test]
fn include_then_exclude_in_list_order_and_unknown_names_warn() {
    let cases: Vec<(&str, &str)> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| (*n, "command: echo ran\n"))
        .collect();
    let area = one_suite(
        "    include_tests: [c, a, b, zz]\n    exclude_tests: [b]\n",
        &cases,
    );
    let (code, report, stderr) = utah_json(&area, "master.run", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        entries(&report),
        ["testcase_test s a 0", "testcase_test s c 0"]
    );
    assert!(
        stderr.contains("names `zz`, which is not one of its cases"),
        "{stderr}"
    );
}

#[test]
fn repeat_count_runs_everything_again_into_one_report() {
    let area = one_suite(
        "repeat_count: 2\n",
        &[("a", "command: echo $((1)) >> ../count; true\n")],
    )
    .file("s/ts_control", "ts_setup: echo setup\n");
    let (code, report, _) = utah_json(&area, "master.run", &["--runname", "r"]);
    assert_eq!(code, 0);
    assert_eq!(
        entries(&report),
        [
            "testsuite_setup s - 0",
            "testcase_test s a 0",
            "testsuite_setup s - 0",
            "testcase_test s a 0",
            "testsuite_setup s - 0",
            "testcase_test s a 0",
        ]
    );
    assert_eq!(counters(&report), [3, 0, 0, 0]);
    assert_eq!(
        records(&area),
        [
            "s COMPLETED PASS",
            "s(a/1) COMPLETED PASS",
            "s(a/2) COMPLETED PASS",
            "s(a/3) COMPLETED PASS",
        ]
    );
}

#[test]
fn append_merges_into_one_report_and_text_is_a_line_per_command() {
    let area = one_suite("", &[("a", "command: exit 3\n")]);
    utah_json(&area, "master.run", &[]);
    let out = area
        .utah(&["-r", "master.run", "-f", "json", "-o", "report.json", "-a"])
        .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(area.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(
        entries(&report),
        ["testcase_test s a 3", "testcase_test s a 3"]
    );
    assert_eq!(counters(&report), [0, 2, 0, 0]);
    let text = area.utah(&["-r", "master.run", "-f", "text"]).run();
    assert_eq!(
        text.stdout,
        "testcase_test       s/a 3 exit 3\npasses: 0 failures: 1 errors: 0 fetch_errors: 0 result: FAIL\n"
    );
    // Two runs of the area, each its own.
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let runs: i64 = db
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 3);
}

#[test]
fn a_phoenix_skeleton_runs_as_written_and_grows_without_overwriting() {
    let area = Area::new();
    let phoenix = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_phoenix"))
            .args(args)
            .current_dir(area.path())
            .output()
            .unwrap()
    };
    assert!(phoenix(&["utah_howto", "test_one"]).status.success());
    // Names YAML would read as numbers are quoted, so the skeleton still validates.
    assert!(phoenix(&["007", "42"]).status.success());
    let (code, _, stderr) = utah_json(&area, "007/master.run", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        phoenix(&["utah_howto", "test_two", "test_one_b"])
            .status
            .success()
    );
    let again = phoenix(&["utah_howto", "test_one"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("does not overwrite"));
    let list = std::fs::read_to_string(area.path().join("utah_howto/tslist.run")).unwrap();
    assert_eq!(
        list,
        "- test: test_one\n- test: test_two\n- test: test_one_b\n"
    );
    let (code, report, _) = utah_json(&area, "utah_howto/master.run", &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        entries(&report),
        [
            "testcase_test utah_howto test_one 0",
            "testcase_test utah_howto test_two 0",
            "testcase_test utah_howto test_one_b 0",
        ]
    );
    assert_eq!(
        report["commands"][0]["stdout"],
        "test_one: placeholder test from phoenix; edit test.sh\n"
    );
}

/// Runs `program args` in `dir`, asserting success.
fn sh(dir: &Path, program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .env("BRZ_EMAIL", "t <t@example.org>")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/setup.sh installs it)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A suite `src/` with one passing case, for the version-control fetches.
fn suite_source(area: &Area) -> PathBuf {
    let src = area.path().join("src");
    std::fs::create_dir_all(src.join("t")).unwrap();
    std::fs::write(src.join("tslist.run"), "- test: t\n").unwrap();
    std::fs::write(
        src.join("t/tc_control"),
        "description: d\ndependencies: none\naction: a\nexpected_results: e\ntimeout: 30\ncommand: cat ../origin\n",
    )
    .unwrap();
    src
}

#[test]
fn git_and_bzr_fetch_from_local_repositories() {
    let area = Area::new();
    let src = suite_source(&area);
    // git: a bare repository beside the runlist, pushed to from a work tree.
    std::fs::write(src.join("origin"), "git\n").unwrap();
    sh(area.path(), "git", &["init", "-q", "--bare", "suite.git"]);
    sh(&src, "git", &["init", "-q"]);
    sh(&src, "git", &["add", "."]);
    sh(&src, "git", &["commit", "-q", "-m", "suite"]);
    sh(
        &src,
        "git",
        &["push", "-q", "../suite.git", "HEAD:refs/heads/master"],
    );
    std::fs::remove_dir_all(src.join(".git")).unwrap();
    // Breezy: a branch of the same suite.
    std::fs::write(src.join("origin"), "bzr\n").unwrap();
    sh(area.path(), "brz", &["init", "-q", "branch"]);
    sh(area.path(), "cp", &["-r", "src/.", "branch/"]);
    sh(&area.path().join("branch"), "brz", &["add", "-q"]);
    sh(
        &area.path().join("branch"),
        "brz",
        &["commit", "-q", "-m", "suite"],
    );
    let area = area.file(
        "master.run",
        "testsuites:
  - name: from_git
    fetch_method: git
    fetch_location: ./suite.git
  - name: from_bzr
    fetch_method: bzr
    fetch_location: ./branch
  - name: exported
    fetch_method: bzr-export
    fetch_location: ./branch
",
    );
    let (code, report, stderr) = utah_json(&area, "master.run", &["--runname", "vcs"]);
    assert_eq!(code, 0, "{stderr}\n{report}");
    let outputs: Vec<String> = report["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["testsuite"].as_str().unwrap(),
                e["stdout"].as_str().unwrap().trim()
            )
        })
        .collect();
    assert_eq!(outputs, ["from_git git", "from_bzr bzr", "exported bzr"]);
    let work = area.path().join(format!(
        "links/{}/{}/vcs",
        std::env::consts::ARCH,
        records_target(&area)
    ));
    assert!(work.join("from_git/.git").is_dir(), "a clone");
    assert!(work.join("from_bzr/.bzr").is_dir(), "a branch");
    assert!(
        !work.join("exported/.bzr").exists(),
        "an export has no branch"
    );
}

/// The release part of the run's target.
fn records_target(area: &Area) -> String {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    db.query_row("SELECT release FROM runs", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn run_as_runs_only_the_test_command_as_that_user() {
    assert!(
        std::process::Command::new("id")
            .arg("utahtest")
            .output()
            .unwrap()
            .status
            .success(),
        "the user utahtest is missing: scripts/setup.sh adds it"
    );
    let area = one_suite(
        "",
        &[(
            "who",
            "tc_setup: id -un\ncommand: id -un\ntc_cleanup: id -un\nrun_as: utahtest\n",
        )],
    );
    let me = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let (code, report, stderr) = utah_json(&area, "master.run", &[]);
    assert_eq!(code, 0, "{stderr}\n{report}");
    let ran: Vec<String> = report["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["cmd_type"].as_str().unwrap(),
                e["stdout"].as_str().unwrap().trim(),
                e["user"].as_str().unwrap()
            )
        })
        .collect();
    let me = me.trim();
    assert_eq!(
        ran,
        [
            format!("testcase_setup {me} {me}"),
            "testcase_test utahtest utahtest".to_string(),
            format!("testcase_cleanup {me} {me}"),
        ]
    );
}

#[test]
fn a_reboot_stops_the_run_and_the_same_command_goes_on_with_the_next_case() {
    let area = one_suite(
        "",
        &[
            ("a", "command: echo a >> $ORDER\nreboot: always\n"),
            ("b", "command: echo b >> $ORDER\n"),
            ("c", "command: echo c >> $ORDER\nreboot: pass\n"),
        ],
    )
    .file(
        "s/ts_control",
        "ts_setup: echo setup >> $ORDER\nts_cleanup: echo cleanup >> $ORDER\n",
    );
    let order = area.path().join("order");
    let reboots = area.path().join("reboots");
    let utah = |args: &[&str]| {
        area.utah(args)
            .env("ORDER", &order.display().to_string())
            .env(
                "UTAH_REBOOT_CMD",
                &format!("echo rebooted >> {}", reboots.display()),
            )
            .run()
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let first = utah(&["-r", "master.run", "-f", "json", "-o", "report.json"]);
    assert_eq!(first.code, 3, "stopped for a reboot: {}", first.stderr);
    assert_eq!(read(&order), "setup\na\n");
    assert_eq!(read(&reboots), "rebooted\n");
    let partial: Value = serde_json::from_str(&read(&area.path().join("report.json"))).unwrap();
    assert_eq!(
        entries(&partial),
        ["testsuite_setup s - 0", "testcase_test s a 0"]
    );
    // The same command goes on after a, and c reboots again.
    let second = utah(&["-r", "master.run", "-f", "json", "-o", "report.json"]);
    assert_eq!(second.code, 3, "{}", second.stderr);
    assert_eq!(read(&order), "setup\na\nb\nc\n");
    // --resume alone goes on with the saved run.
    let third = utah(&["--resume", "-f", "json", "-o", "report.json"]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(
        read(&order),
        "setup\na\nb\nc\ncleanup\n",
        "no finished case ran twice"
    );
    assert_eq!(read(&reboots), "rebooted\nrebooted\n");
    let report: Value = serde_json::from_str(&read(&area.path().join("report.json"))).unwrap();
    assert_eq!(
        entries(&report),
        [
            "testsuite_setup s - 0",
            "testcase_test s a 0",
            "testcase_test s b 0",
            "testcase_test s c 0",
            "testsuite_cleanup s - 0",
        ]
    );
    assert_eq!(counters(&report), [3, 0, 0, 0]);
    assert_eq!(
        records(&area),
        [
            "s COMPLETED PASS",
            "s(a) COMPLETED PASS",
            "s(b) COMPLETED PASS",
            "s(c) COMPLETED PASS",
        ]
    );
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let runs: Vec<String> = db
        .prepare("SELECT status FROM runs")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(runs, ["PASS"], "one run, finished");
    // Nothing left to resume.
    let again = utah(&["--resume"]);
    assert!(again.failure(2).contains("no run is waiting for a reboot"));
}

#[test]
fn without_a_reboot_command_a_reboot_is_noted_and_the_run_goes_on() {
    let area = one_suite(
        "",
        &[
            ("a", "command: \"true\"\nreboot: always\n"),
            ("b", "command: \"true\"\n"),
        ],
    );
    let (code, report, stderr) = utah_json(&area, "master.run", &[]);
    assert_eq!(code, 0);
    assert_eq!(entries(&report).len(), 2);
    assert!(
        stderr.contains("reboot requested by s/a: not performed (no reboot command is configured)"),
        "{stderr}"
    );
}

#[test]
fn a_utah_run_is_read_from_scheme_rerun_under_its_name_and_removed() {
    let area = one_suite(
        "",
        &[("a", "command: \"true\"\n"), ("b", "command: exit $B\n")],
    );
    let run = |b: &str| {
        area.utah(&["-r", "master.run", "--runname", "nightly", "-f", "text"])
            .env("B", b)
            .run()
    };
    assert_eq!(run("1").code, 1);
    std::fs::write(
        area.path().join("read.scm"),
        r#"(define runs (rmt:get-runs "nightly" #f #f '()))
(define id (db:get-value-by-header (car (db:get-rows runs)) (db:get-header runs) "id"))
(for-each (lambda (t) (display (list (db:test-get-fullname t) (db:test-get-status t))) (newline))
  (rmt:get-tests-for-run id "%" '() '() #f #f #f 'testname "ASC" #f #f 'normal))
"#,
    )
    .unwrap();
    let read = area.megatest(&["-load", "read.scm"]).run();
    assert_eq!(
        read.success(),
        "(s FAIL)\n(s/a PASS)\n(s/b FAIL)\n",
        "{}",
        read.stderr
    );
    // The same run name again: the same run, its records brought up to date.
    assert_eq!(run("0").code, 0);
    assert_eq!(
        records(&area),
        [
            "s COMPLETED PASS",
            "s(a) COMPLETED PASS",
            "s(b) COMPLETED PASS"
        ]
    );
    let target = format!("{}/{}", std::env::consts::ARCH, records_target(&area));
    let work = area.path().join("links").join(&target).join("nightly");
    assert!(work.join("s/b").is_dir());
    area.megatest(&[
        "-remove-runs",
        "-target",
        &target,
        "-runname",
        "nightly",
        "-testpatt",
        "%",
    ])
    .run()
    .success();
    assert!(
        !work.join("s").exists(),
        "the run's directories are removed"
    );
    let listing = area.megatest(&["-list-runs", "%"]).run();
    assert!(!listing.success().contains("nightly"), "{}", listing.stdout);
}

#[test]
fn the_readmes_example_passes_from_another_directory() {
    let area = Area::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/utah-smoke");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&example)
        .arg(area.path().join("utah-smoke"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = area
        .utah(&[
            "--start-dir",
            "utah-smoke",
            "-r",
            "utah-smoke/master.run",
            "-o",
            "utah-smoke/report.yaml",
        ])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = std::fs::read_to_string(area.path().join("utah-smoke/report.yaml")).unwrap();
    assert!(report.contains("\npasses: 3\n"), "{report}");
    let listing = area
        .megatest(&["-start-dir", "utah-smoke", "-list-runs", "%"])
        .run();
    assert!(
        listing.success().contains("Test: smoke(listing)"),
        "{}",
        listing.stdout
    );
    assert!(
        !area.path().join("megatest.config").exists(),
        "no area made in the caller's directory"
    );
}

#[test]
fn output_a_command_leaves_running_is_kept_and_a_huge_timeout_is_none() {
    let area = one_suite(
        "",
        &[(
            "bg",
            "timeout: 9223372036854775807\ncommand: echo hi; sleep 3 &\n",
        )],
    );
    let started = std::time::Instant::now();
    let (code, report, stderr) = utah_json(&area, "master.run", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(report["commands"][0]["stdout"], "hi\n");
}

#[test]
fn ctrl_c_ends_the_running_command_and_writes_the_report_so_far() {
    let area = one_suite(
        "",
        &[
            ("first", "command: echo done\n"),
            ("long", "command: echo $$ > ../long.pid; exec sleep 600\n"),
            ("never", "command: echo SHOULD-NOT-RUN\n"),
        ],
    );
    let mut child = area
        .utah(&[
            "-r",
            "master.run",
            "-f",
            "json",
            "-o",
            "report.json",
            "--runname",
            "r",
        ])
        .spawn();
    let db = area.path().join("megatest.db");
    let pid_file = || {
        Connection::open(&db)
            .ok()?
            .query_row("SELECT rundir FROM tests WHERE item_path=''", [], |r| {
                r.get::<_, String>(0)
            })
            .ok()
            .map(|dir| Path::new(&dir).join("long.pid"))
            .filter(|p| p.exists())
    };
    let mut pid = None;
    for _ in 0..100 {
        if let Some(p) = pid_file() {
            pid = std::fs::read_to_string(p)
                .ok()
                .filter(|t| !t.trim().is_empty());
            if pid.is_some() {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pid = pid.expect("the long case started").trim().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(130));
    let proc_dir = Path::new("/proc").join(&pid);
    for _ in 0..50 {
        if !proc_dir.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!proc_dir.exists(), "the test command {pid} is left");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(area.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(
        entries(&report),
        ["testcase_test s first 0", "testcase_test s long -15"]
    );
    let found = records(&area);
    assert_eq!(
        found[1..],
        ["s(first) COMPLETED PASS", "s(long) KILLED KILLED"]
    );
    assert!(found[0].starts_with("s KILLED "), "{found:?}");
    assert!(!report.to_string().contains("SHOULD-NOT-RUN"));
}

#[test]
fn resume_goes_on_in_the_suite_it_stopped_in_whatever_else_waits() {
    // The first suite's fetch fails; the second reboots; another runlist runs meanwhile.
    let area = one_suite(
        "",
        &[
            ("a", "command: echo a >> $ORDER\nreboot: always\n"),
            ("b", "command: echo b >> $ORDER\n"),
        ],
    );
    let runlist = std::fs::read_to_string(area.path().join("master.run")).unwrap();
    std::fs::write(
        area.path().join("master.run"),
        runlist.replace(
            "testsuites:\n",
            "testsuites:\n  - name: gone\n    fetch_method: dev\n    fetch_location: ./nowhere\n",
        ),
    )
    .unwrap();
    std::fs::write(area.path().join("other.run"), runlist).unwrap();
    let order = area.path().join("order");
    let utah = |args: &[&str], reboot: &str| {
        area.utah(args)
            .env("ORDER", &order.display().to_string())
            .env("UTAH_REBOOT_CMD", reboot)
            .run()
    };
    assert_eq!(utah(&["-r", "master.run"], "true").code, 3);
    // Another runlist, run to its end (its reboot command fails: it goes on).
    let other = utah(&["-r", "other.run", "--runname", "other"], "false");
    assert_eq!(other.code, 0, "{}", other.stderr);
    assert!(other.stderr.contains("the reboot command failed (exit 1)"));
    let done = utah(&["-r", "master.run", "-f", "text"], "true");
    assert_eq!(done.code, 2, "the fetch error counts: {}", done.stderr);
    assert_eq!(std::fs::read_to_string(&order).unwrap(), "a\na\nb\nb\n");
    let lines: Vec<&str> = done.stdout.lines().collect();
    assert!(
        lines[0].starts_with("testsuite_fetch     gone/- 1"),
        "{}",
        done.stdout
    );
    assert!(
        lines[1].starts_with("testcase_test       s/a 0"),
        "{}",
        done.stdout
    );
    assert!(
        lines[2].starts_with("testcase_test       s/b 0"),
        "{}",
        done.stdout
    );
    assert_eq!(lines.len(), 4, "{}", done.stdout);
}

#[test]
fn append_to_a_text_report_and_refuse_early_what_cannot_be_appended_to() {
    let area = one_suite("", &[("a", "command: touch ../../ran-$N\n")]);
    for n in ["1", "2"] {
        let out = area
            .utah(&["-r", "master.run", "-f", "text", "-o", "report.txt", "-a"])
            .env("N", n)
            .run();
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let text = std::fs::read_to_string(area.path().join("report.txt")).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("testcase_test"))
            .count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("passes: 1")).count(),
        2,
        "{text}"
    );
    // A text report is not a YAML one to append to: said before anything runs.
    let out = area
        .utah(&["-r", "master.run", "-f", "yaml", "-o", "report.txt", "-a"])
        .env("N", "3")
        .run();
    assert!(
        out.failure(2).contains("-a: cannot append to"),
        "{}",
        out.stderr
    );
    let runs = std::fs::read_dir(area.path().join("links"))
        .map(|_| ())
        .is_ok();
    assert!(runs);
    let ran: Vec<String> = walk_names(area.path());
    assert!(!ran.iter().any(|n| n == "ran-3"), "a case ran: {ran:?}");
}

/// Every file name under `dir`.
fn walk_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        names.push(entry.file_name().to_string_lossy().into_owned());
        if path.is_dir() && !path.is_symlink() {
            names.extend(walk_names(&path));
        }
    }
    names
}

#[test]
fn utah_started_inside_a_suite_it_copies_makes_the_area_beside_it() {
    let area = Area::new();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_phoenix"))
        .args(["howto", "one"])
        .current_dir(area.path())
        .status()
        .unwrap();
    assert!(status.success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_utah"))
        .args(["-r", "master.run", "-f", "text"])
        .current_dir(area.path().join("howto"))
        .env_remove("MT_RUN_AREA_HOME")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the area is made beside it"), "{stderr}");
    assert!(!area.path().join("howto/megatest.config").exists());
    assert!(area.path().join("megatest.config").exists());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("testcase_test       howto/one 0"));
}
