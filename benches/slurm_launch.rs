//! Benchmark: 200 trivial tests through `[jobtools] launcher slurm` (`megatest -run
//! -run-wait`), side by side with the same 200 commands submitted by a plain
//! `sbatch --wrap` loop that then waits for them with `squeue` once a second (as the
//! runner asks Slurm), in the same run, rounds
//! interleaved, on the single-node Slurm that `scripts/setup.sh` starts. Reports wall time
//! and the CPU time of each side's own processes (the runner or the loop, with the Slurm
//! commands they ran; not the jobs, which Slurm runs), per test above the loop.
//! Target: under 5 ms of the runner's own time per test. Run:
//! `cargo bench --bench slurm_launch`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TESTS: usize = 200;
const ROUNDS: usize = 3;

/// CPU seconds (user + system) of this process's waited-for children so far.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which may hold spaces) start at the state.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 of the line: 14 and 15 after the name.
    let ticks: f64 = fields[13].parse::<f64>().unwrap() + fields[14].parse::<f64>().unwrap();
    ticks / clock_ticks()
}

fn clock_ticks() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn area(dir: &Path) {
    std::fs::write(
        dir.join("megatest.config"),
        "[fields]\nX TEXT\n[setup]\nmax_concurrent_jobs 1000\n[jobtools]\nlauncher slurm\n",
    )
    .unwrap();
    std::fs::write(dir.join("runconfigs.config"), "[default]\n").unwrap();
    for n in 0..TESTS {
        let test = dir.join(format!("tests/t{n:03}"));
        std::fs::create_dir_all(&test).unwrap();
        std::fs::write(test.join("testconfig"), "[ezsteps]\nnothing true\n").unwrap();
    }
}

/// (wall, CPU) of one `-run -run-wait` of the area.
fn megatest(dir: &Path, round: usize) -> (Duration, f64) {
    let cpu = children_cpu();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_megatest"))
        .args(["-run", "-target", "x", "-run-wait", "-runname"])
        .arg(format!("r{round}"))
        .current_dir(dir)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(dir.join("megatest.db")).unwrap();
    let passed: i64 = db
        .query_row(
            "SELECT count(*) FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname=?1 AND t.status='PASS'",
            [format!("r{round}")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(passed, TESTS as i64, "every test passed");
    (wall, children_cpu() - cpu)
}

/// (wall, CPU) of the loop: submit, then wait until squeue lists none of the jobs.
fn sbatch_loop(dir: &Path, round: usize) -> (Duration, f64) {
    let out_dir = dir.join(format!("loop{round}"));
    std::fs::create_dir_all(&out_dir).unwrap();
    let script = format!(
        "ids=''
         for i in $(seq {TESTS}); do
           id=$(sbatch --parsable -D {d} -o {d}/slurm-%j.out --wrap true) || exit 1
           ids=\"$ids${{ids:+,}}$id\"
         done
         while [ -n \"$(squeue -h -o %i -j \"$ids\" 2>/dev/null)\" ]; do sleep 1; done",
        d = out_dir.display()
    );
    let cpu = children_cpu();
    let started = Instant::now();
    let status = Command::new("/bin/sh")
        .args(["-c", &script])
        .status()
        .unwrap();
    let wall = started.elapsed();
    assert!(status.success());
    (wall, children_cpu() - cpu)
}

fn main() {
    let up = Command::new("scontrol")
        .arg("ping")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("is UP"));
    assert!(up, "Slurm is not running: scripts/setup.sh starts it");
    let dir = tempfile::tempdir().unwrap();
    area(dir.path());
    let mut rows = Vec::new();
    for round in 0..ROUNDS {
        let floor = sbatch_loop(dir.path(), round);
        let ours = megatest(dir.path(), round);
        println!(
            "round {round}: sbatch loop {:6.2} s wall {:6.3} s CPU | megatest {:6.2} s wall {:6.3} s CPU",
            floor.0.as_secs_f64(),
            floor.1,
            ours.0.as_secs_f64(),
            ours.1
        );
        rows.push((floor, ours));
    }
    let per_test = |s: f64| s * 1000.0 / TESTS as f64;
    let wall_above: Vec<f64> = rows
        .iter()
        .map(|(f, o)| per_test(o.0.as_secs_f64() - f.0.as_secs_f64()))
        .collect();
    let cpu_above: Vec<f64> = rows.iter().map(|(f, o)| per_test(o.1 - f.1)).collect();
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let worst = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
    println!("slurm_launch: {TESTS} trivial tests, {ROUNDS} interleaved rounds");
    println!(
        "  CPU  above the loop per test: median {:6.2} ms, worst {:6.2} ms (target < 5 ms)",
        median(&cpu_above),
        worst(&cpu_above)
    );
    println!(
        "  wall above the loop per test: median {:6.2} ms, worst {:6.2} ms",
        median(&wall_above),
        worst(&wall_above)
    );
}
