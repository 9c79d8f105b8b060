//! The database is the truth while a run goes on: what an operator sets with
//! `-set-state-status` (a verdict, a kill request) is obeyed by the runner.

use crate::harness::{Area, one_key_area};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Twelve items, four at a time: 1-4 pass at once, 5-8 wait for the file `go`, 9-12 pass.
/// Every execution is appended to `exec.log`.
fn area() -> Area {
    one_key_area(4).file(
            "tests/t/testconfig",
            "
            [items]
            V 1 2 3 4 5 6 7 8 9 10 11 12

            [ezsteps]
            s1 echo $V >> $MT_RUN_AREA_HOME/exec.log; if [ $V -ge 5 ] && [ $V -le 8 ]; then while [ ! -e $MT_RUN_AREA_HOME/go ]; do sleep 0.1; done; fi
            ",
        )
}

fn records(area: &Area) -> BTreeMap<String, String> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    // The runner may not have made the tables yet.
    let Ok(mut stmt) =
        db.prepare("SELECT item_path, state||'/'||status FROM tests WHERE item_path != ''")
    else {
        return BTreeMap::new();
    };
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn state_of(records: &BTreeMap<String, String>, item: u32) -> &str {
    records.get(&item.to_string()).map_or("", String::as_str)
}

/// Waits until 1-4 passed and 5-8 run.
fn wait_for_the_middle(area: &Area) {
    let started = Instant::now();
    loop {
        if area.path().join("megatest.db").exists() {
            let r = records(area);
            let first = (1..=4).all(|i| state_of(&r, i) == "COMPLETED/PASS");
            let middle = (5..=8).all(|i| state_of(&r, i).starts_with("RUNNING"));
            if first && middle {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run did not get to items 5-8"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn executed(area: &Area) -> Vec<u32> {
    let mut items: Vec<u32> = std::fs::read_to_string(area.path().join("exec.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    items.sort();
    items
}

fn set(area: &Area, value: &str, testpatt: &str) -> crate::harness::Output {
    area.megatest(&[
        "-set-state-status",
        value,
        "-target",
        "p",
        "-runname",
        "r1",
        "-testpatt",
        testpatt,
    ])
    .run()
}

#[test]
fn a_kill_request_stops_running_and_waiting_items_and_leaves_finished_ones() {
    let a = area();
    let runner = a
        .megatest(&["-run", "-target", "p", "-runname", "r1", "-run-wait"])
        .spawn_with_output();
    wait_for_the_middle(&a);
    let out = set(&a, "KILLREQ,n/a", "t/%");
    assert!(
        out.success_stderr()
            .contains("NOTE: 4 finished tests left as they are"),
        "{}",
        out.stderr
    );
    let finished = runner.wait_with_output().unwrap();
    assert!(finished.status.success(), "{finished:?}");
    let r = records(&a);
    for i in 1..=4 {
        assert_eq!(state_of(&r, i), "COMPLETED/PASS", "item {i}: {r:?}");
    }
    for i in 5..=12 {
        assert_eq!(state_of(&r, i), "KILLED/KILLED", "item {i}: {r:?}");
    }
    assert_eq!(executed(&a), (1..=8).collect::<Vec<_>>(), "9-12 never ran");
}

#[test]
fn a_verdict_set_on_waiting_items_is_kept_and_they_never_run() {
    let a = area();
    let runner = a
        .megatest(&["-run", "-target", "p", "-runname", "r1", "-run-wait"])
        .spawn_with_output();
    wait_for_the_middle(&a);
    set(&a, "COMPLETED,FAIL", "t/1%").success();
    std::fs::write(a.path().join("go"), "").unwrap();
    let finished = runner.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&finished.stderr);
    assert!(
        stderr.contains("NOTE: Not starting test t/10: its record was set to state \"COMPLETED\" and status \"FAIL\" while it waited"),
        "{stderr}"
    );
    let r = records(&a);
    for i in [1, 10, 11, 12] {
        assert_eq!(state_of(&r, i), "COMPLETED/FAIL", "item {i}: {r:?}");
    }
    for i in 2..=9 {
        assert_eq!(state_of(&r, i), "COMPLETED/PASS", "item {i}: {r:?}");
    }
    assert_eq!(executed(&a), (1..=9).collect::<Vec<_>>());
}

#[test]
fn a_kill_request_on_a_test_still_waiting_on_its_prerequisite_ends_it_unrun() {
    let a = one_key_area(1)
        .file(
            "tests/first/testconfig",
            "[ezsteps]\ns1 while [ ! -e $MT_RUN_AREA_HOME/go ]; do sleep 0.1; done\n",
        )
        .file(
            "tests/second/testconfig",
            "[requirements]\nwaiton first\n\n[ezsteps]\ns1 touch $MT_RUN_AREA_HOME/second-ran\n",
        );
    let mut runner = a
        .megatest(&["-run", "-target", "p", "-runname", "r1", "-run-wait"])
        .spawn_with_output();
    let started = Instant::now();
    let state = |test: &str| -> String {
        Connection::open(a.path().join("megatest.db"))
            .ok()
            .and_then(|db| {
                db.query_row("SELECT state FROM tests WHERE testname=?1", [test], |r| {
                    r.get(0)
                })
                .ok()
            })
            .unwrap_or_default()
    };
    while state("first") != "RUNNING" {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "first never ran"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    set(&a, "KILLREQ,n/a", "second").success();
    std::fs::write(a.path().join("go"), "").unwrap();
    while runner.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = runner.kill();
            panic!("the runner did not end after the kill request");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let db = Connection::open(a.path().join("megatest.db")).unwrap();
    let second: String = db
        .query_row(
            "SELECT state||'/'||status FROM tests WHERE testname='second'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(second, "KILLED/KILLED");
    assert!(!a.path().join("second-ran").exists());
}
