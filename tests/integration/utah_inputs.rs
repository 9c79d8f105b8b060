//! Malformed UTAH definitions through the real `utah` binary: each gives one error naming
//! the file (and line and column where there is one), exit status 2, no panic, and nothing
//! run — no command of any suite, no run recorded.

use crate::harness::Area;

const RUNLIST: &str = "testsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n";
const TC: &str = "description: d\ndependencies: none\naction: a\nexpected_results: e\ntimeout: 30\ncommand: touch $MARK\n";

/// A runlist `master.run` and suite `s` with one case `t`, each file replaceable.
fn suite(replace: &[(&str, &[u8])]) -> Area {
    let area = Area::new();
    let files: [(&str, &[u8]); 4] = [
        ("master.run", RUNLIST.as_bytes()),
        ("s/ts_control", b"ts_setup: touch $MARK\n"),
        ("s/tslist.run", b"- test: t\n"),
        ("s/t/tc_control", TC.as_bytes()),
    ];
    for (name, text) in files {
        let text = replace
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(text, |(_, t)| *t);
        let path = area.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    area
}

/// Runs the runlist; asserts exit 2, one `error:` line containing `expected`, and that
/// nothing ran.
#[track_caller]
fn refused(area: &Area, expected: &str) {
    let marker = area.path().join("ran");
    let out = area
        .utah(&["-r", "master.run"])
        .env("MARK", &marker.display().to_string())
        .run();
    let stderr = out.failure(2);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error:\n{stderr}");
    assert!(errors[0].contains(expected), "`{expected}` in:\n{stderr}");
    assert!(
        !errors[0].contains("/links/"),
        "the source file is named: {}",
        errors[0]
    );
    assert!(!marker.exists(), "a command ran:\n{stderr}");
    assert!(
        out.stdout.is_empty(),
        "a report was written:\n{}",
        out.stdout
    );
    let db = area.path().join("megatest.db");
    if db.exists() {
        let runs: i64 = rusqlite::Connection::open(db)
            .unwrap()
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(runs, 0, "a run was recorded");
    }
}

fn tc(with: &str) -> Vec<u8> {
    format!("{TC}{with}").into_bytes()
}

#[test]
fn malformed_runlists() {
    let cases: &[(&[u8], &str)] = &[
        (b"testsuites: [\n", "master.run:2:1: YAML syntax error"),
        (b"repeat_count: 1\n", "master.run:1:1: testsuites: required"),
        (b"testsuites: []\n", "master.run:1:13: testsuites: expected at least one suite"),
        (b"testsuites: 3\n", "master.run:1:13: testsuites: expected a list of suites, found an integer"),
        (b"just text\n", "master.run:1:1: runlist: expected a mapping, found a string"),
        (
            b"testsuites:\n  - fetch_method: dev\n    fetch_location: ./s\n",
            "master.run:2:5: name: required",
        ),
        (
            b"testsuites:\n  - name: s\n    fetch_method: svn\n    fetch_location: ./s\n",
            "master.run:3:19: fetch_method: expected one of dev, git, bzr, bzr-export, found \"svn\"",
        ),
        (
            b"testsuites:\n  - name: s\n    fetch_method: dev\n",
            "master.run:2:5: fetch_location: required",
        ),
        (
            b"testsuites:\n  - name: ../up\n    fetch_method: dev\n    fetch_location: ./s\n",
            "master.run:2:11: name: expected a directory name",
        ),
        (
            b"repeat_count: -1\ntestsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n",
            "master.run:1:15: repeat_count: expected an integer of at least 0, found -1",
        ),
        (
            b"repeat_count: twice\ntestsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n",
            "repeat_count: expected an integer of at least 0, found the string \"twice\"",
        ),
        (
            b"testsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n    include_tests: t\n",
            "master.run:5:20: include_tests: expected a list of strings, found a string",
        ),
        (
            b"testsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: \xff\n",
            "master.run:4:21: the file is not UTF-8 text",
        ),
        (
            b"testsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n---\nx: 1\n",
            "a second YAML document",
        ),
        (
            b"testsuites:\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n",
            "master.run:5:11: name: expected a name not used by another suite",
        ),
    ];
    for (text, expected) in cases {
        refused(&suite(&[("master.run", text)]), expected);
    }
    let big = vec![b'#'; 10 * 1024 * 1024];
    refused(
        &suite(&[("master.run", &big)]),
        "master.run: the file has 10485760 bytes",
    );
    let area = suite(&[]);
    std::fs::remove_file(area.path().join("master.run")).unwrap();
    refused(&area, "master.run: cannot read");
}

#[test]
fn malformed_suites() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "s/tslist.run",
            b"- test: [t\n",
            "tslist.run:2:1: YAML syntax error",
        ),
        (
            "s/tslist.run",
            b"- run_as: nobody\n",
            "tslist.run:1:3: test: required",
        ),
        (
            "s/tslist.run",
            b"- test: nope\n",
            "tslist.run:1:9: test: expected a test directory of the suite, and there is no `nope`",
        ),
        (
            "s/tslist.run",
            b"- test: ../t\n",
            "tslist.run:1:9: test: expected a directory of the suite",
        ),
        (
            "s/tslist.run",
            b"- test: t\n  overrides:\n    timeout: -5\n",
            "tslist.run:3:14: timeout: expected an integer of at least 0, found -5",
        ),
        (
            "s/ts_control",
            b"timeout: soon\n",
            "ts_control:1:10: timeout: expected an integer of at least 0",
        ),
        (
            "s/t/tc_control",
            b"- description: d\n",
            "tc_control:1:1: tc_control: expected a mapping, found a list",
        ),
    ];
    for (file, text, expected) in cases {
        refused(&suite(&[(file, text)]), expected);
    }
    let tc_cases: &[(&str, &str, &str)] = &[
        (
            "command: touch $MARK\n",
            "",
            "tc_control:1:1: command: required",
        ),
        ("timeout: 30\n", "", "tc_control:1:1: timeout: required"),
        (
            "dependencies: none\n",
            "dependencies: ~\n",
            "tc_control:1:1: dependencies: required",
        ),
        (
            "",
            "type: kernel\n",
            "tc_control:7:7: type: expected one of userland, found \"kernel\"",
        ),
        (
            "",
            "reboot: sometimes\n",
            "tc_control:7:9: reboot: expected one of always, pass, never",
        ),
        (
            "",
            "run_as: 0\n",
            "tc_control:7:9: run_as: expected a string, found an integer (quote it",
        ),
    ];
    for (remove, add, expected) in tc_cases {
        let text = tc(add);
        let text = String::from_utf8(text).unwrap().replace(remove, "");
        refused(&suite(&[("s/t/tc_control", text.as_bytes())]), expected);
    }
    let area = suite(&[]);
    std::fs::remove_file(area.path().join("s/t/tc_control")).unwrap();
    refused(
        &area,
        "tslist.run:1:9: test: expected a test directory with a tc_control, and `t` has none",
    );
    let area = suite(&[]);
    std::fs::remove_file(area.path().join("s/tslist.run")).unwrap();
    refused(&area, "the suite has neither tslist.run nor tslist.auto");
    let area = suite(&[]);
    std::fs::remove_file(area.path().join("s/tslist.run")).unwrap();
    std::fs::write(
        area.path().join("s/tslist.auto"),
        "- discovery_cmd: echo x\n",
    )
    .unwrap();
    refused(&area, "tslist.auto:1:3: test_cmd: required");
}

