//! What kept Megatest 1.65's own QA areas from running unchanged, each reduced to a small
//! area: config forms and options 1.65 tolerates, the toplevel record an external launcher's
//! items roll up, prerequisites judged by the matching item, the run's name before
//! megatest.config is read, and the smaller differences (job limit, run time, a step log
//! that is not there, the launch delay).

use crate::harness::Area;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// `test` or `test/item` → "STATE STATUS" for every record of the area's runs.
fn records(area: &Area) -> BTreeMap<String, String> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT testname, item_path, state, status FROM tests")
        .unwrap();
    stmt.query_map([], |r| {
        let test: String = r.get(0)?;
        let item: String = r.get(1)?;
        let name = if item.is_empty() {
            test
        } else {
            format!("{test}/{item}")
        };
        Ok((
            name,
            format!("{} {}", r.get::<_, String>(2)?, r.get::<_, String>(3)?),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

const CONFIG: &str = "
[fields]
platform TEXT

[setup]
linktree #{getenv MT_RUN_AREA_HOME}/links
";

/// An area with this megatest.config tail and these tests (name, testconfig).
fn area(config_tail: &str, tests: &[(&str, &str)]) -> Area {
    let mut area = Area::new()
        .file("megatest.config", &format!("{CONFIG}{config_tail}"))
        .file("runconfigs.config", "[default]\nX 1\n");
    for (name, testconfig) in tests {
        area = area.file(&format!("tests/{name}/testconfig"), testconfig);
    }
    area
}

fn run(area: &Area, testpatt: &str) -> String {
    area.megatest(&[
        "-run",
        "-target",
        "p1",
        "-runname",
        "r1",
        "-testpatt",
        testpatt,
        "-run-wait",
    ])
    .run()
    .success_stderr()
    .to_string()
}

/// `megatest ACTION -target p1 -runname r1 -testpatt PATT` in the area.
fn on_run(area: &Area, action: &[&str], testpatt: &str) -> crate::harness::Output {
    let mut args = action.to_vec();
    args.extend(["-target", "p1", "-runname", "r1", "-testpatt", testpatt]);
    area.megatest(&args).run()
}

/// The file's text once `ready` says so (what background commands write), or as it is after
/// 5 s.
fn read_when(path: &std::path::Path, ready: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(path).unwrap_or_default();
        if ready(&text) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    text
}

#[test]
fn an_external_launchers_items_roll_up_into_the_toplevel_the_waiter_reads() {
    // The launcher starts the executor in the background and returns at once, as nbfake
    // does: the runner learns of the items' ends only from their records.
    let area = area(
        "reruns 0\n[jobtools]\nlauncher #{getenv MT_RUN_AREA_HOME}/bg.sh\n",
        &[
            ("a", "[items]\nI x y\n[ezsteps]\ns1 sleep 1\n"),
            (
                "b",
                "[requirements]\nwaiton a\nmode itemwait\n[items]\nJ 1 2\n[ezsteps]\ns1 true\n",
            ),
        ],
    )
    .file("bg.sh", "#!/bin/sh\n\"$@\" >/dev/null 2>&1 &\n");
    std::fs::set_permissions(
        area.path().join("bg.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    run(&area, "%");
    let found = records(&area);
    for name in ["a/x", "a/y", "a", "b/1", "b/2", "b"] {
        assert_eq!(found[name], "COMPLETED PASS", "{name}: {found:?}");
    }
}

#[test]
fn an_item_waits_on_its_own_prerequisite_item() {
    // a/2 fails; with itemwait b/2 is PREQ_FAIL, and c/2, waiting on b/2, must not run,
    // not even in the automatic extra pass, where b's toplevel looks settled and OK.
    let area = area(
        "",
        &[
            ("a", "[items]\nI 1 2\n[ezsteps]\ns1 test $I = 1\n"),
            (
                "b",
                "[requirements]\nwaiton a\nmode itemwait\n[items]\nI 1 2\n[ezsteps]\ns1 true\n",
            ),
            (
                "c",
                "[requirements]\nwaiton b\nmode itemwait\n[items]\nI 1 2\n[ezsteps]\ns1 true\n",
            ),
        ],
    );
    run(&area, "c");
    let found = records(&area);
    assert_eq!(found["a/2"], "COMPLETED FAIL", "{found:?}");
    assert_eq!(found["b/2"], "NOT_STARTED PREQ_FAIL", "{found:?}");
    assert!(found["c/2"].starts_with("NOT_STARTED PREQ_"), "{found:?}");
    assert_eq!(found["c/1"], "COMPLETED PASS", "{found:?}");
}

#[test]
fn the_run_name_is_known_when_megatest_config_is_read() {
    let area = area(
        "[env-override]\nMYRUNNAME /this/is/#{getenv MT_RUNNAME}/my/runname\n",
        &[(
            "t",
            "[ezsteps]\ns1 test \"$MYRUNNAME\" = /this/is/r1/my/runname\n",
        )],
    );
    run(&area, "%");
    assert_eq!(records(&area)["t"], "COMPLETED PASS");
}

#[test]
fn helpers_called_from_a_test_tolerate_what_1_65_tolerates() {
    // fullrun's singletest passes :first_err, which 1.65 reports and ignores.
    let area = area(
        "",
        &[(
            "t",
            "[ezsteps]\ns1 $MT_MEGATEST -test-status :state COMPLETED :status PASS :first_err \"This is the first error\"\n",
        )],
    );
    run(&area, "%");
    assert_eq!(records(&area)["t"], "COMPLETED PASS");
}

#[test]
fn tests_run_side_by_side_by_default() {
    // 1.65's default max_concurrent_jobs is 50: each test waits until all three started.
    let wait_for_all = "[ezsteps]\ns1 touch ../started.$MT_TEST_NAME; for i in $(seq 100); do [ $(ls .. | grep -c '^started') -ge 3 ] && exit 0; sleep 0.1; done; exit 1\n";
    let area = area(
        "",
        &[
            ("t1", wait_for_all),
            ("t2", wait_for_all),
            ("t3", wait_for_all),
        ],
    );
    run(&area, "%");
    let found = records(&area);
    for name in ["t1", "t2", "t3"] {
        assert_eq!(found[name], "COMPLETED PASS", "{found:?}");
    }
}

#[test]
fn a_short_test_records_its_run_time() {
    let area = area("", &[("t", "[ezsteps]\ns1 sleep 2\n")]);
    run(&area, "%");
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let seconds: i64 = db
        .query_row(
            "SELECT run_duration FROM tests WHERE testname='t'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(seconds >= 2, "run_duration {seconds}");
}

#[test]
fn a_step_whose_log_is_gone_fails_the_step_not_the_executor() {
    let area = area("", &[("t", "[ezsteps]\ns1 rm -f s1.log\n")]).file(
        "tests/t/s1.logpro",
        "(expect:required in \"LogFileBody\" > 0 \"anything\" #/./)\n",
    );
    run(&area, "%");
    assert_eq!(records(&area)["t"], "COMPLETED FAIL");
}

#[test]
fn a_launch_delay_does_not_spin_while_tests_wait() {
    // b waits 3 s on a; the runner's own CPU time while it waits stays small. Measured by
    // the shell that runs it (`times`: its children's user and system time).
    let area = area(
        "[setup]\nlaunch-delay 0.2\n",
        &[
            ("a", "[ezsteps]\ns1 sleep 3\n"),
            ("b", "[requirements]\nwaiton a\n[ezsteps]\ns1 true\n"),
        ],
    );
    let script = format!(
        "{} -run -target p1 -runname r1 -testpatt % -run-wait >/dev/null 2>&1; times",
        env!("CARGO_BIN_EXE_megatest")
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(area.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // The second line: children's "XmY.YYYs XmZ.ZZZs".
    let seconds: f64 = text
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .map(|t| {
            let (m, s) = t.trim_end_matches('s').split_once('m').unwrap();
            m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
        })
        .sum();
    assert_eq!(records(&area)["b"], "COMPLETED PASS");
    assert!(
        seconds < 1.5,
        "the runner used {seconds} s of CPU in a run of about 3 s: {text}"
    );
}

#[test]
fn testconfig_scheme_sees_the_area_as_fullrun_uses_it() {
    // fullrun's dynamic_waiton waits on every test the pattern selects, computed in Scheme
    // while the runner reads testconfigs; db_sync asks for the database's directory.
    let done = "[ezsteps]\ns1 sleep 1; touch $MT_RUN_AREA_HOME/$MT_TEST_NAME.done\n";
    let area = area(
        "",
        &[
            ("a", done),
            ("b", done),
            (
                "dynamic",
                "[requirements]\nwaiton #{scheme (string-intersperse (tests:filter-test-names (hash-table-keys (tests:get-all)) (or (args:get-arg \"-runtests\") (args:get-arg \"-testpatt\") \"\")) \" \")}\n[ezsteps]\ns1 test -e $MT_RUN_AREA_HOME/a.done && test -e $MT_RUN_AREA_HOME/b.done\n",
            ),
            (
                "db_sync",
                "[pre-launch-env-vars]\nMT_DBDIR #{scheme (db:dbfile-path #f)}\n[ezsteps]\ns1 test -f \"$MT_DBDIR/megatest.db\"\n",
            ),
        ],
    );
    let stderr = run(&area, "%");
    let found = records(&area);
    for name in ["a", "b", "dynamic", "db_sync"] {
        assert_eq!(found[name], "COMPLETED PASS", "{name}: {found:?}\n{stderr}");
    }
    assert!(
        !stderr.contains("left as written"),
        "every form evaluated: {stderr}"
    );
}

#[test]
fn a_trigger_gets_the_eight_arguments_the_manual_lists() {
    // test id, run dir, trigger key, test name, item path, state, status, event time.
    let area = area(
        "",
        &[(
            "t",
            "[ezsteps]\ns1 true\n[triggers]\nCOMPLETED/PASS #{getenv MT_RUN_AREA_HOME}/log-args.sh\nCOMPLETED/FAIL #{getenv MT_RUN_AREA_HOME}/log-args.sh\n",
        )],
    )
    .file(
        "log-args.sh",
        "#!/bin/sh\necho \"$#|$1|$3|$4|$5|$6|$7|$8\" > \"$MT_RUN_AREA_HOME/args.txt\"\n[ -d \"$2\" ] && echo rundir >> \"$MT_RUN_AREA_HOME/args.txt\"\n",
    );
    std::fs::set_permissions(
        area.path().join("log-args.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    run(&area, "%");
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let (id, event_time): (i64, i64) = db
        .query_row(
            "SELECT id, event_time FROM tests WHERE testname='t'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let path = area.path().join("args.txt");
    let wait_for = |key: &str| read_when(&path, |t| t.contains(key) && t.contains("rundir"));
    assert_eq!(
        wait_for("COMPLETED/PASS"),
        format!("8|{id}|COMPLETED/PASS|t||COMPLETED|PASS|{event_time}\nrundir\n")
    );
    // An operator's -set-state-status fires the test's triggers too, as in 1.65.
    std::fs::remove_file(&path).unwrap();
    on_run(&area, &["-set-state-status", "COMPLETED,FAIL"], "t").success();
    assert_eq!(
        wait_for("COMPLETED/FAIL"),
        format!("8|{id}|COMPLETED/FAIL|t||COMPLETED|FAIL|{event_time}\nrundir\n")
    );
}

#[test]
fn itempatt_narrows_the_test_pattern_with_1_65s_warning() {
    let area = area("", &[("t", "[items]\nI a b\n[ezsteps]\ns1 true\n")]);
    let out = area
        .megatest(&[
            "-run",
            "-target",
            "p1",
            "-runname",
            "r1",
            "-testpatt",
            "t",
            "-itempatt",
            "a",
            "-run-wait",
        ])
        .run();
    let stderr = out.success_stderr();
    assert!(
        stderr.contains("-itempatt has been deprecated, please use -testpatt testpatt/itempatt method, new testpatt is t/a"),
        "{stderr}"
    );
    let found = records(&area);
    assert_eq!(found["t/a"], "COMPLETED PASS", "{found:?}");
    assert!(!found.contains_key("t/b"), "{found:?}");
}

#[test]
fn mark_incompletes_ends_tests_whose_executor_is_gone() {
    let area = area("", &[("t", "[ezsteps]\ns1 true\n")]);
    run(&area, "%");
    // As if its executor had died long ago: RUNNING with no heartbeat since.
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    db.execute(
        "UPDATE tests SET state='RUNNING', status='n/a', event_time=strftime('%s','now')-100000, run_duration=0 WHERE testname='t'",
        [],
    )
    .unwrap();
    let out = area.megatest(&["-mark-incompletes"]).run();
    assert_eq!(out.success(), "1 test(s) marked COMPLETED/DEAD\n  t\n");
    assert_eq!(records(&area)["t"], "COMPLETED DEAD");
}

#[test]
fn a_waitor_joins_the_run_without_an_order() {
    // a names b as a waitor: `-testpatt a` runs both, and a does not wait for b.
    let area = area(
        "",
        &[
            (
                "a",
                "[requirements]\nwaitor b\n[ezsteps]\ns1 touch $MT_RUN_AREA_HOME/a.done\n",
            ),
            (
                "b",
                "[ezsteps]\ns1 for i in $(seq 100); do [ -e $MT_RUN_AREA_HOME/a.done ] && exit 0; sleep 0.1; done; exit 1\n",
            ),
        ],
    );
    run(&area, "a");
    let found = records(&area);
    assert_eq!(found["a"], "COMPLETED PASS", "{found:?}");
    assert_eq!(found["b"], "COMPLETED PASS", "{found:?}");
}

#[test]
fn run_hooks_run_before_the_first_test_and_after_each_pass() {
    let area = area(
        "[runs]\npre-hook echo PRE $MT_RUNNAME\npost-hook echo POST\n",
        &[("t", "[ezsteps]\ns1 true\n")],
    );
    let stderr = run(&area, "%");
    assert!(
        stderr.contains("INFO: (0) running run-pre-hook: \"echo PRE $MT_RUNNAME\""),
        "{stderr}"
    );
    let pre = area.path().join("logs/pre-hook-p1-r1.log");
    let post = area.path().join("logs/post-hook-p1-r1.log");
    assert_eq!(std::fs::read_to_string(&pre).unwrap(), "PRE r1\n");
    // The first pass and the automatic extra pass.
    assert_eq!(std::fs::read_to_string(&post).unwrap(), "POST\nPOST\n");
    // The run has tests now: its pre-hook does not run again.
    let stderr = run(&area, "%");
    assert!(
        stderr.contains("Skipping pre-hook call \"echo PRE $MT_RUNNAME\" as there are existing tests for this run."),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&pre).unwrap(), "PRE r1\n");
}

#[test]
fn testrollup_makes_the_item_rollup_page() {
    let area = area(
        "[testrollup]\nt echo ROLLUP-$MT_TEST_NAME\n",
        &[("t", "[items]\nI a b\n[ezsteps]\ns1 true\n")],
    );
    run(&area, "%");
    let page = area.path().join("links/p1/r1/t/megatest-rollup-t.html");
    let text = read_when(&page, |t| !t.is_empty());
    assert_eq!(text, "ROLLUP-t\n");
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let log: String = db
        .query_row(
            "SELECT final_logf FROM tests WHERE testname='t' AND item_path=''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(log, "megatest-rollup-t.html");
}

#[test]
fn megatest_config_triggers_fire_after_the_tests_own() {
    let area = area(
        "[triggers]\nCOMPLETED/PASS echo area >> $MT_RUN_AREA_HOME/fired.txt; true\n",
        &[(
            "t",
            "[ezsteps]\ns1 true\n[triggers]\nCOMPLETED/PASS echo test >> $MT_RUN_AREA_HOME/fired.txt; true\n",
        )],
    );
    run(&area, "%");
    let path = area.path().join("fired.txt");
    let text = read_when(&path, |t| t.lines().count() >= 2);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["area", "test"], "{text}");
}

#[test]
fn keys_1_65_reads_and_this_version_does_not_warn_once() {
    let area = area(
        "[setup]\nmaxretries 20\n",
        &[
            (
                "t",
                "[ezsteps]\ns1 true\n[subrun]\nnew COMPLETED,PASS\nrun-area /nonexistent\n",
            ),
            ("u", "[requirements]\nwaiton t\n[ezsteps]\ns1 true\n"),
        ],
    );
    let stderr = run(&area, "%");
    let said = |what: &str| stderr.lines().filter(|l| l.contains(what)).count();
    assert_eq!(
        said("megatest.config:7: [setup] maxretries is read by Megatest 1.65"),
        1,
        "{stderr}"
    );
    assert_eq!(
        said(
            "testconfig:4: [subrun] new is read by Megatest 1.65 (a -set-state-status for the nested run)"
        ),
        1,
        "{stderr}"
    );
}

#[test]
fn a_subrun_makes_a_run_in_another_area() {
    // The manual's nested runs: the test's last step runs megatest in the other area, for
    // the same target and run name, without the parent's MT_* variables; the nested run's
    // results decide.
    let child = area(
        "",
        &[
            (
                "inner",
                "[ezsteps]\ns1 test \"$MT_TARGET\" = p1 && test \"$MT_RUNNAME\" = r1\n",
            ),
            ("bad", "[ezsteps]\ns1 false\n"),
        ],
    );
    let subrun = |patt: &str| {
        format!(
            "[subrun]\nrun-wait yes\nrun-area {}\ntest-patt {patt}\n",
            child.path().display()
        )
    };
    let parent = area(
        "",
        &[
            ("outer", &subrun("inner")),
            ("outer_bad", &subrun("bad")),
            (
                "outer_missing",
                "[subrun]\nrun-area /nonexistent/area\nrun-name other\n",
            ),
        ],
    );
    run(&parent, "%");
    let found = records(&parent);
    assert_eq!(found["outer"], "COMPLETED PASS", "{found:?}");
    assert_eq!(found["outer_bad"], "COMPLETED FAIL", "{found:?}");
    // A nested run that cannot start fails its test (its megatest's exit code counts).
    assert_eq!(found["outer_missing"], "COMPLETED FAIL", "{found:?}");
    let nested = records(&child);
    assert_eq!(nested["inner"], "COMPLETED PASS", "{nested:?}");
    assert_eq!(nested["bad"], "COMPLETED FAIL", "{nested:?}");
    let db = Connection::open(child.path().join("megatest.db")).unwrap();
    let run: String = db
        .query_row("SELECT platform||'/'||runname FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(run, "p1/r1");
    let log = parent.path().join("links/p1/r1/outer/run-p1-r1-inner.log");
    assert!(log.is_file(), "the nested run's log");
}

#[test]
fn a_subrun_in_the_same_area_needs_a_run_of_its_own() {
    // Without run-area the nested run is in this area, under the run-name given.
    let area = area(
        "",
        &[
            ("outer", "[subrun]\nrun-name sub\ntest-patt inner\n"),
            ("inner", "[ezsteps]\ns1 test \"$MT_RUNNAME\" = sub\n"),
            ("loop", "[subrun]\ntest-patt inner\n"),
        ],
    );
    run(&area, "outer");
    let found = records(&area);
    assert_eq!(found["outer"], "COMPLETED PASS", "{found:?}");
    assert_eq!(found["inner"], "COMPLETED PASS", "{found:?}");
    // The same target and run name would wait for itself: the launch says so instead.
    let stderr = run(&area, "loop");
    assert!(
        stderr.contains("its [subrun] would run p1/r1 of this area, the run it is part of"),
        "{stderr}"
    );
    assert!(!records(&area)["loop"].starts_with("COMPLETED PASS"));
}

#[test]
fn a_destructive_command_refuses_arguments_it_does_not_understand() {
    let area = area("", &[("t", "[ezsteps]\ns1 true\n")]);
    run(&area, "%");
    let out = area
        .megatest(&[
            "-remove-runs",
            "-target",
            "p1",
            "-runname",
            "r1",
            "-testpatt",
            "%",
            "-staus",
            "FAIL",
        ])
        .run();
    let stderr = out.failure(64);
    assert!(
        stderr.contains("-remove-runs with unrecognised arguments: -staus FAIL; nothing done"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `-status`?"), "{stderr}");
    assert_eq!(records(&area)["t"], "COMPLETED PASS", "nothing removed");
}

#[test]
fn a_steps_whole_output_goes_to_its_log() {
    let area = area("", &[("t", "[ezsteps]\ns1 echo one; echo two\n")]);
    run(&area, "%");
    let log = std::fs::read_to_string(area.path().join("links/p1/r1/t/s1.log")).unwrap();
    assert_eq!(log, "one\ntwo\n");
}

#[test]
fn a_command_outside_a_run_reads_triggers_without_running_testconfig_commands() {
    // 1.65 reads a testconfig for its triggers with system commands off.
    let marker = tempfile::tempdir().unwrap();
    let ran = marker.path().join("ran.txt");
    let area = area(
        "",
        &[(
            "t",
            &format!(
                "[misc]\nside #{{shell touch {}}}\n[ezsteps]\ns1 true\n[triggers]\nCOMPLETED/FAIL echo fired >> $MT_RUN_AREA_HOME/fired.txt; true\n",
                ran.display()
            ),
        )],
    );
    run(&area, "%");
    assert!(ran.is_file(), "the run reads the testconfig as it is");
    std::fs::remove_file(&ran).unwrap();
    on_run(&area, &["-set-state-status", "COMPLETED,FAIL"], "t").success_stderr();
    let fired = read_when(&area.path().join("fired.txt"), |t| t.contains("fired"));
    assert_eq!(fired, "fired\n");
    assert!(
        !ran.exists(),
        "the testconfig's #{{shell}} ran outside the run"
    );
}

/// A parent area whose test `outer` nests a run of `inner` in a child area; both run.
fn parent_and_child() -> (Area, Area) {
    let child = area("", &[("inner", "[ezsteps]\ns1 true\n")]);
    let parent = area(
        "",
        &[(
            "outer",
            &format!(
                "[subrun]\nrun-area {}\ntest-patt inner\n",
                child.path().display()
            ),
        )],
    );
    run(&parent, "%");
    assert_eq!(records(&child)["inner"], "COMPLETED PASS");
    (parent, child)
}

#[test]
fn removing_a_test_removes_its_nested_run_first() {
    let (parent, child) = parent_and_child();
    let outer = parent.path().join("links/p1/r1/outer");
    assert_eq!(
        std::fs::read_link(outer.join("subrun-area")).unwrap(),
        child.path(),
        "the run directory links to the nested run's area"
    );
    assert!(outer.join("testconfig.subrun").is_file());
    on_run(&parent, &["-remove-runs"], "%").success_stderr();
    let deleted = |area: &Area| records(area).values().all(|s| s == "DELETED n/a");
    assert!(deleted(&parent), "{:?}", records(&parent));
    assert!(deleted(&child), "{:?}", records(&child));
    assert!(!child.path().join("links/p1/r1/inner").exists());
}

#[test]
fn a_nested_run_that_cannot_be_removed_keeps_its_parent_test() {
    let (parent, child) = parent_and_child();
    // The nested run's area is no longer one.
    std::fs::rename(
        child.path().join("megatest.config"),
        child.path().join("megatest.config.away"),
    )
    .unwrap();
    let out = on_run(&parent, &["-remove-runs"], "%");
    let stderr = out.failure(1);
    assert!(stderr.contains("the nested run p1/r1 in"), "{stderr}");
    assert!(stderr.contains("remove-p1-r1-inner.log"), "{stderr}");
    assert_eq!(records(&parent)["outer"], "COMPLETED PASS");
    assert!(parent.path().join("links/p1/r1/outer/subrun-area").exists());
}

#[test]
fn setting_a_tests_state_sets_its_nested_runs() {
    let (parent, child) = parent_and_child();
    on_run(&parent, &["-set-state-status", "COMPLETED,WAIVED"], "outer").success_stderr();
    assert_eq!(records(&parent)["outer"], "COMPLETED WAIVED");
    assert_eq!(records(&child)["inner"], "COMPLETED WAIVED");
}

#[test]
fn a_nested_run_in_the_same_area_does_not_wait_for_its_parents_slot() {
    // One job slot, held by the test that waits for the nested run.
    let area = area(
        "[setup]\nmax_concurrent_jobs 1\n",
        &[
            ("outer", "[subrun]\nrun-name sub\ntest-patt middle\n"),
            ("middle", "[subrun]\nrun-name subsub\ntest-patt inner\n"),
            ("inner", "[ezsteps]\ns1 true\n"),
        ],
    );
    let mut runner = area
        .megatest(&[
            "-run",
            "-target",
            "p1",
            "-runname",
            "r1",
            "-testpatt",
            "outer",
            "-run-wait",
        ])
        .spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let status = loop {
        if let Some(status) = runner.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            runner.kill().unwrap();
            runner.wait().unwrap();
            panic!(
                "the run waits for a slot its own test holds: {:?}",
                records(&area)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(status.success());
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT r.runname||'/'||t.testname||' '||t.state||' '||t.status FROM tests t JOIN runs r ON r.id=t.run_id ORDER BY 1")
        .unwrap();
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            "r1/outer COMPLETED PASS",
            "sub/middle COMPLETED PASS",
            "subsub/inner COMPLETED PASS"
        ]
    );
}
