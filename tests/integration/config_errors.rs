//! Malformed input: each case gives one clear message naming the file:line (or the option)
//! and a documented exit code, and never panics. What Megatest 1.65 tolerates (config forms
//! that cannot be expanded, unknown options) is an error only with `-strict`; without it,
//! a warning naming the place, and the command runs.

use crate::harness::Area;

const ERROR: i32 = 1;
const NO_AREA: i32 = 2;
const USAGE: i32 = 64;

struct Case {
    name: &'static str,
    config: &'static str,
    args: &'static [&'static str],
    code: i32,
    /// Substrings stderr must contain (the message and the place).
    expect: &'static [&'static str],
}

const FIELDS: &str = "[fields]\nsysname TEXT\nfsname TEXT\n";

/// The cases Megatest 1.65 tolerates: without `-strict` they are warnings.
const TOLERATED: &[&str] = &[
    "unclosed #{",
    "unknown helper",
    "realpath is not a helper",
    "braces inside a form",
    "get without a variable",
    "scheme syntax error",
    "scheme type error",
    "scheme unknown procedure",
    "scheme nested too deep",
    "error in runconfigs.config",
    "unknown option",
    "stray argument",
];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "unclosed #{",
            config: "[s]\nok 1\nv #{getenv HOME\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &[
                "error: unclosed `#{getenv`: expected `}`",
                "megatest.config:3:3",
                "^^^^^^^^",
            ],
        },
        Case {
            name: "unknown helper",
            config: "[s]\nv x #{foo bar}\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &[
                "error: unknown helper `foo`",
                "megatest.config:2:5",
                "the helpers are: scheme",
            ],
        },
        Case {
            name: "realpath is not a helper",
            config: "[s]\nv #{realpath .}\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &[
                "unknown helper `realpath`",
                "megatest.config:2:3",
                "#{rp PATH}",
            ],
        },
        Case {
            name: "braces inside a form",
            config: "[s]\nv #{shell awk '{print $1}' f}\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &["`#{shell ...}` contains a `{`", "megatest.config:2:3"],
        },
        Case {
            name: "get without a variable",
            config: "[s]\nv #{get s}\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &["needs a section and a variable name", "megatest.config:2:3"],
        },
        Case {
            name: "scheme syntax error",
            config: "[s]\n\nv #{scheme (+ 1 2}\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &["Scheme error in `#{scheme ...}`", "megatest.config:3:"],
        },
        Case {
            name: "scheme type error",
            config: "[s]\nv #{scheme (car 10)}\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &["Scheme error", "car", "megatest.config:2:13"],
        },
        Case {
            name: "scheme unknown procedure",
            config: "[s]\nv #{scm (no-such-proc 1)}\n",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &["no-such-proc", "megatest.config:2:10"],
        },
        Case {
            name: "scheme nested too deep",
            config: "",
            args: &["-strict", "-show-config"],
            code: ERROR,
            expect: &["nesting deeper than 1000 levels", "megatest.config:2:"],
        },
        Case {
            name: "unclosed section header",
            config: "[s]\n[setup\nx 1\n",
            args: &["-show-config"],
            code: ERROR,
            expect: &[
                "error: malformed section header",
                "megatest.config:2:1",
                "expected `]`",
            ],
        },
        Case {
            name: "comment after a header",
            config: "[setup] # the setup\n",
            args: &["-show-config"],
            code: ERROR,
            expect: &[
                "malformed section header",
                "megatest.config:1:1",
                "no inline comments",
            ],
        },
        Case {
            name: "unclosed [system",
            config: "[s]\nitems [system ls\n",
            args: &["-show-config"],
            code: ERROR,
            expect: &["malformed `[system ...]` value", "megatest.config:2:7"],
        },
        Case {
            name: "include of a directory",
            config: "[s]\n[include adir]\n",
            args: &["-show-config"],
            code: ERROR,
            expect: &[
                "cannot read",
                "adir` : it is a directory",
                "megatest.config:2:1",
            ],
        },
        Case {
            name: "include cycle",
            config: "[s]\n[include one.config]\n",
            args: &["-show-config"],
            code: ERROR,
            expect: &[
                "include cycle: `",
                "two.config` includes `",
                "one.config`, which is already being read",
                "two.config:1:1",
            ],
        },
        Case {
            name: "unreadable include",
            config: "[s]\nx 1\n[include sock]\n",
            args: &["-show-config"],
            code: ERROR,
            expect: &[
                "cannot read `",
                "sock`: no such device or address",
                "megatest.config:3:1",
            ],
        },
        Case {
            name: "bad regex section",
            config: "[a]\n[/(a/]\nx 1\n",
            args: &["-show-config"],
            code: ERROR,
            expect: &[
                "section `[/(a/]` is not a valid pattern",
                "megatest.config:2:2",
                "unclosed group",
            ],
        },
        Case {
            name: "error in runconfigs.config",
            config: FIELDS,
            args: &["-strict", "-show-runconfig", "-target", "a/b"],
            code: ERROR,
            expect: &["unknown helper `nope`", "runconfigs.config:2:5"],
        },
        Case {
            name: "target with too few keys",
            config: FIELDS,
            args: &["-show-runconfig", "-target", "ubuntu"],
            code: ERROR,
            expect: &[
                "invalid target `ubuntu` given with -target: expected 2 values separated by `/`, got 1",
                "sysname/fsname",
            ],
        },
        Case {
            name: "target with an empty key",
            config: FIELDS,
            args: &["-show-runconfig", "-target", "ubuntu/"],
            code: ERROR,
            expect: &["the value for key `fsname` is empty"],
        },
        Case {
            name: "target from MT_TARGET",
            config: FIELDS,
            args: &["-show-runconfig"],
            code: ERROR,
            expect: &["invalid target `a/b/c` given with MT_TARGET"],
        },
        Case {
            name: "target without [fields]",
            config: "[setup]\n",
            args: &["-show-runconfig", "-target", "x"],
            code: ERROR,
            expect: &["megatest.config has no [fields] keys"],
        },
        Case {
            name: "reserved field name",
            config: "[fields]\nsysname TEXT\nstatus TEXT\n",
            args: &["-show-runconfig", "-target", "a/b"],
            code: ERROR,
            expect: &[
                "invalid [fields] key `status`: it is a column of the runs table",
                "megatest.config:3:1",
            ],
        },
        Case {
            name: "reqtarg not in runconfigs",
            config: FIELDS,
            args: &["-show-runconfig", "-reqtarg", "x/y"],
            code: ERROR,
            expect: &["[x/y] not found in", "runconfigs.config"],
        },
        Case {
            name: "unknown option",
            config: FIELDS,
            args: &["-strict", "-show-config", "-sectoin", "setup"],
            code: USAGE,
            expect: &[
                "error: unknown option `-sectoin`",
                "did you mean `-section`?",
            ],
        },
        Case {
            name: "missing option value",
            config: FIELDS,
            args: &["-show-config", "-section"],
            code: USAGE,
            expect: &["error: option `-section` needs a value: -section NAME"],
        },
        Case {
            name: "stray argument",
            config: FIELDS,
            args: &["-strict", "-show-config", "oops"],
            code: USAGE,
            expect: &["error: unexpected argument `oops`"],
        },
        Case {
            name: "bad dumpmode",
            config: FIELDS,
            args: &["-show-config", "-dumpmode", "xml"],
            code: USAGE,
            expect: &["-dumpmode `xml` is not one of ini, json, sexp"],
        },
        Case {
            name: "bad debug level",
            config: FIELDS,
            args: &["-show-config", "-debug", "lots"],
            code: USAGE,
            expect: &["bad -debug value: `lots` is not a debug level"],
        },
        Case {
            name: "var without section",
            config: FIELDS,
            args: &["-show-config", "-var", "x"],
            code: USAGE,
            expect: &["-var needs -section"],
        },
        Case {
            name: "start dir that does not exist",
            config: FIELDS,
            args: &["-start-dir", "/nonexistent/area", "-show-config"],
            code: ERROR,
            expect: &[
                "cannot change to the directory `/nonexistent/area` given with -start-dir: no such file or directory",
            ],
        },
        Case {
            name: "log file that cannot be written",
            config: FIELDS,
            args: &["-log", "/proc/nonexistent/mt.log", "-show-config"],
            code: ERROR,
            expect: &["cannot open the log file `/proc/nonexistent/mt.log` given with -log"],
        },
        Case {
            name: "config file that does not exist",
            config: FIELDS,
            args: &["-config", "sub/none.config", "-show-config"],
            code: NO_AREA,
            expect: &["the config file `sub/none.config` given with -config does not exist"],
        },
    ]
}

