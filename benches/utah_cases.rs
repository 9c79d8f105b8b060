//! Benchmark: a `tslist.auto` suite discovering 1,000 cases whose command is `true`, run by
//! `utah` (one case at a time, each recorded in megatest.db and the report), side by side
//! with a shell loop running the same 1,000 commands the same way (`/bin/sh -c true`), in
//! the same run, rounds interleaved. Reports the milliseconds per case above that floor
//! (target: under 1 ms). Run: `cargo bench --bench utah_cases`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CASES: usize = 1000;
const ROUNDS: usize = 5;

fn suite(dir: &Path) {
    std::fs::create_dir_all(dir.join("many")).unwrap();
    std::fs::write(
        dir.join("master.run"),
        "testsuites:\n  - name: many\n    fetch_method: dev\n    fetch_location: ./many\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("many/tslist.auto"),
        format!("- discovery_cmd: seq {CASES}\n  test_cmd: \"true\"\n"),
    )
    .unwrap();
}

fn utah(dir: &Path, round: usize) -> Duration {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_utah"))
        .args(["-r", "master.run", "-o", "report.yaml", "--runname"])
        .arg(format!("r{round}"))
        .current_dir(dir)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn shell_loop(dir: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new("/bin/sh")
        .args([
            "-c",
            &format!("for i in $(seq {CASES}); do /bin/sh -c true; done"),
        ])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    started.elapsed()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        floor.push(shell_loop(dir.path()));
        ours.push(utah(dir.path(), round));
    }
    let per_case = |d: &Duration| d.as_secs_f64() * 1000.0 / CASES as f64;
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (floor_median, ours_median) = (median(&mut floor), median(&mut ours));
    let worst_above = ours
        .iter()
        .zip(&floor)
        .map(|(o, f)| per_case(o) - per_case(f))
        .fold(f64::MIN, f64::max);
    println!("utah_cases: {CASES} tslist.auto cases running `true`, {ROUNDS} interleaved rounds");
    println!(
        "  shell loop   median {:8.1} ms  {:.3} ms/case",
        floor_median.as_secs_f64() * 1000.0,
        per_case(&floor_median)
    );
    println!(
        "  utah         median {:8.1} ms  {:.3} ms/case",
        ours_median.as_secs_f64() * 1000.0,
        per_case(&ours_median)
    );
    println!(
        "  above the floor: median {:.3} ms/case, worst round {:.3} ms/case (target: under 1 ms)",
        per_case(&ours_median) - per_case(&floor_median),
        worst_above
    );
}
