//! Benchmark: `megatest -remove-runs` of a run of 10,000 tests (a test with 10,000 items),
//! next to `rm -rf` of a copy of the same run directories (the floor: the files alone).
//! Each round runs the area again. Run: `cargo bench --bench remove_runs`.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{sh, timed};

const TESTS: usize = 10_000;
const ROUNDS: usize = 3;

fn megatest(area: &Path, args: &[&str]) -> Duration {
    timed(|| {
        sh(Command::new(env!("CARGO_BIN_EXE_megatest"))
            .args(args)
            .current_dir(area)
            .env_remove("MT_RUN_AREA_HOME"))
    })
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let area = tmp.path().join("area");
    std::fs::create_dir_all(area.join("tests/t")).unwrap();
    std::fs::write(
        area.join("megatest.config"),
        "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n",
    )
    .unwrap();
    std::fs::write(area.join("runconfigs.config"), "[default]\nX 1\n").unwrap();
    let items: Vec<String> = (0..TESTS).map(|i| format!("{i:05}")).collect();
    std::fs::write(
        area.join("tests/t/testconfig"),
        format!("[items]\nN {}\n\n[ezsteps]\nok echo hi\n", items.join(" ")),
    )
    .unwrap();
    println!("remove_runs: {TESTS} tests, {ROUNDS} rounds");
    let mut ours = Vec::new();
    let mut floor = Vec::new();
    for round in 1..=ROUNDS {
        let made = megatest(
            &area,
            &["-run", "-target", "linux", "-runname", "r1", "-run-wait"],
        );
        let copy = tmp.path().join("copy");
        sh(Command::new("cp")
            .arg("-a")
            .arg(area.join("runs"))
            .arg(&copy));
        let start = Instant::now();
        sh(Command::new("rm").arg("-rf").arg(&copy));
        let t_floor = start.elapsed();
        let t_ours = megatest(
            &area,
            &[
                "-remove-runs",
                "-target",
                "linux",
                "-runname",
                "r1",
                "-testpatt",
                "%",
            ],
        );
        assert!(!area.join("runs/linux/r1/t/00000").exists());
        println!(
            "  round {round}: run {:.1} s; -remove-runs {:.2} s ({:.3} ms per test), rm -rf {:.2} s",
            made.as_secs_f64(),
            t_ours.as_secs_f64(),
            t_ours.as_secs_f64() * 1000.0 / TESTS as f64,
            t_floor.as_secs_f64()
        );
        ours.push(t_ours);
        floor.push(t_floor);
    }
    ours.sort();
    floor.sort();
    println!(
        "\n| {TESTS} tests | median | worst |\n| --- | --- | --- |\n| megatest -remove-runs | {:.2} s | {:.2} s |\n| rm -rf of the same directories | {:.2} s | {:.2} s |",
        ours[ROUNDS / 2].as_secs_f64(),
        ours[ROUNDS - 1].as_secs_f64(),
        floor[ROUNDS / 2].as_secs_f64(),
        floor[ROUNDS - 1].as_secs_f64()
    );
}
