//! One runner per run: two `-run` of the same run execute every item once, and
//! `-remove-runs` leaves a run alone while a runner holds it.

use crate::harness::{Area, one_key_area};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn area(items: usize, step: &str) -> Area {
    let values: Vec<String> = (1..=items).map(|i| i.to_string()).collect();
    one_key_area(4).file(
        "tests/t/testconfig",
        &format!(
            "[items]\nV {}\n\n[ezsteps]\ns1 echo $V >> $MT_RUN_AREA_HOME/exec.log; {step}\n",
            values.join(" ")
        ),
    )
}

fn executions(area: &Area) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in std::fs::read_to_string(area.path().join("exec.log"))
        .unwrap_or_default()
        .lines()
    {
        *counts.entry(line.trim().to_string()).or_insert(0) += 1;
    }
    counts
}

const RUN: &[&str] = &["-run", "-target", "p", "-runname", "r1", "-run-wait"];

#[test]
fn two_runners_of_one_run_execute_each_item_once() {
    let a = area(40, "sleep 0.05");
    let first = a.megatest(RUN).spawn_with_output();
    let second = a.megatest(RUN).spawn_with_output();
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(first.status.success() && second.status.success());
    let counts = executions(&a);
    assert_eq!(counts.len(), 40, "{counts:?}");
    assert!(
        counts.values().all(|&n| n == 1),
        "an item ran twice: {counts:?}"
    );
    let waited = [&first, &second]
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("waiting for it to finish"))
        .count();
    assert_eq!(waited, 1, "one runner waited for the other");
    let db = Connection::open(a.path().join("megatest.db")).unwrap();
    let passed: i64 = db
        .query_row(
            "SELECT count(*) FROM tests WHERE state='COMPLETED' AND status='PASS'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(passed, 41);
    let owners: i64 = db
        .query_row("SELECT count(*) FROM run_owners", [], |r| r.get(0))
        .unwrap();
    assert_eq!(owners, 0, "both runners let go of the run");
}

#[test]
fn a_run_being_run_is_not_removed() {
    let a = area(4, "while [ ! -e $MT_RUN_AREA_HOME/go ]; do sleep 0.1; done");
    let runner = a.megatest(RUN).spawn_with_output();
    let started = Instant::now();
    while executions(&a).len() < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the items did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let remove = [
        "-remove-runs",
        "-target",
        "p",
        "-runname",
        "r1",
        "-testpatt",
        "%",
    ];
    let out = a.megatest(&remove).run();
    let stderr = out.failure(1);
    assert!(
        stderr.contains("run p/r1 is being run by megatest pid")
            && stderr.contains("nothing of it removed"),
        "{stderr}"
    );
    assert!(a.path().join("lt/p/r1/t/1").is_dir());
    std::fs::write(a.path().join("go"), "").unwrap();
    assert!(runner.wait_with_output().unwrap().status.success());
    let out = a.megatest(&remove).run();
    assert!(out.success().contains("removed p/r1/t/1"));
    assert!(!a.path().join("lt/p/r1/t").exists());
}

#[test]
fn max_concurrent_jobs_holds_across_runners_of_one_area() {
    let a = area(
        24,
        "mkdir -p $MT_RUN_AREA_HOME/active; touch $MT_RUN_AREA_HOME/active/$$; ls $MT_RUN_AREA_HOME/active | wc -l >> $MT_RUN_AREA_HOME/peaks; sleep 0.2; rm $MT_RUN_AREA_HOME/active/$$",
    );
    let runners: Vec<_> = ["r1", "r2"]
        .iter()
        .map(|run| {
            a.megatest(&["-run", "-target", "p", "-runname", run, "-run-wait"])
                .spawn_with_output()
        })
        .collect();
    for runner in runners {
        let out = runner.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let peaks: Vec<usize> = std::fs::read_to_string(a.path().join("peaks"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(peaks.len(), 48, "every item of both runs ran once");
    let peak = peaks.iter().max().copied().unwrap_or(0);
    assert!(
        peak <= 4,
        "{peak} steps ran at once with max_concurrent_jobs 4"
    );
}
