//! Run management and queries through the binary, on databases filled through the library.

use crate::harness::{Area, cmdinfo, db_area, open_store, target};
use megatest::db::{RecordWrites, Store, TestFilter};
use megatest::model::{RunId, State, Status, TestId};
use rusqlite::types::Value;

/// Two runs of one target and one of another; `compile` has items a, b; `lint` has none.
fn seeded() -> (Area, Store, RunId, RunId, RunId) {
    let area = db_area();
    let store = open_store(&area);
    let r1 = store
        .register_run(&target("linux/release"), "r1", "alice", "")
        .unwrap();
    let r2 = store
        .register_run(&target("linux/release"), "r2", "alice", "")
        .unwrap();
    let r3 = store
        .register_run(&target("mac/debug"), "r1", "bob", "")
        .unwrap();
    for run in [r1, r2, r3] {
        store.register_test(run, "compile", "").unwrap();
        for item in ["a", "b"] {
            store.register_test(run, "compile", item).unwrap();
        }
        store.register_test(run, "lint", "").unwrap();
    }
    (area, store, r1, r2, r3)
}

fn state_status(store: &Store, run: RunId, test: &str, item: &str) -> (String, String) {
    let id = store.test_id(run, test, item).unwrap().unwrap();
    let t = store.test(id).unwrap().unwrap();
    (t.state().to_string(), t.status().to_string())
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn list_runs_text_and_json() {
    let (area, store, r1, ..) = seeded();
    let a = store.test_id(r1, "compile", "a").unwrap().unwrap();
    store
        .set_state_status(
            a,
            Some(&State::Completed),
            Some(&Status::Fail),
            Some("boom"),
        )
        .unwrap();
    store
        .set_step(a, "build", "end", "1", "", "build.log")
        .unwrap();
    store
        .set_test_fields(
            a,
            &[
                (
                    "rundir",
                    Value::Text("/links/linux/release/r1/compile/a".into()),
                ),
                ("event_time", Value::Integer(100)),
            ],
        )
        .unwrap();
    let out = area
        .megatest(&["-list-runs", "r1", "-target", "linux/%"])
        .run();
    let text = out.success();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(&format!("Run: linux/release/r1 platform: linux variant: release id: {r1} runname: r1 state: new status: n/a owner: alice event_time: ")), "{}", lines[0]);
    // Megatest 1.65 lists the counts without reading them (spec §15.6).
    assert!(
        lines[0].ends_with(" comment:  fail_count: #f pass_count: #f "),
        "{:?}",
        lines[0]
    );
    // Item b has not run yet: the toplevel reads NOT_STARTED/CHECK (spec §6.3).
    assert_eq!(
        lines[1],
        format!(
            "  Test: {:<25} State: {:<15} Status: {:<15} Runtime: {:>5}s Time: {:<22} Host: {:<10}",
            "compile",
            "NOT_STARTED",
            "CHECK",
            0,
            lines[1]
                .split("Time: ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap(),
            "n/a"
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "  Test: {:<25} State: {:<15} Status: {:<15} Runtime: {:>5}s Time: {:<22} Host: {:<10}",
            "compile(a)", "COMPLETED", "FAIL", 0, 100, "n/a"
        )
    );
    assert_eq!(lines[3], "         cpuload:  -1.0\n         diskfree: -1\n         uname:    n/a\n         rundir:   /links/linux/release/r1/compile/a".lines().next().unwrap());
    assert_eq!(
        lines[6],
        "         rundir:   /links/linux/release/r1/compile/a"
    );
    assert_eq!(
        lines[7],
        format!(
            "    Step: {:<20} State: {:<10} Status: {:<10} Time {:<22}",
            "build",
            "end",
            "1",
            lines[7].split("Time ").nth(1).unwrap().trim()
        )
    );
    assert!(text.contains("  Test: lint "), "{text}");
    assert!(!text.contains("mac/debug"), "the target pattern filters");
    let json = area
        .megatest(&[
            "-list-runs",
            "%",
            "-dumpmode",
            "json",
            "-fields",
            "runs:id,runname+tests:testname,item_path,status",
        ])
        .run();
    let value: serde_json::Value = serde_json::from_str(json.success()).unwrap();
    assert_eq!(value["linux/release"]["r1"]["meta"]["id"], r1.0);
    assert_eq!(
        value["linux/release"]["r1"]["data"][a.to_string()]["status"],
        "FAIL"
    );
    assert_eq!(
        value["mac/debug"]["r1"]["data"].as_object().unwrap().len(),
        4
    );
    let sexp = area
        .megatest(&[
            "-list-runs",
            "r2",
            "-dumpmode",
            "sexpr",
            "-fields",
            "runs:runname",
        ])
        .run();
    assert!(
        sexp.success()
            .starts_with("((\"linux/release\"\n  (\"r2\"\n   (\"meta\" (\"runname\" . \"r2\"))"),
        "{}",
        sexp.stdout
    );
    let bad = area
        .megatest(&["-list-runs", "%", "-fields", "tests:nope"])
        .run();
    assert!(bad.failure(64).contains("invalid test fields: nope"));
    let filtered = area
        .megatest(&[
            "-list-runs",
            "%",
            "-testpatt",
            "compile/a",
            "-status",
            "FAIL",
            "-fields",
            "tests:testname,item_path",
        ])
        .run();
    assert_eq!(
        filtered.success().matches("  Test: ").count(),
        1,
        "{}",
        filtered.stdout
    );
}

#[test]
fn list_db_targets() {
    let (area, ..) = seeded();
    assert_eq!(
        area.megatest(&["-list-db-targets"]).run().success(),
        "linux/release\nmac/debug\n"
    );
    let json = area
        .megatest(&["-list-db-targets", "-dumpmode", "json"])
        .run();
    assert_eq!(
        json.success(),
        "{\"targets\":[\"linux/release\",\"mac/debug\"]}\n"
    );
}

#[test]
fn set_state_status_rolls_up_items() {
    let (area, store, r1, r2, _) = seeded();
    let out = area
        .megatest(&[
            "-set-state-status",
            "COMPLETED,PASS",
            "-target",
            "linux/release",
            "-runname",
            "r1",
            "-testpatt",
            "compile/%",
        ])
        .run();
    out.success();
    assert_eq!(
        state_status(&store, r1, "compile", "a"),
        pair("COMPLETED", "PASS")
    );
    assert_eq!(
        state_status(&store, r1, "compile", ""),
        pair("COMPLETED", "PASS")
    );
    assert_eq!(
        state_status(&store, r2, "compile", "a"),
        pair("NOT_STARTED", "n/a"),
        "r2 untouched"
    );
    area.megatest(&[
        "-set-state-status",
        "COMPLETED,FAIL",
        "-target",
        "linux/release",
        "-runname",
        "r1",
        "-testpatt",
        "compile/b",
    ])
    .run()
    .success();
    assert_eq!(
        state_status(&store, r1, "compile", ""),
        pair("COMPLETED", "FAIL"),
        "the toplevel rolls up"
    );
    // Only tests in the given state are changed.
    area.megatest(&[
        "-set-state-status",
        "KILLED,KILLED",
        "-target",
        "%/%",
        "-runname",
        "%",
        "-testpatt",
        "%",
        ":state",
        "NOT_STARTED",
    ])
    .run()
    .success();
    assert_eq!(
        state_status(&store, r1, "compile", "a"),
        pair("COMPLETED", "PASS")
    );
    assert_eq!(
        state_status(&store, r2, "lint", ""),
        pair("KILLED", "KILLED")
    );
}

#[test]
fn bad_requests_change_nothing() {
    let (area, store, r1, ..) = seeded();
    let before = area
        .megatest(&["-list-runs", "%", "-dumpmode", "json"])
        .run()
        .stdout;
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &[
                "-set-state-status",
                "FINISHED,PASS",
                "-target",
                "%/%",
                "-runname",
                "%",
                "-testpatt",
                "%",
            ],
            1,
            "unknown state `FINISHED`",
        ),
        (
            &[
                "-set-state-status",
                "COMPLETED",
                "-target",
                "%/%",
                "-runname",
                "%",
                "-testpatt",
                "%",
            ],
            64,
            "needs STATE,STATUS",
        ),
        (
            &["-remove-runs", "-target", "%/%", "-runname", "%"],
            3,
            "-remove-runs needs a test pattern",
        ),
        (
            &["-remove-runs", "-runname", "%", "-testpatt", "%"],
            3,
            "-remove-runs needs a target",
        ),
        (
            &[
                "-set-state-status",
                "COMPLETED,PASS",
                "-target",
                "%/%",
                "-testpatt",
                "%",
            ],
            3,
            "needs a run name",
        ),
        (
            &[
                "-get-run-status",
                "-target",
                "linux/release",
                "-runname",
                "nope",
            ],
            1,
            "no matching run found",
        ),
        (
            &["-set-run-status", "X", "-target", "linux", "-runname", "r1"],
            1,
            "invalid target pattern `linux` given with -target: expected 2 parts",
        ),
        (
            &["-list-runs", "%", "-target", "a/b/c"],
            1,
            "invalid target pattern `a/b/c`",
        ),
    ];
    for (args, code, message) in cases {
        let out = area.megatest(args).run();
        assert_eq!(out.code, *code, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"));
    }
    assert_eq!(
        area.megatest(&["-list-runs", "%", "-dumpmode", "json"])
            .run()
            .stdout,
        before
    );
    assert_eq!(
        state_status(&store, r1, "lint", ""),
        pair("NOT_STARTED", "n/a")
    );
}

