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
