//! Megatest 1.65's own QA areas (`../shared/conformance/megatest-qa/`), run as upstream ran
//! them (its README's table) and checked against upstream's expectations.
//!
//! The areas are used unchanged. The only changes are the README's:
//! - a copy in a temp dir, keeping the layout (areas use `../simplerun`, `../resources`);
//! - the execute bits the branch lost;
//! - the run and link directories upstream's Makefile creates, and speedtest's disk;
//! - USER and HOME set: USER is unique to the test process, so fullrun's `/tmp/$USER/...`
//!   database is its own (removed at the end); HOME holds one file, since fullrun's
//!   `ezlog_warn` lists it and requires output;
//! - this build's `megatest` and `logpro` first on PATH, then upstream's `utils/` (`nbfake`);
//! - `PWD` set to the area, as the shell upstream's Makefile runs them from sets it
//!   (mintest's `[disks]` is `#{getenv PWD}/runs`).
//!
//! A `-run` whose launcher is `nbfake` returns once its last test is launched, as 1.65's
//! does; the tests then wait for the run's end with `-run-wait -state ...` before reading
//! the records.
//!
//! fullrun's sqlitespeed runs Ruby and the sqlite3 shell: `scripts/setup.sh` installs them.

use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The QA areas, copied into a temp dir.
struct Qa {
    dir: tempfile::TempDir,
    user: String,
    home: PathBuf,
}

fn shared_qa() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/megatest-qa");
    assert!(
        dir.join("README.md").is_file(),
        "the QA areas are missing: {} (../shared must be beside the checkout)",
        dir.display()
    );
    dir
}