#[test]
fn run_status_get_and_set() {
    let (area, store, r1, ..) = seeded();
    let sel = ["-target", "linux/release", "-runname", "r1"];
    area.megatest(&[&["-set-run-status", "GOOD", "-m", "all fine"][..], &sel].concat())
        .run()
        .success();
    let run = store.run(r1).unwrap().unwrap();
    assert_eq!(
        (
            run.status(),
            run.field(store.keys(), "comment").unwrap().to_string()
        ),
        ("GOOD".into(), "all fine".into())
    );
    assert_eq!(
        area.megatest(&[&["-get-run-status"][..], &sel].concat())
            .run()
            .success(),
        "GOOD\n"
    );
}

fn make_dirs(area: &Area, store: &Store, run: RunId, runname: &str) {
    for (test, item) in [
        ("compile", ""),
        ("compile", "a"),
        ("compile", "b"),
        ("lint", ""),
    ] {
        let id = store.test_id(run, test, item).unwrap().unwrap();
        // The layout the runner makes: TARGET/RUNNAME/TEST[/ITEM] under the default disk.
        let rel = if item.is_empty() {
            format!("linux/release/{runname}/{test}")
        } else {
            format!("linux/release/{runname}/{test}/{item}")
        };
        let physical = area.path().join("runs").join(&rel);
        std::fs::create_dir_all(&physical).unwrap();
        std::fs::write(physical.join("out.log"), "x").unwrap();
        let link = area.path().join("links").join(&rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        if !link.exists() {
            std::os::unix::fs::symlink(&physical, &link).unwrap();
        }
        store
            .set_test_fields(
                id,
                &[
                    ("rundir", Value::Text(link.display().to_string())),
                    ("shortdir", Value::Text(physical.display().to_string())),
                ],
            )
            .unwrap();
    }
}

#[test]
fn locks_and_removal() {
    let (area, store, r1, r2, _) = seeded();
    make_dirs(&area, &store, r1, "r1");
    let sel = ["-target", "linux/release", "-runname", "r1"];
    area.megatest(&[&["-lock"][..], &sel].concat())
        .run()
        .success();
    assert_eq!(store.run(r1).unwrap().unwrap().state(), "locked");
    let locked = area
        .megatest(&[&["-remove-runs", "-testpatt", "%"][..], &sel].concat())
        .run();
    locked.success();
    assert!(locked.stderr.contains("is locked"), "{}", locked.stderr);
    assert!(
        area.path()
            .join("runs/linux/release/r1/compile/a/out.log")
            .exists(),
        "a locked run keeps its files"
    );
    assert_eq!(
        state_status(&store, r1, "lint", ""),
        pair("NOT_STARTED", "n/a")
    );
    area.megatest(&[&["-unlock"][..], &sel].concat())
        .stdin("n\n")
        .run()
        .success();
    assert_eq!(
        store.run(r1).unwrap().unwrap().state(),
        "locked",
        "answering n keeps the lock"
    );
    area.megatest(&[&["-unlock"][..], &sel].concat())
        .stdin("y\n")
        .run()
        .success();
    assert_eq!(store.run(r1).unwrap().unwrap().state(), "unlocked");
    // Remove only the items of compile: the toplevel stays while... it has no items left, so it goes too.
    let out = area
        .megatest(&[&["-remove-runs", "-testpatt", "compile/%"][..], &sel].concat())
        .run();
    assert!(
        out.success()
            .contains("removed linux/release/r1/compile/a\n"),
        "{}",
        out.stdout
    );
    assert!(!area.path().join("runs/linux/release/r1/compile/a").exists());
    assert!(
        !area
            .path()
            .join("links/linux/release/r1/compile/a")
            .exists()
    );
    assert!(
        area.path()
            .join("runs/linux/release/r1/lint/out.log")
            .exists()
    );
    let all = store
        .tests_for_run(
            r1,
            &TestFilter {
                include_deleted: true,
                ..TestFilter::default()
            },
        )
        .unwrap();
    let deleted = all.iter().filter(|t| t.state() == State::Deleted).count();
    assert_eq!(deleted, 3);
    area.megatest(
        &[
            &["-remove-runs", "-testpatt", "%", "-keep-records"][..],
            &sel,
        ]
        .concat(),
    )
    .run()
    .success();
    assert!(
        !area.path().join("runs/linux/release/r1/lint").exists(),
        "-keep-records still removes files"
    );
    assert_eq!(
        state_status(&store, r1, "lint", ""),
        pair("NOT_STARTED", "n/a"),
        "-keep-records keeps the record"
    );
    area.megatest(&[&["-remove-runs", "-testpatt", "%"][..], &sel].concat())
        .run()
        .success();
    assert_eq!(store.run(r1).unwrap().unwrap().state(), "deleted");
    assert_eq!(store.run(r2).unwrap().unwrap().state(), "new");
    let access: i64 = rusqlite::Connection::open(area.path().join("megatest.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM access_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(access, 2);
}

#[test]
fn remove_keep_keeps_the_newest() {
    let area = db_area();
    let store = open_store(&area);
    let conn = rusqlite::Connection::open(area.path().join("megatest.db")).unwrap();
    let now = megatest::db::now();
    for (i, name) in ["old1", "old2", "mid", "new"].iter().enumerate() {
        let id = store
            .register_run(&target("linux/release"), name, "u", "")
            .unwrap();
        store.register_test(id, "t", "").unwrap();
        let age_days = [40, 35, 10, 0][i];
        conn.execute(
            "UPDATE runs SET event_time=?1 WHERE id=?2",
            (now - age_days * 86400, id),
        )
        .unwrap();
    }
    let other = store
        .register_run(&target("mac/debug"), "only", "u", "")
        .unwrap();
    store.register_test(other, "t", "").unwrap();
    let selectors = ["-target", "%/%", "-runname", "%"];
    let remove_keep = |extra: &[&str]| {
        let mut args = vec!["-remove-keep", "1"];
        args.extend_from_slice(&selectors);
        args.extend_from_slice(extra);
        let out = area.megatest(&args).run();
        let re = regex::Regex::new(r"WW\d+\.\d \d\d:\d\d:\d\d").unwrap();
        re.replace_all(out.success(), "WW").into_owned()
    };
    let names = || -> Vec<String> {
        store
            .runs(&Default::default())
            .unwrap()
            .iter()
            .map(|r| r.runname())
            .collect()
    };
    // The default action is print: a dry run, as in 1.65.
    assert_eq!(
        remove_keep(&["-age", "30d"]),
        "Actions: (print)\nlinux/release:\n old1 WW REMOVE\n old2 WW REMOVE\nSkipping handling of linux/release/mid as it is younger than 30d\nSkipping handling of linux/release/new as it is younger than 30d\nmac/debug:\nSkipping handling of mac/debug/only as it is younger than 30d\n"
    );
    assert_eq!(names(), ["old1", "old2", "mid", "new", "only"]);
    remove_keep(&["-age", "30d", "-actions", "remove-runs"]);
    assert_eq!(names(), ["mid", "new", "only"]);
    let listed = remove_keep(&["-actions", "print,remove-runs", "-precmd", "true &&"]);
    assert!(
        listed.starts_with("Actions: (print remove-runs)\nlinux/release:\n mid WW REMOVE\n new WW \nmac/debug:\n only WW \n"),
        "{listed}"
    );
    assert_eq!(names(), ["new", "only"]);
    // A target and a run name are required (1.65 exits 3 without them).
    area.megatest(&["-remove-keep", "1"]).run().failure(3);
    assert_eq!(
        area.megatest(&["-remove-keep", "1", "-age", "30"])
            .run()
            .code,
        64
    );
}

#[test]
fn test_paths_and_files() {
    let (area, store, r1, ..) = seeded();
    make_dirs(&area, &store, r1, "r1");
    let out = area
        .megatest(&[
            "-test-paths",
            "-target",
            "linux/release",
            "-runname",
            "r1",
            "-testpatt",
            "compile/%",
        ])
        .run();
    let links = area.path().join("links/linux/release/r1/compile");
    assert_eq!(
        out.success(),
        format!(
            "{}\n{}\n{}\n",
            links.display(),
            links.join("a").display(),
            links.join("b").display()
        )
    );
    let files = area
        .megatest(&[
            "-test-files",
            "*.log",
            "-target",
            "linux/release",
            "-runname",
            "r1",
            "-testpatt",
            "lint",
        ])
        .run();
    assert_eq!(
        files.success(),
        format!(
            "{}\n",
            area.path()
                .join("links/linux/release/r1/lint/out.log")
                .display()
        )
    );
}

#[test]
fn in_test_helpers() {
    let (area, store, r1, ..) = seeded();
    make_dirs(&area, &store, r1, "r1");
    let item = store.test_id(r1, "compile", "a").unwrap().unwrap();
    let work = area.path().join("links/linux/release/r1/compile/a");
    let info = cmdinfo(&area, r1, item, "compile", "a", &work);
    let helper = |args: &[&str]| {
        area.megatest(args)
            .env("MT_CMDINFO", &info)
            .in_dir("links/linux/release/r1/compile/a")
    };
    helper(&[
        "-step",
        "build",
        ":state",
        "start",
        ":status",
        "n/a",
        "-setlog",
        "build.log",
    ])
    .run()
    .success();
    let steps = store.steps(item).unwrap();
    assert_eq!(
        (
            steps[0].stepname.as_str(),
            steps[0].state.as_str(),
            steps[0].logfile.as_str()
        ),
        ("build", "start", "build.log")
    );
    assert_eq!(
        store
            .test(item)
            .unwrap()
            .unwrap()
            .field("final_logf")
            .unwrap()
            .to_string(),
        "build.log"
    );
    assert_eq!(helper(&["-step", "build", ":state", "end"]).run().code, 6);
    helper(&[
        "-test-status",
        ":state",
        "RUNNING",
        ":status",
        "0",
        "-m",
        "going",
    ])
    .run()
    .success();
    assert_eq!(
        state_status(&store, r1, "compile", "a"),
        pair("RUNNING", "PASS")
    );
    assert_eq!(
        state_status(&store, r1, "compile", ""),
        pair("RUNNING", "PASS"),
        "rollup to the toplevel"
    );
    helper(&["-test-status", ":state", "RUNNING", ":status", "3"])
        .run()
        .success();
    assert_eq!(state_status(&store, r1, "compile", "a").1, "FAIL");
    assert_eq!(
        helper(&["-test-status", ":state", "DONE", ":status", "PASS"])
            .run()
            .code,
        1
    );
    assert_eq!(
        helper(&["-test-status", ":state", "COMPLETED"]).run().code,
        6
    );
    // Test data: a malformed line loads nothing.
    let bad = helper(&["-load-test-data"])
        .stdin("cat,v1,1,1,0\ncat,\"broken\n")
        .run();
    assert!(
        bad.failure(1).contains("test data line 2"),
        "{}",
        bad.stderr
    );
    assert!(store.test_data(item, "%").unwrap().is_empty());
    helper(&["-load-test-data"])
        .stdin("cat,v1,1.0,1.0,0.1\ncat,v2,5,10,<\n")
        .run()
        .success();
    let data = store.test_data(item, "cat").unwrap();
    assert_eq!(
        data.iter().map(|d| d.status.as_str()).collect::<Vec<_>>(),
        ["pass", "pass"]
    );
    assert_eq!(
        state_status(&store, r1, "compile", "a").1,
        "FAIL",
        "passing data does not clear a FAIL"
    );
    let conn = rusqlite::Connection::open(area.path().join("megatest.db")).unwrap();
    let counts: (i64, i64) = conn
        .query_row(
            "SELECT pass_count, fail_count FROM tests WHERE id=?1",
            [item],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(counts, (2, 0));
    helper(&["-test-status", ":state", "RUNNING", ":status", "n/a"])
        .run()
        .success();
    helper(&["-load-test-data"])
        .stdin(
            "cat,v3,2,2,0
",
        )
        .run()
        .success();
    assert_eq!(
        state_status(&store, r1, "compile", "a").1,
        "PASS",
        "the rollup sets PASS"
    );
    helper(&[
        "-set-values",
        ":category",
        "perf",
        ":variable",
        "speed",
        ":value",
        "3",
        ":expected",
        "5",
        ":tol",
        ">",
    ])
    .run()
    .success();
    assert_eq!(store.test_data(item, "perf").unwrap()[0].status, "fail");
    helper(&["-test-status", ":state", "COMPLETED", ":status", "AUTO"])
        .run()
        .success();
    assert_eq!(
        state_status(&store, r1, "compile", "a"),
        pair("COMPLETED", "FAIL"),
        "AUTO rolls the data up"
    );
    let counts = store.test(item).unwrap().unwrap();
    assert_eq!(counts.field("status").unwrap().to_string(), "FAIL");
    helper(&["-set-toplog", "top.html"]).run().success();
    let top = store.test_id(r1, "compile", "").unwrap().unwrap();
    assert_eq!(
        store
            .test(top)
            .unwrap()
            .unwrap()
            .field("final_logf")
            .unwrap()
            .to_string(),
        "top.html"
    );
    helper(&["-summarize-items"]).run().success();
    let page = std::fs::read_to_string(
        area.path()
            .join("links/linux/release/r1/compile/megatest-rollup-compile.html"),
    )
    .unwrap();
    assert!(
        page.contains("<td>a</td><td>COMPLETED</td><td>FAIL</td>"),
        "{page}"
    );
    assert_eq!(
        store
            .test(top)
            .unwrap()
            .unwrap()
            .field("final_logf")
            .unwrap()
            .to_string(),
        "megatest-rollup-compile.html"
    );
    let shown = helper(&["-show-cmdinfo", "-dumpmode", "json"]).run();
    let json: serde_json::Value = serde_json::from_str(shown.success()).unwrap();
    assert_eq!(json["test_id"], item.0);
}

#[test]
fn runstep_runs_logs_and_judges() {
    let (area, store, r1, ..) = seeded();
    make_dirs(&area, &store, r1, "r1");
    let lint = store.test_id(r1, "lint", "").unwrap().unwrap();
    let work = area.path().join("links/linux/release/r1/lint");
    std::fs::write(
        work.join("rules.logpro"),
        "(expect:warning in \"LogFileBody\" = 0 \"warnings\" #/warning/)\n",
    )
    .unwrap();
    let info = cmdinfo(&area, r1, lint, "lint", "", &work);
    let run = |args: &[&str]| {
        area.megatest(args)
            .env("MT_CMDINFO", &info)
            .in_dir("links/linux/release/r1/lint")
            .run()
    };
    let out = run(&[
        "-runstep",
        "check",
        "-logpro",
        "rules.logpro",
        "echo",
        "warning: x;",
        "echo",
        "oops",
        ">&2",
    ]);
    assert_eq!(out.code, 2, "logpro's WARN passes through: {}", out.stderr);
    let log = std::fs::read_to_string(work.join("check.log")).unwrap();
    assert_eq!(log, "warning: x\noops\n", "stdout and stderr are both kept");
    assert!(work.join("check.html").exists() && work.join("check_logpro.log").exists());
    let steps = store.steps(lint).unwrap();
    assert_eq!(
        steps
            .iter()
            .map(|s| (s.state.as_str(), s.status.as_str()))
            .collect::<Vec<_>>(),
        [("start", "n/a"), ("end", "2")]
    );
    assert_eq!(run(&["-runstep", "fails", "exit", "7"]).code, 3);
    assert_eq!(run(&["-runstep", "nothing"]).code, 6);
}

#[test]
fn helpers_outside_a_test() {
    let area = db_area();
    for args in [
        &["-step", "s", ":state", "a", ":status", "b"][..],
        &["-test-status", ":state", "COMPLETED", ":status", "PASS"],
        &["-load-test-data"],
        &["-setlog", "x"],
        &["-runstep", "s", "true"],
    ] {
        let out = area.megatest(args).run();
        assert_eq!(out.code, 5, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("works only inside a running test"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn environment_capture() {
    let area = db_area();
    area.megatest(&["-env2file", "saved"])
        .env("MEGATEST_IT_E", "it's here")
        .run()
        .success();
    let sh = std::fs::read_to_string(area.path().join("saved.sh")).unwrap();
    assert!(
        sh.contains("export MEGATEST_IT_E='it'\\''s here'\n"),
        "{sh}"
    );
    assert!(
        std::fs::read_to_string(area.path().join("saved.csh"))
            .unwrap()
            .contains("setenv MEGATEST_IT_E ")
    );
    area.megatest(&["-envcap", "before"])
        .env("MEGATEST_IT_GONE", "x")
        .env("MEGATEST_IT_CHANGED", "old")
        .run()
        .success();
    area.megatest(&["-envcap", "after"])
        .env("MEGATEST_IT_NEW", "n")
        .env("MEGATEST_IT_CHANGED", "new")
        .run()
        .success();
    let delta = area.megatest(&["-envdelta", "before-after"]).run();
    assert_eq!(
        delta.success(),
        "# Added vars\nexport MEGATEST_IT_NEW=n\n# Removed vars\nunset MEGATEST_IT_GONE\n# Changed vars\nexport MEGATEST_IT_CHANGED=new\n"
    );
    let ini = area
        .megatest(&["-envdelta", "before-after", "-dumpmode", "ini"])
        .run();
    assert!(
        ini.success()
            .contains("#{scheme (unsetenv \"MEGATEST_IT_GONE\")}\n")
    );
    assert!(
        area.megatest(&["-envdelta", "before-nope"])
            .run()
            .failure(1)
            .contains("no context `nope`")
    );
}

#[test]
fn maintenance_commands() {
    let (area, store, r1, ..) = seeded();
    let a = store.test_id(r1, "compile", "a").unwrap().unwrap();
    store.mark_test_deleted(a).unwrap();
    let out = area.megatest(&["-cleanup-db"]).run();
    assert!(
        out.success().contains("removed 1 test records"),
        "{}",
        out.stdout
    );
    assert!(store.test(a).unwrap().is_none());
    assert!(
        area.megatest(&["-rebuild-db"])
            .run()
            .success()
            .contains(&format!("schema version {}", megatest::db::SCHEMA_VERSION))
    );
    // A new key: the database says how to adapt, and -cleanup-db does it.
    let grown = area.file(
        "megatest.config",
        "[fields]\nplatform TEXT\nvariant TEXT\ncompiler TEXT\n",
    );
    let err = grown.megatest(&["-list-runs", "%"]).run();
    assert!(err.failure(1).contains("-cleanup-db"), "{}", err.stderr);
    grown.megatest(&["-cleanup-db"]).run().success();
    let json = grown
        .megatest(&[
            "-list-runs",
            "r1",
            "-dumpmode",
            "json",
            "-fields",
            "runs:compiler",
        ])
        .run();
    assert!(
        json.success().contains("\"compiler\": \"x\""),
        "{}",
        json.stdout
    );
}

#[test]
fn update_meta_from_testconfigs() {
    let area = db_area()
        .file(
            "tests/t1/testconfig",
            "[test_meta]\nauthor me\ntags fast,nightly\njobgroup compile\n",
        )
        .file("tests/t2/testconfig", "[ezsteps]\n");
    let out = area.megatest(&["-update-meta"]).run();
    assert_eq!(
        out.success(),
        "Updating t1 author to me\nUpdating t1 tags to fast,nightly\nUpdating t1 jobgroup to compile\n"
    );
    assert_eq!(
        area.megatest(&["-update-meta"]).run().success(),
        "",
        "nothing changed the second time"
    );
    assert_eq!(
        open_store(&area).test_tags("t1").unwrap().as_deref(),
        Some("fast,nightly")
    );
}

#[test]
fn concurrent_writers_all_land() {
    let area = db_area();
    let store = open_store(&area);
    let run = store
        .register_run(&target("linux/release"), "r", "u", "")
        .unwrap();
    let ids: Vec<TestId> = (0..8)
        .map(|i| store.register_test(run, &format!("t{i}"), "").unwrap())
        .collect();
    let children: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let info = cmdinfo(&area, run, *id, &format!("t{i}"), "", area.path());
            let script = "i=0; while [ $i -lt 500 ]; do \"$MEGATEST\" -step s$i :state end :status $i || exit 1; \"$MEGATEST\" -test-status :state RUNNING :status $i >/dev/null || exit 1; i=$((i+1)); done".to_string();
            std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(script)
                .current_dir(area.path())
                .env("MEGATEST", env!("CARGO_BIN_EXE_megatest"))
                .env("MT_CMDINFO", info)
                .env_remove("MT_RUN_AREA_HOME")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let conn = rusqlite::Connection::open(area.path().join("megatest.db")).unwrap();
    let steps: i64 = conn
        .query_row("SELECT count(*) FROM test_steps", [], |r| r.get(0))
        .unwrap();
    assert_eq!(steps, 8 * 500, "every step update is there");
    for id in ids {
        let (state, status): (String, String) = conn
            .query_row("SELECT state, status FROM tests WHERE id=?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("RUNNING", "FAIL"),
            "the last update (status 499) is there"
        );
    }
}
