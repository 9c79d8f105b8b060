//! Benchmark of the run engine, in two parts.
//!
//! 1. Harness overhead: 1,000 trivial tests (items with one `exit 0` ezstep each), 2 at a
//!    time, through `megatest -run -run-wait`, side by side with the spawn floor
//!    `xargs -P2 -n1 sh -c 'exit 0'` in the same run; wall and CPU milliseconds per test.
//!    A row with `bash` in place of `sh` shows what the step shell alone adds (a plain step
//!    such as `exit 0` runs under `/bin/sh`, often the lighter dash; any other under
//!    `/bin/bash`, as in Megatest: see docs/compatibility.md). Two more rows run
//!    the same area with `[setup] fork-launch no` (every executor spawned as a new
//!    `megatest -execute` process instead of forked by the helper) and with
//!    `[setup] record-via-runner no` (every executor opening the database itself); a last
//!    one puts the area in `/dev/shm`, which shows what the disk adds (a test creates about
//!    ten files and two directories, as Megatest's run directories hold). Two Kyua rows
//!    (Debian's `kyua`, installed by this bench when missing) run the same number of `sh`
//!    scripts that `exit 0` through Kyua's plain interface with parallelism 2, on disk and
//!    in `/dev/shm`: the yardstick of the lightest peer. Each row runs `--rounds` times
//!    (default 3), interleaved, and its median is reported.
//! 2. Planning: a test of 10,000 items and a second one waiting on it item by item
//!    (itemwait); the time from starting `-run` to the first launch (a launcher that only
//!    writes a timestamp), and until both tests' items are registered.
//!
//! Every row runs without the `LD_LIBRARY_PATH` that cargo sets (see [`measure`]).
//!
//! Run: `cargo bench --bench run_engine` (`-- --tests N` changes the 1,000, `-- --rounds N`
//! the 3). The areas live under `$TMPDIR` (default `/tmp`). The cost of a created file
//! varies a lot between machines and moments: on ext4 without a journal (as on the project's
//! VMs), creating a file scans past the inodes freed in the last 60 to 300 seconds, so a run
//! soon after a mass removal (such as the previous bench's areas) pays several times as much
//! per file (seen: 10,000 files took 0.38 s, and 2.7 s right after 30,000 were removed); wait
//! five minutes between runs, or compare with the `/dev/shm` row.

use megatest::sys::children_cpu_time;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PLAN_ITEMS: usize = 10_000;

/// Wall and CPU time of a command, CPU counted over the process tree it waited for.
/// `cargo bench` points `LD_LIBRARY_PATH` at the build directories, which would make every
/// program the rows exec (sh, bash, xargs) search them for its libraries first; no user
/// runs with that, so it is removed for every row alike.
fn measure(cmd: &mut Command) -> (Duration, Duration) {
    cmd.env_remove("LD_LIBRARY_PATH");
    let cpu_before = children_cpu_time();
    let start = Instant::now();
    let status = cmd.status().expect("the command starts");
    let wall = start.elapsed();
    assert!(status.success(), "{cmd:?} failed: {status}");
    (wall, children_cpu_time() - cpu_before)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn area_config(dir: &Path, extra: &str) {
    write(
        &dir.join("megatest.config"),
        &format!(
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\nlinktree {}/links\nreruns 0\n{extra}",
            dir.display()
        ),
    );
    write(&dir.join("runconfigs.config"), "[default]\nX 1\n");
}

fn ms_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / n as f64
}