#[test]
fn a_failing_discovery_is_a_suite_error_named_where_it_is_defined() {
    let area = suite(&[
        ("s/ts_control", b"ts_cleanup: echo cleaned\n"),
        ("s/tslist.run", b""),
    ]);
    std::fs::remove_file(area.path().join("s/tslist.run")).unwrap();
    std::fs::write(
        area.path().join("s/tslist.auto"),
        "# cases\n- discovery_cmd: exit 7\n  test_cmd: touch {}\n",
    )
    .unwrap();
    let out = area.utah(&["-r", "master.run", "-f", "text"]).run();
    let stderr = out.failure(2);
    assert!(
        stderr.contains("tslist.auto:2:3: discovery_cmd failed (exit 7); no case of suite s runs"),
        "{stderr}"
    );
    assert_eq!(
        out.stdout
            .lines()
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        [
            "testsuite_discovery s/- 7",
            "testsuite_cleanup s/- 0",
            "passes: 0 failures:"
        ]
    );
}

#[test]
fn a_missing_dev_location_is_a_fetch_error_and_the_run_goes_on() {
    let area = suite(&[(
        "master.run",
        b"testsuites:\n  - name: gone\n    fetch_method: dev\n    fetch_location: ./nowhere\n  - name: s\n    fetch_method: dev\n    fetch_location: ./s\n",
    )]);
    let marker = area.path().join("ran");
    let out = area
        .utah(&["-r", "master.run", "-f", "text"])
        .env("MARK", &marker.display().to_string())
        .run();
    let stderr = out.failure(2);
    assert!(stderr.contains("suite gone: the fetch failed"), "{stderr}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("testsuite_fetch     gone/- 1 cp -r"),
        "{}",
        out.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("testcase_test       s/t 0")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fetch_errors: 1 result: ERROR"),
        "{}",
        out.stdout
    );
    assert!(marker.exists());
}
