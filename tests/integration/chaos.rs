//! Chaos: a 200-item run whose runner is killed with SIGKILL at random moments five times and
//! started again, with one operator change at a random moment. Every item must end in a
//! final state, none may run twice, and the database must pass `PRAGMA integrity_check`.
//! The seed is printed; `MEGATEST_CHAOS_SEED` replays one.

use crate::harness::{Area, one_key_area, seed};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const ITEMS: usize = 200;

/// A small generator, enough to pick moments (xorshift64*).
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn area() -> Area {
    let values: Vec<String> = (1..=ITEMS).map(|i| i.to_string()).collect();
    one_key_area(4).file(
        "tests/t/testconfig",
        &format!(
            "[items]\nV {}\n\n[ezsteps]\ns1 echo $V >> $MT_RUN_AREA_HOME/exec.log; sleep 0.05\n",
            values.join(" ")
        ),
    )
}

/// Waits until the item's record is registered (the operator can only change what exists).
fn wait_for_record(area: &Area, item: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let found = Connection::open(area.path().join("megatest.db"))
            .ok()
            .and_then(|db| {
                db.query_row("SELECT 1 FROM tests WHERE item_path=?1", [item], |_| Ok(()))
                    .ok()
            });
        if found.is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("item {item} was never registered");
}

const RUN: &[&str] = &["-run", "-target", "p", "-runname", "r1", "-run-wait"];

#[test]
fn a_runner_killed_five_times_loses_and_repeats_nothing() {
    let seed = seed("MEGATEST_CHAOS_SEED");
    let mut random = Random(seed);
    let a = area();
    let operator_change_at = random.below(5);
    for round in 0..5 {
        let mut runner = a.megatest(RUN).spawn();
        let wait = Duration::from_millis(150 + random.below(900));
        let started = Instant::now();
        if round == operator_change_at {
            std::thread::sleep(wait / 2);
            wait_for_record(&a, &ITEMS.to_string());
            a.megatest(&[
                "-set-state-status",
                "COMPLETED,FAIL",
                "-target",
                "p",
                "-runname",
                "r1",
                "-testpatt",
                &format!("t/{ITEMS}"),
            ])
            .run()
            .success();
        }
        std::thread::sleep(wait.saturating_sub(started.elapsed()));
        let _ = runner.kill();
        let _ = runner.wait();
    }
    let last = a.megatest(RUN).run();
    last.success();

    let db = Connection::open(a.path().join("megatest.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut stmt = db
        .prepare("SELECT item_path, state, status FROM tests WHERE item_path != ''")
        .unwrap();
    let records: BTreeMap<String, (String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(records.len(), ITEMS, "seed {seed}");
    let mut executions: BTreeMap<String, usize> = BTreeMap::new();
    for line in std::fs::read_to_string(a.path().join("exec.log"))
        .unwrap_or_default()
        .lines()
    {
        *executions.entry(line.trim().to_string()).or_default() += 1;
    }
    for (item, (state, status)) in &records {
        let runs = executions.get(item).copied().unwrap_or(0);
        if item == &ITEMS.to_string() {
            // The operator's verdict stands; the item ran at most once (before it, if at all).
            assert_eq!(
                (state.as_str(), status.as_str()),
                ("COMPLETED", "FAIL"),
                "seed {seed}"
            );
            assert!(runs <= 1, "item {item} ran {runs} times; seed {seed}");
        } else {
            assert_eq!(
                (state.as_str(), status.as_str()),
                ("COMPLETED", "PASS"),
                "item {item}; seed {seed}"
            );
            assert_eq!(runs, 1, "item {item} ran {runs} times; seed {seed}");
        }
    }
}