fn area_for(case: &Case) -> Area {
    let mut config = case.config.to_string();
    if case.name == "scheme nested too deep" {
        config = format!(
            "[s]\nv #{{scheme {}1{}}}\n",
            "(list ".repeat(1200),
            ")".repeat(1200)
        );
    }
    let mut area = Area::new().file("megatest.config", &config);
    match case.name {
        "include of a directory" => std::fs::create_dir(area.path().join("adir")).unwrap(),
        "include cycle" => {
            area = area
                .file("one.config", "[include two.config]\n")
                .file("two.config", "[include one.config]\n");
        }
        "unreadable include" => {
            let listener =
                std::os::unix::net::UnixListener::bind(area.path().join("sock")).unwrap();
            std::mem::forget(listener);
        }
        "error in runconfigs.config" => {
            area = area.file("runconfigs.config", "[default]\nv x #{nope y}\n");
        }
        _ => {}
    }
    area
}

#[test]
fn malformed_inputs_give_one_clear_error() {
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in &cases {
        let area = area_for(case);
        let mut run = area.megatest(case.args);
        if case.name == "target from MT_TARGET" {
            run = run.env("MT_TARGET", "a/b/c");
        }
        let out = run.run();
        assert_eq!(
            out.code, case.code,
            "{}: exit code; stderr:\n{}",
            case.name, out.stderr
        );
        for expected in case.expect {
            let expected = expected.replace("` :", "`:");
            assert!(
                out.stderr.contains(&expected),
                "{}: stderr lacks {expected:?}:\n{}",
                case.name,
                out.stderr
            );
        }
        assert_eq!(
            out.stderr.matches("error:").count(),
            1,
            "{}: one error:\n{}",
            case.name,
            out.stderr
        );
        assert!(
            !out.stderr.contains("panicked"),
            "{}: {}",
            case.name,
            out.stderr
        );
        assert!(
            out.stdout.is_empty(),
            "{}: nothing on stdout: {}",
            case.name,
            out.stdout
        );
    }
}

