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

/// Every process: its pid, its parent's pid and its command line.
fn processes() -> Vec<(u32, Option<u32>, Vec<u8>)> {
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
        found.push((pid, parent, cmdline));
    }
    found
}

/// The pids of `megatest -fork-helper` processes whose parent is `runner`.
fn helpers_of(runner: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|(_, parent, cmdline)| {
            cmdline.ends_with(b"\0-fork-helper\0") && *parent == Some(runner)
        })
        .map(|(pid, _, _)| pid)
        .collect()
}

/// The pids of the processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|(_, p, _)| *p == Some(parent))
        .map(|(pid, _, _)| pid)
        .collect()
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

/// A test of six items that records its executor's pid and its `PATH`, and fails when the
/// other test's item variable reaches it, or the test name or item path is not its own.
fn item_test(mine: &str, other: &str) -> String {
    let (var, other_var) = (mine.to_uppercase(), other.to_uppercase());
    format!(
        "[items]\n{var} 1 2 3 4 5 6\n\n[ezsteps]\nlook echo $PPID > \"$MT_RUN_AREA_HOME/pid.{mine}.${var}\" && echo \"$PATH\" > \"$MT_RUN_AREA_HOME/path.{mine}.${var}\" && [ -z \"${{{other_var}:-}}\" ] && [ \"$MT_TEST_NAME\" = {mine} ] && [ \"$MT_ITEMPATH\" = \"${var}\" ]\n"
    )
}

#[test]
fn executors_take_further_tests_without_their_predecessors_environment() {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\nlinktree #{getenv MT_RUN_AREA_HOME}/links\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/a/testconfig", &item_test("a", "b"))
        .file("tests/b/testconfig", &item_test("b", "a"));
    area.megatest(&["-run", "-target", "x", "-runname", "r", "-run-wait"])
        .run()
        .success();
    let got = statuses(&area);
    assert_eq!(got.len(), 14, "{got:?}");
    assert!(
        got.iter()
            .all(|(_, state, status)| state == "COMPLETED" && status == "PASS"),
        "{got:?}"
    );
    let mut pids = std::collections::BTreeSet::new();
    let first_path = read(&area, "path.a.1");
    for test in ["a", "b"] {
        for n in 1..=6 {
            let pid = read(&area, &format!("pid.{test}.{n}"));
            assert!(!pid.trim().is_empty(), "{test}/{n} recorded no pid");
            pids.insert(pid.trim().to_string());
            // PATH gets megatest's directory appended per test, not once per executor.
            let path = read(&area, &format!("path.{test}.{n}"));
            assert_eq!(path, first_path, "{test}/{n}");
        }
    }
    assert!(
        pids.len() < 12,
        "12 tests ran in 12 executors: none was reused"
    );
}

/// The fork helper driven through its own protocol: a job's executor waits for the next
/// job and runs it without the first one's exports; one that created a Scheme engine
/// leaves; closing the helper's input ends it and the waiting executor.
#[test]
fn a_waiting_executor_runs_the_next_job_from_a_clean_slate() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_megatest"));
    command
        .arg("-fork-helper")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (name, _) in std::env::vars() {
        if name.starts_with("MT_") {
            command.env_remove(name);
        }
    }
    let mut helper = command.spawn().unwrap();
    let mut requests = helper.stdin.take().unwrap();
    let mut answers = BufReader::new(helper.stdout.take().unwrap());
    let mut answer = || {
        let mut line = String::new();
        answers.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    };
    assert_eq!(answer(), "R");
    let mut job = |token: u64, words: &[&str], env: &[(&str, &str)]| {
        let request = serde_json::json!({
            "token": token,
            "dir": dir.path(),
            "log": path("mt_launch.log"),
            "words": words,
            "env": env.iter().map(|(k, v)| (k, Some(v))).collect::<Vec<_>>(),
        });
        writeln!(requests, "{request}").unwrap();
    };
    job(1, &["-env2file", &path("one")], &[("LEAKED", "yes")]);
    assert_eq!(answer(), "E 1 0");
    let waiting = children_of(helper.id());
    assert_eq!(waiting.len(), 1, "the executor waits for the next job");
    // It waits holding nothing of the last test: neither its directory nor its log.
    let held = |what: &str| std::fs::read_link(format!("/proc/{}/{what}", waiting[0])).unwrap();
    wait_for("the waiting executor lets go of the last test", || {
        held("cwd") == Path::new("/") && held("fd/1") == Path::new("/dev/null")
    });
    assert_eq!(held("fd/2"), Path::new("/dev/null"));
    job(2, &["-env2file", &path("two")], &[]);
    assert_eq!(answer(), "E 2 0");
    assert_eq!(
        children_of(helper.id()),
        waiting,
        "the same executor ran it"
    );
    let one = std::fs::read_to_string(path("one.sh")).unwrap();
    let two = std::fs::read_to_string(path("two.sh")).unwrap();
    assert!(one.contains("export LEAKED=yes"), "{one}");
    assert!(!two.contains("LEAKED"), "{two}");

    std::fs::write(path("script.scm"), "(display 1)\n").unwrap();
    job(3, &["-load", &path("script.scm")], &[]);
    assert_eq!(answer(), "E 3 0");
    wait_for("the executor that ran Scheme leaves", || {
        children_of(helper.id()).is_empty()
    });

    job(4, &["-env2file", &path("three")], &[]);
    assert_eq!(answer(), "E 4 0");
    let last = children_of(helper.id());
    assert_eq!(last.len(), 1, "a new executor waits");
    assert_ne!(last, waiting);
    drop(requests);
    assert!(helper.wait().unwrap().success());
    assert!(
        !Path::new(&format!("/proc/{}", last[0])).exists(),
        "the waiting executor ended with the helper"
    );
}
