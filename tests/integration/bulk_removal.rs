//! `-remove-runs` of a run larger than one removal batch: every directory and record goes,
//! each item's REMOVING trigger fires, items go before their toplevel, and on a terminal a
//! progress bar is drawn on stderr and cleared at the end.

use crate::harness::Area;
use crate::pty::Pty;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);

/// An area removing 4 directories at a time, with test `t` of this testconfig.
fn area_with_t(testconfig: &str) -> Area {
    Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/t/testconfig", testconfig)
}

/// 30 × 20 items: more than two batches of 256.
fn large_area() -> Area {
    let list = |n: usize| {
        (0..n)
            .map(|v| format!("{v:02}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let area = area_with_t(&format!(
        "[items]\nA {}\nB {}\n\n[ezsteps]\nmake echo hi > out.txt\n\n[triggers]\nREMOVING/ sh \"$MT_RUN_AREA_HOME/log.sh\"\n",
        list(30),
        list(20)
    ))
    .file(
            "log.sh",
            "echo \"$MT_TEST_NAME/$MT_ITEMPATH $3\" >> \"$MT_RUN_AREA_HOME/triggers.log\"\n",
        )
        .file("tests/other/testconfig", "[ezsteps]\nmake true\n");
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run()
        .success();
    area
}

/// `-remove-runs` of the tests `pattern` selects in linux/r1.
fn removal(pattern: &str) -> [&str; 7] {
    [
        "-remove-runs",
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        pattern,
    ]
}

/// How many records are not DELETED.
fn undeleted(area: &Area) -> i64 {
    Connection::open(area.path().join("megatest.db"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM tests WHERE state != 'DELETED'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// The test directories left under the area's run directories.
fn item_dirs(area: &Area) -> usize {
    let top = area.path().join("lt/linux/r1/t");
    std::fs::read_dir(&top).map_or(0, |a| {
        a.flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| std::fs::read_dir(e.path()).map_or(0, |b| b.count()))
            .sum()
    })
}

#[test]
fn a_run_larger_than_a_batch_goes_with_every_record_and_trigger() {
    let area = large_area();
    assert_eq!(item_dirs(&area), 600);
    let out = area.megatest(&removal("%")).run();
    let lines: Vec<&str> = out.success().lines().collect();
    assert_eq!(lines.len(), 602, "a line per removed test");
    let toplevel = lines
        .iter()
        .position(|l| *l == "removed linux/r1/t")
        .expect("the toplevel is removed");
    assert_eq!(
        lines[..toplevel]
            .iter()
            .filter(|l| l.starts_with("removed linux/r1/t/"))
            .count(),
        600,
        "every item before its toplevel"
    );
    assert_eq!(item_dirs(&area), 0);
    assert!(!area.path().join("lt/linux/r1/t").exists());

    assert_eq!(undeleted(&area), 0);
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let run_state: String = db
        .query_row("SELECT state FROM runs WHERE runname='r1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(run_state, "deleted");

    // Triggers run in the background, as in 1.65.
    let fired = |log: &str| -> BTreeSet<String> {
        log.lines()
            .filter(|l| l.contains(" REMOVING"))
            .filter_map(|l| l.split(' ').next().map(str::to_string))
            .collect()
    };
    let started = Instant::now();
    let mut log = String::new();
    while started.elapsed() < WAIT {
        log = std::fs::read_to_string(area.path().join("triggers.log")).unwrap_or_default();
        if fired(&log).len() >= 600 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let fired = fired(&log);
    for a in 0..30 {
        for b in 0..20 {
            let item = format!("t/{a:02}/{b:02}");
            assert!(fired.contains(&item), "REMOVING trigger of {item}");
        }
    }
}

#[test]
fn on_a_terminal_removal_draws_a_progress_bar_and_clears_it() {
    let area = large_area();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_megatest"));
    cmd.args(removal("t/%"))
        .current_dir(area.path())
        .env("TERM", "xterm");
    for (name, _) in std::env::vars() {
        if name.starts_with("MT_") {
            cmd.env_remove(name);
        }
    }
    let mut pty = Pty::spawn(&mut cmd);
    pty.expect("601/601 removed in r1", WAIT);
    assert_eq!(pty.wait(WAIT), 0);
    // What the child printed last may still be on its way through the terminal.
    let started = Instant::now();
    while !pty.raw_output().ends_with("\r\x1b[K") && started.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    let raw = pty.raw_output();
    assert!(
        raw.ends_with("\r\x1b[K"),
        "the bar is cleared at the end: {:?}",
        &raw[raw.len().saturating_sub(200)..]
    );
    assert!(raw.contains("\r\x1b[K[###"), "the bar is drawn in place");
    // Each line is printed after the bar is cleared; without the escapes they run together.
    assert_eq!(pty.all_output().matches("removed linux/r1/t").count(), 601);
    assert_eq!(item_dirs(&area), 0);
}

/// An item whose directory holds another item's (values `x` and `x/y`) is removed after it,
/// not beside it: both go, with no refusal.
#[test]
fn items_inside_other_items_directories_are_removed_cleanly() {
    let area = area_with_t("[items]\nA x x/y x/y/z w\n\n[ezsteps]\nmake echo hi > out.txt\n");
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run()
        .success();
    assert!(area.path().join("lt/linux/r1/t/x/y/z/out.txt").exists());
    let out = area.megatest(&removal("%")).run();
    let text = out.success();
    for item in ["x", "x/y", "x/y/z", "w"] {
        assert!(
            text.contains(&format!("removed linux/r1/t/{item}\n")),
            "{item}: {text}"
        );
    }
    assert!(!area.path().join("lt/linux/r1/t").exists());
    assert_eq!(undeleted(&area), 0);
}
