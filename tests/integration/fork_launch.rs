//! Local launches through the fork helper: executors forked in their own session, the
//! runner carrying on (spawning) when the helper is killed, and `[setup] fork-launch no`.

use crate::harness::Area;
use rusqlite::Connection;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Six items, two at a time; each records its executor's command line and session, the
/// first two wait for `go` (at most a minute) so that the test can act while they run.
fn area(setup_extra: &str) -> Area {
    Area::new()
        .file(
            "megatest.config",
            &format!(
                "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\nlinktree #{{getenv MT_RUN_AREA_HOME}}/links\n{setup_extra}"
            ),
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file(
            "tests/t/testconfig",
            "[items]\nN 1 2 3 4 5 6\n\n[ezsteps]\nlook tr '\\0' ' ' < /proc/$PPID/cmdline > \"$MT_RUN_AREA_HOME/cmd.$N\" && awk '{print $1, $6}' /proc/$PPID/stat > \"$MT_RUN_AREA_HOME/sid.$N\" && if [ $N -le 2 ]; then i=0; while [ ! -e \"$MT_RUN_AREA_HOME/go\" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; fi\n",
        )
}

fn read(area: &Area, name: &str) -> String {
    std::fs::read_to_string(area.path().join(name)).unwrap_or_default()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pids of `megatest -fork-helper` processes whose parent is `runner`.
fn helpers_of(runner: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if cmdline.ends_with(b"\0-fork-helper\0") && parent == Some(runner) {
            found.push(pid);
        }
    }
    found
}

fn statuses(area: &Area) -> Vec<(String, String, String)> {
    let db = Connection::open(Path::new(area.path()).join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT item_path, state, status FROM tests ORDER BY item_path")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn all_passed(area: &Area) {
    let got = statuses(area);
    assert_eq!(got.len(), 7, "{got:?}");
    for (item, state, status) in &got {
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("COMPLETED", "PASS"),
            "item {item}"
        );
    }
}

/// `pid session` of item `n`'s executor: it leads its own session.
fn assert_own_session(area: &Area, n: u32) {
    let sid = read(area, &format!("sid.{n}"));
    let mut words = sid.split_whitespace();
    let (pid, session) = (words.next(), words.next());
    assert!(
        pid.is_some() && pid == session,
        "item {n}: pid and session {sid:?}"
    );
}

#[test]
fn executors_are_forked_and_a_killed_helper_leaves_the_run_whole() {
    let area = area("");
    let mut runner = area
        .megatest(&["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .spawn();
    wait_for("the first two items start", || {
        !read(&area, "sid.1").is_empty() && !read(&area, "sid.2").is_empty()
    });
    let helpers = helpers_of(runner.id());
    assert_eq!(helpers.len(), 1, "one fork helper under the runner");
    let killed = Command::new("kill")
        .args(["-9", &helpers[0].to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::fs::write(area.path().join("go"), "").unwrap();
    let status = runner.wait().unwrap();
    assert!(status.success(), "the runner ended with {status}");
    all_passed(&area);
    for n in 1..=6 {
        assert_own_session(&area, n);
        let cmd = read(&area, &format!("cmd.{n}"));
        // Items 1 and 2 were forked by the helper; once it is gone the runner spawns.
        let expected = if n <= 2 { "-fork-helper" } else { "-execute" };
        assert!(cmd.contains(expected), "item {n} ran under `{cmd}`");
    }
}

#[test]
fn fork_launch_no_spawns_every_executor() {
    let area = area("fork-launch no\n");
    std::fs::write(area.path().join("go"), "").unwrap();
    area.megatest(&["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .run()
        .success();
    all_passed(&area);
    for n in 1..=6 {
        assert_own_session(&area, n);
        let cmd = read(&area, &format!("cmd.{n}"));
        assert!(cmd.contains("-execute"), "item {n} ran under `{cmd}`");
    }
}