/// Runs `tests` trivial items through megatest in a fresh area, which is handed back so that
/// its removal waits until every row is measured (on some file systems creating files right
/// after a mass removal is much slower).
fn megatest_run(
    tests: usize,
    row: &MegatestRow,
    areas: &mut Vec<tempfile::TempDir>,
) -> (Duration, Duration) {
    let dir = match row.on_tmpfs {
        true => tempfile::tempdir_in(TMPFS).unwrap(),
        false => tempfile::tempdir().unwrap(),
    };
    let setup_extra = row.setup_extra;
    area_config(dir.path(), setup_extra);
    let values: Vec<String> = (1..=tests).map(|i| i.to_string()).collect();
    write(
        &dir.path().join("tests/trivial/testconfig"),
        &format!("[items]\nN {}\n\n[ezsteps]\nok exit 0\n", values.join(" ")),
    );
    let measured = measure(
        Command::new(env!("CARGO_BIN_EXE_megatest"))
            .args(["-run", "-target", "bench", "-runname", "r1", "-run-wait"])
            .current_dir(dir.path())
            .env_remove("MT_RUN_AREA_HOME")
            .stdout(Stdio::null()),
    );
    let db = rusqlite::Connection::open(dir.path().join("megatest.db")).unwrap();
    let passed: i64 = db
        .query_row("SELECT count(*) FROM tests WHERE item_path != '' AND state='COMPLETED' AND status='PASS'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(passed as usize, tests, "every test passed");
    drop(db);
    areas.push(dir);
    measured
}

/// Runs `tests` trivial programs (`sh` scripts that `exit 0`) through Kyua's `plain`
/// interface, 2 at a time, in a fresh directory: the same work done by the lightest peer.
fn kyua_run(
    tests: usize,
    on_tmpfs: bool,
    areas: &mut Vec<tempfile::TempDir>,
) -> (Duration, Duration) {
    let dir = match on_tmpfs {
        true => tempfile::tempdir_in(TMPFS).unwrap(),
        false => tempfile::tempdir().unwrap(),
    };
    let mut kyuafile = String::from("syntax(2)\ntest_suite('bench')\n");
    for i in 1..=tests {
        let program = dir.path().join(format!("t{i}"));
        write(&program, "#!/bin/sh\nexit 0\n");
        std::fs::set_permissions(
            &program,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        kyuafile.push_str(&format!("plain_test_program{{name='t{i}'}}\n"));
    }
    write(&dir.path().join("Kyuafile"), &kyuafile);
    let measured = measure(
        Command::new("kyua")
            .arg("--variable=parallelism=2")
            .arg("test")
            .arg("--kyuafile=Kyuafile")
            .arg(format!(
                "--results-file={}",
                dir.path().join("results.db").display()
            ))
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .stdout(Stdio::null()),
    );
    areas.push(dir);
    measured
}

/// Whether Kyua is there, installed now (Debian's package) when it is not and this process
/// may install packages.
fn kyua_available() -> bool {
    let present = || {
        Command::new("sh")
            .args(["-c", "command -v kyua"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if present() {
        return true;
    }
    eprintln!("run_engine: installing kyua (apt-get install kyua) for its row");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let sudo = if root { "" } else { "sudo " };
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -qq kyua >/dev/null 2>&1 || {{ {sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -qq kyua; }} >/dev/null 2>&1"
        ))
        .status();
    present()
}

/// The median of some durations.
fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// How a megatest row runs: what it adds to `[setup]`, and where its area lives.
struct MegatestRow {
    setup_extra: &'static str,
    on_tmpfs: bool,
}

/// What a row runs.
enum Row {
    /// The shell line after `seq N |`.
    Shell,
    /// megatest on an area.
    Megatest(MegatestRow),
    /// Kyua on the same number of scripts; on /dev/shm or not.
    Kyua(bool),
}

/// A memory file system, for the row that leaves the disk out.
const TMPFS: &str = "/dev/shm";

const fn megatest(setup_extra: &'static str, on_tmpfs: bool) -> Row {
    Row::Megatest(MegatestRow {
        setup_extra,
        on_tmpfs,
    })
}

fn overhead(tests: usize, rounds: usize) {
    let mut rows: Vec<(&str, Row)> = vec![
        ("xargs -P2 -n1 sh -c 'exit 0'", Row::Shell),
        ("xargs -P2 -n1 bash -c 'exit 0'", Row::Shell),
        ("megatest -run -run-wait", megatest("", false)),
        (
            "  same, [setup] fork-launch no",
            megatest("fork-launch no\n", false),
        ),
        (
            "  same, [setup] record-via-runner no",
            megatest("record-via-runner no\n", false),
        ),
    ];
    let tmpfs = Path::new(TMPFS).is_dir();
    if tmpfs {
        rows.push(("  same, area in /dev/shm (no disk)", megatest("", true)));
    }
    if kyua_available() {
        rows.push(("kyua test (plain, parallelism 2)", Row::Kyua(false)));
        if tmpfs {
            rows.push(("  same, in /dev/shm (no disk)", Row::Kyua(true)));
        }
    } else {
        eprintln!("run_engine: no kyua, and it could not be installed: its rows are left out");
    }
    // Rounds interleave the rows, so that a slow spell of the machine hits all of them.
    let mut samples: Vec<(Vec<Duration>, Vec<Duration>)> = vec![(vec![], vec![]); rows.len()];
    let mut areas = Vec::new();
    for _ in 0..rounds {
        for ((name, row), (walls, cpus)) in rows.iter().zip(samples.iter_mut()) {
            let (wall, cpu) = match row {
                Row::Shell => measure(
                    Command::new("sh")
                        .arg("-c")
                        .arg(format!("seq {tests} | {name}"))
                        .stdout(Stdio::null()),
                ),
                Row::Megatest(row) => megatest_run(tests, row, &mut areas),
                Row::Kyua(on_tmpfs) => kyua_run(tests, *on_tmpfs, &mut areas),
            };
            walls.push(wall);
            cpus.push(cpu);
        }
    }
    let medians: Vec<(Duration, Duration)> = samples
        .into_iter()
        .map(|(walls, cpus)| (median(walls), median(cpus)))
        .collect();
    println!(
        "run_engine: {tests} trivial tests (one `exit 0` ezstep each), 2 at a time, areas in {}; median of {rounds} rounds",
        std::env::temp_dir().display()
    );
    println!(
        "  {:<38} {:>9} {:>10} {:>10} {:>10}",
        "", "wall s", "wall ms/t", "cpu s", "cpu ms/t"
    );
    for ((name, _), (wall, cpu)) in rows.iter().zip(&medians) {
        println!(
            "  {name:<38} {:>9.2} {:>10.2} {:>10.2} {:>10.2}",
            wall.as_secs_f64(),
            ms_per(*wall, tests),
            cpu.as_secs_f64(),
            ms_per(*cpu, tests)
        );
    }
    let ((floor_wall, floor_cpu), (mt_wall, mt_cpu)) = (medians[0], medians[2]);
    println!(
        "  above the floor: wall {:.2} ms/test, cpu {:.2} ms/test (target: under 2 ms/test)",
        ms_per(mt_wall.saturating_sub(floor_wall), tests),
        ms_per(mt_cpu.saturating_sub(floor_cpu), tests)
    );
    // Each of megatest's and Kyua's rows above the floor, disk and /dev/shm.
    let above = |name: &str| {
        rows.iter().position(|(n, _)| *n == name).map(|i| {
            let (wall, cpu) = medians[i];
            (
                ms_per(wall.saturating_sub(floor_wall), tests),
                ms_per(cpu.saturating_sub(floor_cpu), tests),
            )
        })
    };
    let pairs = [
        (
            "megatest",
            "megatest -run -run-wait",
            "kyua test (plain, parallelism 2)",
        ),
        (
            "megatest in /dev/shm",
            "  same, area in /dev/shm (no disk)",
            "  same, in /dev/shm (no disk)",
        ),
    ];
    for (label, ours, theirs) in pairs {
        if let (Some((mw, mc)), Some((kw, kc))) = (above(ours), above(theirs)) {
            println!(
                "  {label} vs kyua, ms/test above the floor: wall {mw:.2} vs {kw:.2}, cpu {mc:.2} vs {kc:.2}"
            );
        }
    }
    let (bash_wall, bash_cpu) = medians[1];
    println!(
        "  a step that is not plain runs under bash, which adds: wall {:.2} ms/test, cpu {:.2} ms/test",
        ms_per(bash_wall.saturating_sub(floor_wall), tests),
        ms_per(bash_cpu.saturating_sub(floor_cpu), tests)
    );
}

/// A runner that must not outlive the measure, even when an assertion fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn planning() {
    let dir = tempfile::tempdir().unwrap();
    let stamp = dir.path().join("first-launch");
    let launcher = dir.path().join("stamp.sh");
    write(
        &launcher,
        &format!(
            // Launches come two at a time: each writes its own file and the first one in
            // place stays (the stamp is never seen half written).
            "#!/bin/sh\n[ -e {0} ] || {{ date +%s%N > {0}.$$ && mv -n {0}.$$ {0}; rm -f {0}.$$; }}\n",
            stamp.display()
        ),
    );
    std::fs::set_permissions(
        &launcher,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    area_config(
        dir.path(),
        &format!("\n[jobtools]\nlauncher {}\n", launcher.display()),
    );
    let values: Vec<String> = (1..=PLAN_ITEMS).map(|i| i.to_string()).collect();
    let items = format!("[items]\nN {}\n", values.join(" "));
    write(
        &dir.path().join("tests/a/testconfig"),
        &format!("{items}\n[ezsteps]\nok exit 0\n"),
    );
    write(
        &dir.path().join("tests/b/testconfig"),
        &format!("[requirements]\nwaiton a\nmode itemwait\n\n{items}\n[ezsteps]\nok exit 0\n"),
    );
    let start_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let start = Instant::now();
    let runner = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_megatest"))
            .args(["-run", "-target", "bench", "-runname", "plan"])
            .current_dir(dir.path())
            .env_remove("MT_RUN_AREA_HOME")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    while !stamp.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no launch within 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let stamped: u128 = std::fs::read_to_string(&stamp)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let first_launch = Duration::from_nanos((stamped - start_ns) as u64);
    let db = rusqlite::Connection::open(dir.path().join("megatest.db")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let expanded = loop {
        let n: i64 = db
            .query_row("SELECT count(*) FROM tests", [], |r| r.get(0))
            .unwrap_or(0);
        if n as usize >= 2 * PLAN_ITEMS + 2 {
            break start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "items not registered within 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    drop(runner);
    println!(
        "run_engine: planning {PLAN_ITEMS} items, and {PLAN_ITEMS} more waiting on them item by item"
    );
    println!(
        "  first launch after {:.0} ms (target: under 1000 ms); both tests' {} records registered after {:.0} ms",
        first_launch.as_secs_f64() * 1000.0,
        2 * PLAN_ITEMS + 2,
        expanded.as_secs_f64() * 1000.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tests = args
        .iter()
        .position(|a| a == "--tests")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    overhead(tests, rounds.max(1));
    planning();
}