impl Qa {
    fn new(name: &str) -> Qa {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", shared_qa().display()))
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "copy the QA areas");
        // The execute bits: every file of a test directory, the helpers, the scripts.
        let status = Command::new("sh")
            .arg("-c")
            .arg("find . -type f \\( -path '*/tests/*' -o -path './utils/*' -o -name '*.sh' \\) -exec chmod +x {} +")
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "chmod the QA areas");
        for sub in [
            "mintest/runs",
            "mintest/links",
            "fullrun/tmp/mt_runs",
            "fullrun/tmp/mt_links",
            "fullrun/logs",
            "simpleruns",
            "runs",
            "fdktestqa/simpleruns",
            // speedtest's only disk, `#{getenv MT_RUN_AREA_HOME}/tmp_run`: 1.65 too skips a
            // disk that is not a directory, and no Makefile target creates this one.
            "speedtest/tmp_run",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("a-file"), "").unwrap();
        Qa {
            user: format!("mtqa{}{name}", std::process::id()),
            dir,
            home,
        }
    }

    fn area(&self, area: &str) -> PathBuf {
        self.dir.path().join(area)
    }

    /// megatest in `area` with the README's environment.
    fn megatest(&self, area: &str, args: &[&str]) -> Command {
        let bin = Path::new(env!("CARGO_BIN_EXE_megatest")).parent().unwrap();
        let path = format!(
            "{}:{}:{}",
            bin.display(),
            self.dir.path().join("utils").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_megatest"));
        command
            .args(args)
            .current_dir(self.area(area))
            .env("PATH", path)
            .env("PWD", self.area(area))
            .env("USER", &self.user)
            .env("HOME", &self.home);
        for (name, _) in std::env::vars() {
            if name.starts_with("MT_") {
                command.env_remove(name);
            }
        }
        command
    }

    /// Runs megatest; its stdout (asserts exit 0).
    fn run(&self, area: &str, args: &[&str]) -> String {
        let out = self.megatest(area, args).output().unwrap();
        assert!(
            out.status.success(),
            "{area}: megatest {args:?} exited {:?}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Qa {
    /// Waits while a test of the run is launched or running (`-run-wait` alone).
    fn wait_for_end(&self, area: &str, target: &str, runname: &str) {
        self.run(
            area,
            &[
                "-run-wait",
                "-target",
                target,
                "-runname",
                runname,
                "-testpatt",
                "%",
                "-state",
                "LAUNCHED,RUNNING,REMOTEHOSTSTART,KILLREQ",
            ],
        );
    }
}

impl Drop for Qa {
    fn drop(&mut self) {
        // fullrun's database directory, `/tmp/$USER/...`.
        let _ = std::fs::remove_dir_all(Path::new("/tmp").join(&self.user));
    }
}

/// `run: test` or `run: test/item` → "STATE STATUS", for the runs that are not deleted.
fn records(db: &Path) -> BTreeMap<String, String> {
    let db = Connection::open(db).unwrap();
    let mut stmt = db
        .prepare("SELECT r.runname, t.testname, t.item_path, t.state, t.status FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.state != 'deleted'")
        .unwrap();
    stmt.query_map([], |r| {
        let (run, test, item): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let name = if item.is_empty() {
            format!("{run}: {test}")
        } else {
            format!("{run}: {test}/{item}")
        };
        Ok((
            name,
            format!("{} {}", r.get::<_, String>(3)?, r.get::<_, String>(4)?),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn mintest_runs_as_upstreams_test9_expects() {
    let qa = Qa::new("mintest");
    for test in ["e", "d", "a", "g", "a1"] {
        qa.run(
            "mintest",
            &[
                "-preclean",
                "-runtests",
                test,
                "-target",
                "a",
                "-runname",
                &format!("r{test}"),
            ],
        );
        qa.wait_for_end("mintest", "a", &format!("r{test}"));
    }
    qa.run(
        "mintest",
        &["-run", "-testpatt", "%", "-target", "a", "-runname", "all"],
    );
    qa.wait_for_end("mintest", "a", "all");
    let found = records(&qa.area("mintest/megatest.db"));
    let all: BTreeMap<&str, &str> = found
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("all: ").map(|k| (k, v.as_str())))
        .collect();
    assert!(all.len() >= 12, "{all:?}");
    for (test, verdict) in &all {
        let expected = match *test {
            "d1fail" => "COMPLETED FAIL",
            "c1" => "NOT_STARTED PREQ_FAIL",
            "b1" | "a1" => "NOT_STARTED PREQ_DISCARDED",
            "g" => "NOT_STARTED ZERO_ITEMS",
            _ => "COMPLETED PASS",
        };
        assert_eq!(*verdict, expected, "{test}: {all:?}");
    }
    assert_eq!(found["rg: g"], "NOT_STARTED ZERO_ITEMS", "{found:?}");
    assert_eq!(found["ra1: d1fail"], "COMPLETED FAIL", "{found:?}");
}

#[test]
fn simplerun_keeps_the_runs_upstreams_test7_expects() {
    let qa = Qa::new("simplerun");
    qa.run(
        "simplerun",
        &[
            "-remove-runs",
            "-target",
            "%/%",
            ":runname",
            "%",
            "-testpatt",
            "%",
        ],
    );
    qa.run(
        "simplerun",
        &[
            "-preclean",
            "-runtests",
            "%",
            "-target",
            "a/b",
            ":runname",
            "c",
        ],
    );
    qa.wait_for_end("simplerun", "a/b", "c");
    // Without -testpatt, removal refuses (exit 3), in 1.65 as here: nothing is removed.
    let out = qa
        .megatest(
            "simplerun",
            &["-remove-runs", "-target", "a/c", ":runname", "c"],
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    for args in [
        &[
            "-preclean",
            "-runtests",
            "%",
            "-target",
            "a/c",
            ":runname",
            "c",
        ][..],
        &[
            "-remove-runs",
            "-target",
            "a/b",
            ":runname",
            "c",
            "-testpatt",
            "%",
        ],
        &[
            "-preclean",
            "-runtests",
            "%",
            "-target",
            "a/d",
            ":runname",
            "c",
        ],
    ] {
        qa.run("simplerun", args);
        if args[0] == "-preclean" {
            qa.wait_for_end("simplerun", args[4], "c");
        }
    }
    let listing = qa.run("simplerun", &["-list-runs", "%"]);
    let runs: Vec<&str> = listing
        .lines()
        .filter(|l| l.starts_with("Run:"))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(runs, ["a/c/c", "a/d/c"], "{listing}");
    let found = records(&qa.area("simplerun/megatest.db"));
    assert!(!found.is_empty());
    for (test, verdict) in &found {
        assert_eq!(verdict, "COMPLETED PASS", "{test}: {found:?}");
    }
}

#[test]
fn dep_tests_pass_for_both_targets() {
    let qa = Qa::new("deps");
    for target in ["simple/0", "std/0"] {
        qa.run(
            "dep-tests",
            &[
                "-run",
                "-testpatt",
                "%",
                "-target",
                target,
                "-runname",
                "r1",
            ],
        );
        qa.wait_for_end("dep-tests", target, "r1");
    }
    let found = records(&qa.area("dep-tests/megatest.db"));
    assert!(found.len() >= 20, "{found:?}");
    for (test, verdict) in &found {
        assert_eq!(verdict, "COMPLETED PASS", "{test}: {found:?}");
    }
}

#[test]
fn dynamic_waiton_example_passes_with_nbfake() {
    // Its waitons come from runconfigs through `#{getenv WAITON_#{getenv MT_TEST_NAME}}`.
    let qa = Qa::new("dynamic");
    qa.run(
        "dynamic-waiton-example",
        &[
            "-run",
            "-testpatt",
            "%",
            "-target",
            "std/0",
            "-runname",
            "r1",
        ],
    );
    qa.wait_for_end("dynamic-waiton-example", "std/0", "r1");
    let db = qa.area("dynamic-waiton-example/megatest.db");
    let found = records(&db);
    assert!(found.len() >= 10, "{found:?}");
    for (test, verdict) in &found {
        assert_eq!(verdict, "COMPLETED PASS", "{test}: {found:?}");
    }
    // Each test starts after the test its runconfigs `WAITON_` names has started (the chain
    // setup, genlib, test1, aggregate, test2): a waiter's first start is not before its
    // waiton's last.
    let db = Connection::open(db).unwrap();
    let starts = |test: &str| -> (i64, i64) {
        db.query_row(
            // The records that ran: an itemized test's toplevel only gathers its items.
            "SELECT min(event_time), max(event_time) FROM tests t WHERE testname=?1 AND NOT (item_path='' AND EXISTS (SELECT 1 FROM tests i WHERE i.testname=t.testname AND i.item_path != ''))",
            [test],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let chain = ["setup", "genlib", "test1", "aggregate", "test2"];
    for pair in chain.windows(2) {
        let (waiton, waiter) = (starts(pair[0]), starts(pair[1]));
        assert!(
            waiter.0 >= waiton.1,
            "{} started at {} before {} did at {}",
            pair[1],
            waiter.0,
            pair[0],
            waiton.1
        );
    }
}

#[test]
fn fdktestqa_runs_no_item_whose_prerequisite_item_failed() {
    // The README's NUMTESTS=20 makes items sleep 130 s; 3 keeps every item under 35 s and
    // still fails some at random (their step exits 1 for about a third of them).
    let qa = Qa::new("fdk");
    let out = qa
        .megatest(
            "fdktestqa/testqa",
            &[
                "-run",
                "-testpatt",
                "bigrun3",
                "-target",
                "a/bigrun3",
                "-runname",
                "r1",
            ],
        )
        .env("NUMTESTS", "3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    qa.wait_for_end("fdktestqa/testqa", "a/bigrun3", "r1");
    let found = records(&qa.area("fdktestqa/testqa/megatest.db"));
    for n in 0..=3 {
        let first = &found[&format!("r1: bigrun/{n}")];
        let second = &found[&format!("r1: bigrun2/{n}")];
        let third = &found[&format!("r1: bigrun3/blah/{n}")];
        let ran = |verdict: &str| verdict.starts_with("COMPLETED ");
        assert!(ran(first), "bigrun/{n}: {found:?}");
        assert_eq!(
            ran(second),
            first == "COMPLETED PASS",
            "bigrun2/{n} runs only after bigrun/{n} passed: {found:?}"
        );
        assert_eq!(
            ran(third),
            second == "COMPLETED PASS",
            "bigrun3/blah/{n} runs only after bigrun2/{n} passed: {found:?}"
        );
    }
}

#[test]
fn speedtest_items_pass() {
    // Two of the item rows (22 items of 242), each calling `megatest -step` 34 times.
    let qa = Qa::new("speed");
    qa.run(
        "speedtest",
        &[
            "-run",
            "-testpatt",
            "speedtest/0/0/%,speedtest/1/0/%",
            "-target",
            "ubuntu/nfs/none",
            "-runname",
            "r1",
        ],
    );
    qa.wait_for_end("speedtest", "ubuntu/nfs/none", "r1");
    let found = records(&qa.area("speedtest/megatest.db"));
    let items: Vec<_> = found.iter().filter(|(k, _)| k.contains('/')).collect();
    assert_eq!(items.len(), 22, "{found:?}");
    for (test, verdict) in items {
        assert_eq!(verdict, "COMPLETED PASS", "{test}: {found:?}");
    }
}

#[test]
fn fullrun_satisfies_upstreams_own_rules() {
    // Makefile test4, then upstream's all_toplevel/calcresults.logpro over `-list-runs`: each
    // test's state and status as its name says, with the item counts.
    let qa = Qa::new("full");
    let log = qa.dir.path().join("fullrun/logs/r1.log");
    let log = log.display().to_string();
    qa.run(
        "fullrun",
        &[
            "-run",
            "-testpatt",
            "%",
            "-reqtarg",
            "ubuntu/nfs/none",
            "-runname",
            "r1",
            "-m",
            "comment",
            "-v",
            "-log",
            &log,
        ],
    );
    qa.wait_for_end("fullrun", "ubuntu/nfs/none", "r1");
    let listing = qa.run("fullrun", &["-list-runs", "r1"]);
    let rules = qa.area("fullrun/tests/all_toplevel/calcresults.logpro");
    let mut logpro = Command::new(env!("CARGO_BIN_EXE_logpro"))
        .arg(&rules)
        .arg(qa.dir.path().join("calcresults.html"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    logpro
        .stdin
        .take()
        .unwrap()
        .write_all(listing.as_bytes())
        .unwrap();
    let judged = logpro.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&judged.stdout);
    let failed: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("Expect:") && l.contains(" FAIL,"))
        .collect();
    assert!(
        failed.is_empty(),
        "upstream's rules failed:\n{}\n\nthe listing:\n{listing}",
        failed.join("\n")
    );
    assert!(report.contains("Expect:"), "{report}");
}
