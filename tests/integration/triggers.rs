//! Every writer fires the `[triggers]` of what it wrote (spec §11): the runner (a launch, of
//! an item and of its toplevel), the executor (its verdict), a test's `-test-status`, and the
//! Scheme API. A test that never ran has no run directory, so nothing fires for it.

use crate::harness::{Area, one_key_area};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const LOG_TRIGGER: &str = "\"$MT_RUN_AREA_HOME/log.sh\"";

fn area() -> Area {
    one_key_area(2)
        .file(
            "log.sh",
            "#!/bin/sh\necho \"$MT_TEST_NAME/$MT_ITEMPATH $3\" >> \"$MT_RUN_AREA_HOME/triggers.log\"\n",
        )
        .file(
            "tests/items/testconfig",
            &format!(
                "[items]\nV a b\n\n[ezsteps]\ns echo $V\n\n[triggers]\nLAUNCHED/ {LOG_TRIGGER}\nCOMPLETED/PASS {LOG_TRIGGER}\n"
            ),
        )
        .file("tests/fails/testconfig", "[ezsteps]\nbad exit 1\n")
        .file(
            "tests/after/testconfig",
            &format!(
                "[requirements]\nwaiton fails\n\n[ezsteps]\nnever echo never\n\n[triggers]\nNOT_STARTED/PREQ_FAIL {LOG_TRIGGER}\n"
            ),
        )
        .file(
            "tests/reports/testconfig",
            &format!(
                "[setup]\nrunscript report.sh\n\n[triggers]\n/WARN {LOG_TRIGGER}\n/CHECK {LOG_TRIGGER}\n"
            ),
        )
        .file(
            "tests/reports/report.sh",
            "#!/bin/sh\n$MT_MEGATEST -test-status :state COMPLETED :status WARN\n",
        )
        .file(
            "api.scm",
            "(rmt:set-state-status-and-roll-up-items 1 \"reports\" \"\" \"COMPLETED\" \"CHECK\" \"looked at\")\n",
        )
}

/// Makes the trigger logger executable and runs the area to its end.
fn run(area: &Area) {
    std::fs::set_permissions(
        area.path().join("log.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run()
        .success();
}

/// The trigger log's lines, once `expected` many are there (triggers run in the background).
fn logged(area: &Area, expected: usize) -> BTreeSet<String> {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(area.path().join("triggers.log")).unwrap_or_default();
        let lines: BTreeSet<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= expected || started.elapsed() > Duration::from_secs(20) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn runner_executor_test_status_and_api_writes_fire_triggers() {
    let area = area();
    run(&area);
    let expected = [
        // The runner: each item's launch, and the toplevel's (LAUNCHED with its first item).
        "items/a LAUNCHED/",
        "items/b LAUNCHED/",
        "items/ LAUNCHED/",
        // The executors' verdicts, and the toplevel rolled up from them.
        "items/a COMPLETED/PASS",
        "items/b COMPLETED/PASS",
        "items/ COMPLETED/PASS",
        // A test's own `-test-status`.
        "reports/ /WARN",
    ];
    let lines = logged(&area, expected.len());
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        lines, expected,
        "`after` never ran: its PREQ_FAIL fires nothing"
    );
    area.megatest(&["-load", "api.scm"]).run().success();
    let lines = logged(&area, expected.len() + 1);
    assert!(
        lines.contains("reports/ /CHECK"),
        "the API's write fired its trigger: {lines:?}"
    );
}

#[test]
fn an_api_write_in_the_executor_fires_the_triggers_it_registered() {
    // The test lives under [tests-paths], not <area>/tests: only the executor knows its
    // triggers. Its Scheme trigger on PASS sets WARN through the rmt API, whose write must
    // fire the test's WARN trigger too.
    let area = one_key_area(1)
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 1\n\n[tests-paths]\nelsewhere other\n",
        )
        .file(
            "log.sh",
            "#!/bin/sh\necho \"$MT_TEST_NAME/$MT_ITEMPATH $3\" >> \"$MT_RUN_AREA_HOME/triggers.log\"\n",
        )
        .file(
            "other/outside/testconfig",
            &format!(
                "[ezsteps]\nok echo ok\n\n[triggers]\nCOMPLETED/PASS (lambda (test-id rundir key) (rmt:test-set-state-status #f test-id \"COMPLETED\" \"WARN\" \"by the API\"))\n/WARN {LOG_TRIGGER}\n"
            ),
        );
    run(&area);
    let lines = logged(&area, 1);
    assert!(
        lines.contains("outside/ /WARN"),
        "the API's write fired the trigger the executor registered: {lines:?}"
    );
}
