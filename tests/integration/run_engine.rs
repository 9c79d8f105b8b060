//! `megatest -run` end to end: a 22-test area run through the binary, every record's state
//! and status checked in megatest.db, and a runner killed mid-run then started again.

use crate::harness::Area;
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// `test(item)` → (state, status, comment) for a run.
fn records(area: &Area, runname: &str) -> BTreeMap<String, (String, String, String)> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT t.testname, t.item_path, t.state, t.status, t.comment FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname=?1")
        .unwrap();
    stmt.query_map([runname], |r| {
        let test: String = r.get(0)?;
        let item: String = r.get(1)?;
        let name = if item.is_empty() {
            test
        } else {
            format!("{test}({item})")
        };
        Ok((
            name,
            (
                r.get(2)?,
                r.get(3)?,
                r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            ),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn steps(area: &Area, test: &str) -> Vec<(String, String, String)> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT s.stepname, s.state, s.status FROM test_steps s JOIN tests t ON t.id=s.test_id WHERE t.testname=?1 ORDER BY s.id")
        .unwrap();
    stmt.query_map([test], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The command of the test the run-time limit kills: different for each variant of the
/// area, since the variants run at the same time and each looks for leftovers of its own.
fn long_sleep(setup: &str) -> String {
    format!("sleep {}", 67 + setup.len())
}

/// The area, with `setup` added to its `[setup]` section (switching off a fast path).
fn area_20(setup: &str) -> Area {
    let timelimit = format!(
        "[requirements]\nruntimelim 2s\n\n[ezsteps]\nlong {}\n",
        long_sleep(setup)
    );
    let mut area = Area::new()
        .file(
            "megatest.config",
            &format!(
                "
            [fields]
            platform TEXT
            variant TEXT

            [setup]
            max_concurrent_jobs 8
            linktree #{{getenv MT_RUN_AREA_HOME}}/links
            {setup}

            [jobgroups]
            solo 1

            [env-override]
            FROM_OVERRIDE override-value
            "
            ),
        )
        .file(
            "runconfigs.config",
            "
            [default]
            DEFVAR from-default
            OVERRIDDEN default-value

            [linux/%]
            WILDVAR from-wildcard

            [linux/release]
            OVERRIDDEN target-value
            TARGVAR from-target
            ",
        )
        .file("skipflag", "present\n");
    let tests: &[(&str, &str)] = &[
        ("pass_steps", "[ezsteps]\nfirst echo one\nsecond echo two\n"),
        (
            "fail_step",
            "[ezsteps]\nfirst exit 1\nsecond touch second-ran\n",
        ),
        (
            "env_check",
            r#"[ezsteps]
check test "$DEFVAR" = from-default && test "$WILDVAR" = from-wildcard && test "$OVERRIDDEN" = target-value && test "$TARGVAR" = from-target && test "$platform" = linux && test "$variant" = release && test "$FROM_OVERRIDE" = override-value && test "$MT_TEST_NAME" = env_check && test "$MT_RUNNAME" = r1 && test "$MT_TARGET" = linux/release && test -n "$MT_CMDINFO" && test "$PWD" = "$MT_TEST_RUN_DIR"
"#,
        ),
        (
            "build",
            "[items]\nMOD core net ui\n\n[ezsteps]\ncompile test \"$MOD\" != ui\n",
        ),
        (
            "unittest",
            "[requirements]\nwaiton build\nmode itemwait\n\n[items]\nMOD core net ui\n\n[ezsteps]\nrun echo testing $MOD\n",
        ),
        (
            "table_items",
            "[itemstable]\nVIEW layout layout schematic\nCELL ntran ptran ntran\n\n[ezsteps]\nmake echo $VIEW $CELL\n",
        ),
        (
            "mapped",
            "[requirements]\nwaiton table_items\nmode itemwait\nitemmap (.*) \\1/ntran\n\n[items]\nVIEW layout schematic\n\n[ezsteps]\nuse test -n \"$VIEW\"\n",
        ),
        (
            "normal_after_fail",
            "[requirements]\nwaiton build\n\n[ezsteps]\nnever echo never\n",
        ),
        (
            "discarded",
            "[requirements]\nwaiton normal_after_fail\n\n[ezsteps]\nnever echo never\n",
        ),
        (
            "toplevel_after_fail",
            "[requirements]\nwaiton build\nmode toplevel\n\n[ezsteps]\nafter echo after\n",
        ),
        (
            "logpro_warn",
            "[ezsteps]\ncheck echo 'warning: disk almost full'\n\n[logpro]\ncheck ;;\n  (expect:warning in \"LogFileBody\" = 0 \"warnings\" #/warning:/)\n",
        ),
        (
            "logpro_fail",
            "[ezsteps]\ncheck echo 'error: it broke'\nlater touch later-ran\n\n[logpro]\ncheck ;;\n  (expect:error in \"LogFileBody\" = 0 \"errors\" #/error:/)\n",
        ),
        (
            "scheme_shell",
            "[ezsteps]\ncheck test \"#{scheme (+ 40 2)}\" = 42 && test \"#{shell echo from-shell}\" = from-shell\n",
        ),
        ("script_pass", "[setup]\nrunscript main.sh\n"),
        ("script_fail", "[setup]\nrunscript main.sh\n"),
        (
            "skipped",
            "[skip]\nfileexists skipflag\n\n[ezsteps]\nnever echo never\n",
        ),
        (
            "triggered",
            "[ezsteps]\nok echo ok\n\n[triggers]\nCOMPLETED/PASS echo fired >> \"$MT_RUN_AREA_HOME/trigger.log\"\n",
        ),
        ("timelimit", timelimit.as_str()),
        (
            "solo1",
            "[test_meta]\njobgroup solo\n\n[ezsteps]\nexclusive mkdir \"$MT_RUN_AREA_HOME/solo.lock\" && sleep 0.4 && rmdir \"$MT_RUN_AREA_HOME/solo.lock\"\n",
        ),
        (
            "solo2",
            "[test_meta]\njobgroup solo\n\n[ezsteps]\nexclusive mkdir \"$MT_RUN_AREA_HOME/solo.lock\" && sleep 0.4 && rmdir \"$MT_RUN_AREA_HOME/solo.lock\"\n",
        ),
        (
            "solo3",
            "[test_meta]\njobgroup solo\n\n[ezsteps]\nexclusive mkdir \"$MT_RUN_AREA_HOME/solo.lock\" && sleep 0.4 && rmdir \"$MT_RUN_AREA_HOME/solo.lock\"\n",
        ),
        ("autodata", "[setup]\nrunscript data.sh\n"),
    ];
    for (name, config) in tests {
        area = area.file(&format!("tests/{name}/testconfig"), config);
    }
    area.file("tests/script_pass/main.sh", "#!/bin/sh\necho all good\nexit 0\n")
        .file("tests/script_fail/main.sh", "#!/bin/sh\necho broken\nexit 1\n")
        .file(
            "tests/autodata/data.sh",
            "#!/bin/sh\nprintf 'perf,speed,10,10,1\\nperf,size,50,20,5\\n' | $MT_MEGATEST -load-test-data || exit 3\n$MT_MEGATEST -test-status :state COMPLETED :status AUTO\n",
        )
}

fn no_process_with(needle: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().all(|entry| {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        !text.trim().starts_with(needle) && !text.contains(&format!("/{needle}"))
    })
}

#[test]
fn a_twenty_test_area_runs_to_the_expected_records() {
    twenty_tests_to_the_expected_records("");
}

/// The slow paths stay alive: every executor spawned as a new process.
#[test]
fn a_twenty_test_area_runs_to_the_expected_records_without_the_fork_helper() {
    twenty_tests_to_the_expected_records("fork-launch no");
}

/// The slow paths stay alive: every executor writing to the database itself.
#[test]
fn a_twenty_test_area_runs_to_the_expected_records_without_the_recorder() {
    twenty_tests_to_the_expected_records("record-via-runner no");
}

fn twenty_tests_to_the_expected_records(setup: &str) {
    let area = area_20(setup);
    let started = Instant::now();
    let out = area
        .megatest(&[
            "-run",
            "-target",
            "linux/release",
            "-runname",
            "r1",
            "-run-wait",
        ])
        .run();
    let elapsed = started.elapsed();
    out.success();
    let got = records(&area, "r1");
    let expect = |name: &str, state: &str, status: &str| {
        let (s, st, comment) = got.get(name).unwrap_or_else(|| {
            panic!(
                "no record for {name}: {got:#?}\nstdout:\n{}\nstderr:\n{}",
                out.stdout, out.stderr
            )
        });
        assert_eq!(
            (s.as_str(), st.as_str()),
            (state, status),
            "{name} (comment: {comment})\n{got:#?}"
        );
        comment.clone()
    };
    expect("pass_steps", "COMPLETED", "PASS");
    assert_eq!(
        expect("fail_step", "COMPLETED", "FAIL"),
        "Failed at step first"
    );
    expect("env_check", "COMPLETED", "PASS");
    expect("build(core)", "COMPLETED", "PASS");
    expect("build(net)", "COMPLETED", "PASS");
    expect("build(ui)", "COMPLETED", "FAIL");
    expect("build", "COMPLETED", "FAIL");
    expect("unittest(core)", "COMPLETED", "PASS");
    expect("unittest(net)", "COMPLETED", "PASS");
    expect("unittest(ui)", "NOT_STARTED", "PREQ_FAIL");
    expect("unittest", "COMPLETED", "CHECK");
    expect("table_items(layout/ntran)", "COMPLETED", "PASS");
    expect("table_items(layout/ptran)", "COMPLETED", "PASS");
    expect("table_items(schematic/ntran)", "COMPLETED", "PASS");
    expect("table_items", "COMPLETED", "PASS");
    expect("mapped(layout)", "COMPLETED", "PASS");
    expect("mapped(schematic)", "COMPLETED", "PASS");
    expect("mapped", "COMPLETED", "PASS");
    expect("normal_after_fail", "NOT_STARTED", "PREQ_FAIL");
    expect("discarded", "NOT_STARTED", "PREQ_DISCARDED");
    expect("toplevel_after_fail", "COMPLETED", "PASS");
    assert_eq!(
        expect("logpro_warn", "COMPLETED", "WARN"),
        "Logpro warning found"
    );
    assert_eq!(
        expect("logpro_fail", "COMPLETED", "FAIL"),
        "Failed at step check"
    );
    expect("scheme_shell", "COMPLETED", "PASS");
    expect("script_pass", "COMPLETED", "PASS");
    expect("script_fail", "COMPLETED", "FAIL");
    assert!(expect("skipped", "COMPLETED", "SKIP").contains("skipflag"));
    expect("triggered", "COMPLETED", "PASS");
    expect("timelimit", "KILLED", "KILLED");
    expect("solo1", "COMPLETED", "PASS");
    expect("solo2", "COMPLETED", "PASS");
    expect("solo3", "COMPLETED", "PASS");
    expect("autodata", "COMPLETED", "FAIL");
    assert_eq!(got.len(), 33, "one record per test and item: {got:#?}");

    // Steps: a failing step stops the later ones; logpro's verdict is the step's status.
    assert_eq!(
        steps(&area, "pass_steps"),
        [
            ("first".into(), "start".into(), "-".into()),
            ("first".into(), "end".into(), "0".into()),
            ("second".into(), "start".into(), "-".into()),
            ("second".into(), "end".into(), "0".into())
        ]
    );
    assert!(
        steps(&area, "fail_step")
            .iter()
            .all(|(name, ..)| name == "first")
    );
    let links = area.path().join("links/linux/release/r1");
    assert!(!links.join("fail_step/second-ran").exists());
    assert!(!links.join("logpro_fail/later-ran").exists());
    assert!(steps(&area, "logpro_fail").contains(&("check".into(), "end".into(), "1".into())));
    assert!(links.join("logpro_warn/check.html").is_file());
    assert!(links.join("build/core/megatest.sh").is_file());
    assert!(links.join("pass_steps/test-summary.html").is_file());

    // The run-time limit killed the sleep within the limit plus the grace period.
    assert!(
        no_process_with(&long_sleep(setup)),
        "the killed step left a process behind"
    );
    assert!(
        elapsed < Duration::from_secs(30),
        "the run took {elapsed:?}"
    );

    // Test data loaded with an AUTO status decide the test.
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let data: i64 = db
        .query_row("SELECT count(*) FROM test_data d JOIN tests t ON t.id=d.test_id WHERE t.testname='autodata'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(data, 2);

    // The trigger fired with its arguments.
    let log = area.path().join("trigger.log");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !log.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let fired = std::fs::read_to_string(&log).expect("the trigger wrote its file");
    assert!(fired.starts_with("fired "), "{fired}");
    assert!(
        fired.contains("/links/linux/release/r1/triggered COMPLETED/PASS"),
        "{fired}"
    );

    // The progress lines name each result.
    assert!(
        out.stdout.contains("State       Status      Start Time"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("COMPLETED   PASS")
                && l.ends_with("lt/linux/release/r1/pass_steps")),
        "{}",
        out.stdout
    );

    // A second -run changes nothing: completed tests are not run again.
    area.megatest(&[
        "-run",
        "-target",
        "linux/release",
        "-runname",
        "r1",
        "-run-wait",
    ])
    .run()
    .success();
    assert_eq!(records(&area, "r1"), got);
}

#[test]
fn a_killed_runner_is_continued_by_the_next_one() {
    let mut area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 3\nlinktree #{getenv MT_RUN_AREA_HOME}/links\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n");
    let body = "[ezsteps]\nwork echo x >> \"$MT_RUN_AREA_HOME/count.$MT_TEST_NAME.$MT_ITEMPATH\" && sleep 0.5\n";
    area = area
        .file(
            "tests/first/testconfig",
            &format!("[items]\nN 1 2 3 4 5 6\n\n{body}"),
        )
        .file(
            "tests/second/testconfig",
            &format!(
                "[requirements]\nwaiton first\nmode itemwait\n\n[items]\nN 1 2 3 4 5 6\n\n{body}"
            ),
        )
        .file(
            "tests/last/testconfig",
            &format!("[requirements]\nwaiton second\n\n{body}"),
        );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_megatest"))
        .args(["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .current_dir(area.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    let midway = records(&area, "r");
    assert!(
        midway.values().any(|(state, ..)| state != "COMPLETED"),
        "the runner was killed before the end: {midway:#?}"
    );
    area.megatest(&["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .run()
        .success();
    let done = records(&area, "r");
    assert_eq!(done.len(), 15, "{done:#?}");
    for (name, (state, status, comment)) in &done {
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("COMPLETED", "PASS"),
            "{name}: {comment}"
        );
    }
    for test in ["first", "second"] {
        for n in 1..=6 {
            let count =
                std::fs::read_to_string(area.path().join(format!("count.{test}.{n}"))).unwrap();
            assert_eq!(
                count.lines().count(),
                1,
                "{test}/{n} ran {} times",
                count.lines().count()
            );
        }
    }
    let last = std::fs::read_to_string(area.path().join("count.last.")).unwrap();
    assert_eq!(last.lines().count(), 1);
    let db = Connection::open(Path::new(area.path()).join("megatest.db")).unwrap();
    let dups: i64 = db
        .query_row("SELECT count(*) FROM (SELECT 1 FROM tests GROUP BY run_id, testname, item_path HAVING count(*) > 1)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dups, 0);
}

/// The arguments of the README's first command (`cargo run -q -- ARGS   # comment`).
fn readme_first_command() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md is readable");
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run"))
        .expect("the README starts with a `cargo run` command");
    let args = line
        .split_once(" -- ")
        .expect("the command passes its arguments after --")
        .1;
    let args = args.split('#').next().unwrap();
    args.split_whitespace().map(str::to_string).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_readme_command_runs_the_quickstart_example() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let area = Area::new();
    // Only what the repository holds: what a fresh clone has.
    for file in ["megatest.config", "runconfigs.config"] {
        std::fs::copy(example.join(file), area.path().join(file)).unwrap();
    }
    copy_dir(&example.join("tests"), &area.path().join("tests"));
    let args: Vec<String> = readme_first_command()
        .into_iter()
        .map(|a| {
            if a == "examples/quickstart" {
                area.path().display().to_string()
            } else {
                a
            }
        })
        .collect();
    assert!(args.contains(&"-run".to_string()), "{args:?}");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = area.megatest(&refs).run();
    let stdout = out.success().to_string();
    let runname = &args[args.iter().position(|a| a == "-runname").unwrap() + 1];
    let got = records(&area, runname);
    let expected: BTreeMap<String, (String, String)> = [
        ("setup", "PASS"),
        ("compile", "PASS"),
        ("compile(core)", "PASS"),
        ("compile(net)", "PASS"),
        ("compile(ui)", "PASS"),
        ("unit", "PASS"),
        ("unit(core)", "PASS"),
        ("unit(net)", "PASS"),
        ("unit(ui)", "PASS"),
        ("lint", "WARN"),
        ("report", "PASS"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), ("COMPLETED".to_string(), v.to_string())))
    .collect();
    let got: BTreeMap<String, (String, String)> = got
        .into_iter()
        .map(|(k, (state, status, _))| (k, (state, status)))
        .collect();
    assert_eq!(got, expected, "{stdout}");
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("COMPLETED"))
            .count(),
        11,
        "{stdout}"
    );
}

#[test]
fn a_signal_to_the_executor_in_a_steps_first_second_kills_the_step() {
    // Before the monitor's thread exists (it starts after a second), the executor's wait
    // for its step watches for signals itself.
    let area = one_test_area(
        "[ezsteps]\nlong echo $PPID > \"$MT_RUN_AREA_HOME/executor.pid\"; exec sleep 47\n",
    );
    let runner = area
        .megatest(&["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .spawn();
    let pid_file = area.path().join("executor.pid");
    let start = Instant::now();
    let executor = loop {
        if let Ok(text) = std::fs::read_to_string(&pid_file)
            && let Ok(pid) = text.trim().parse::<u32>()
        {
            break pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the step never ran"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let signalled = Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &executor.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let mut runner = runner;
    runner.wait().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(20),
        "took {:?}",
        signalled.elapsed()
    );
    let got = records(&area, "r");
    let (state, status, comment) = &got["t"];
    assert_eq!(
        (state.as_str(), status.as_str()),
        ("INCOMPLETE", "KILLED"),
        "{got:?}"
    );
    assert!(comment.contains("signal 15"), "{comment}");
    assert!(no_process_with("sleep 47"), "the step was killed too");
}

#[test]
fn a_step_killed_just_before_its_executor_ends_the_test_killed_not_failed() {
    // A batch system cancelling a job signals all its processes in no set order: here the
    // step dies of TERM first and the executor's own TERM follows 300 ms later.
    let area = one_test_area(
        "[ezsteps]\ncut (sleep 0.3; kill -TERM $PPID) & kill -TERM $$\nafter echo never\n",
    );
    let out = area
        .megatest(&["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .run();
    let got = records(&area, "r");
    let (state, status, comment) = &got["t"];
    assert_eq!(
        (state.as_str(), status.as_str()),
        ("INCOMPLETE", "KILLED"),
        "{got:?}\n{}",
        out.stderr
    );
    assert!(comment.contains("signal 15"), "{comment}");
}

/// An area of one test `t` with this testconfig, and no reruns.
fn one_test_area(testconfig: &str) -> Area {
    Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\nlinktree #{getenv MT_RUN_AREA_HOME}/links\nreruns 0\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/t/testconfig", testconfig)
}