#[test]
fn tolerated_inputs_are_warnings_without_strict() {
    for case in cases().iter().filter(|c| TOLERATED.contains(&c.name)) {
        let area = area_for(case);
        let args: Vec<&str> = case
            .args
            .iter()
            .copied()
            .filter(|a| *a != "-strict")
            .collect();
        let out = area.megatest(&args).run();
        assert_eq!(
            out.code, 0,
            "{}: exit code; stderr:\n{}",
            case.name, out.stderr
        );
        assert!(
            out.stderr.contains("warning: ") && !out.stderr.contains("error:"),
            "{}: a warning, no error:\n{}",
            case.name,
            out.stderr
        );
        for place in case.expect.iter().filter(|e| e.contains(".config:")) {
            assert!(
                out.stderr.contains(place) && out.stderr.contains("left as written"),
                "{}: the warning names {place}:\n{}",
                case.name,
                out.stderr
            );
        }
    }
    // The form stays in the value as written, as in Megatest 1.65.
    let area = Area::new().file("megatest.config", "[s]\nv x #{foo bar}\n");
    let out = area
        .megatest(&["-show-config", "-section", "s", "-var", "v"])
        .run();
    assert_eq!(out.stdout.trim(), "x #{foo bar}", "{}", out.stderr);
    // A comment is not read: a form in it that cannot be expanded says nothing.
    let area = Area::new().file(
        "megatest.config",
        "[s]\n# general ssh #{getbgesthost general}\nv 1\n",
    );
    let out = area
        .megatest(&["-show-config", "-section", "s", "-var", "v"])
        .run();
    assert_eq!((out.code, out.stdout.trim()), (0, "1"), "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // An unknown option is named with the one it may mean, and the command runs.
    let out = Area::new()
        .file("megatest.config", "[s]\nv 1\n")
        .megatest(&["-show-config", "-section", "s", "-var", "v", "-runwait"])
        .run();
    assert_eq!((out.code, out.stdout.trim()), (0, "1"), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "unrecognised arguments, ignored: -runwait; `-runwait`: did you mean `-run-wait`?"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn no_area_found() {
    let out = Area::new().megatest(&["-show-config"]).run();
    let err = out.failure(NO_AREA);
    assert!(
        err.contains("error: no megatest.config found in `"),
        "{err}"
    );
    let out = Area::new()
        .megatest(&["-show-keys"])
        .env("MT_RUN_AREA_HOME", "/nonexistent/area")
        .run();
    assert!(
        out.failure(NO_AREA)
            .contains("MT_RUN_AREA_HOME is `/nonexistent/area` but it has no megatest.config")
    );
}

#[test]
fn rendered_frame() {
    let area = Area::new().file("megatest.config", "[s]\nvalue x #{foo bar}\n");
    let out = area.megatest(&["-strict", "-show-config"]).run();
    let path = area.path().join("megatest.config");
    let expected = format!(
        "error: unknown helper `foo` in `#{{foo ...}}`\n --> {}:2:9\n  |\n2 | value x #{{foo bar}}\n  |         ^^^^^\n  = the helpers are: scheme, scm, system, shell, sh, rp, getenv, gv, get, g, rget, runconfigs-get, mtrah\n",
        path.display()
    );
    assert_eq!(out.failure(1), expected);
}

#[test]
fn a_test_pattern_that_names_no_test_is_an_error_and_writes_nothing() {
    let area = Area::new()
        .file("megatest.config", "[fields]\nplatform TEXT\n")
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/alpha/testconfig", "[ezsteps]\nok exit 0\n")
        .file("tests/beta/testconfig", "[ezsteps]\nok exit 0\n");
    let run = ["-run", "-target", "p1", "-runname", "r1"];
    let out = area
        .megatest(&[&run[..], &["-testpatt", "alhpa,gamma%"]].concat())
        .run();
    let err = out.failure(ERROR);
    assert!(
        err.contains(
            "error: no test matches the test pattern `alhpa,gamma%`: the area's tests are alpha, beta"
        ),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    let db = area.path().join("megatest.db");
    let runs: i64 = rusqlite::Connection::open(&db)
        .and_then(|c| c.query_row("SELECT count(*) FROM runs", [], |r| r.get(0)))
        .unwrap_or(0);
    assert_eq!(runs, 0, "no run registered");
    // A pattern with a matching test part runs as usual.
    let out = area
        .megatest(&[&run[..], &["-testpatt", "beta/%", "-run-wait"]].concat())
        .run();
    assert!(out.success().contains("lt/p1/r1/beta"), "{}", out.stdout);
}
