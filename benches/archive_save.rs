//! Benchmark: `megatest -archive save` of a run with 1,000 tests of 100 KB each (a test with
//! 1,000 items), side by side with the archiver run by hand on the same directories:
//! `bup init` + `bup index` + `bup save` (compression 9, megatest's default), and for
//! `[archive] method tar`, `tar -cf`. Rounds alternate the two, each into a fresh block.
//! Needs bup (scripts/setup.sh installs it). Run: `cargo bench --bench archive_save`.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{sh, timed};

const TESTS: usize = 1000;
const ROUNDS: usize = 3;

fn megatest(area: &Path, args: &[&str]) {
    sh(Command::new(env!("CARGO_BIN_EXE_megatest"))
        .args(args)
        .current_dir(area)
        .env_remove("MT_RUN_AREA_HOME"));
}

fn write_config(area: &Path, method: &str, disk: &Path) {
    std::fs::write(
        area.join("megatest.config"),
        format!(
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 8\n\n[archive]\nmethod {method}\nminspace 0\n\n[archive-disks]\nd1 {}\n",
            disk.display()
        ),
    )
    .unwrap();
}

fn fresh(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let area = tmp.path().join("area");
    let disk = tmp.path().join("adisk");
    let by_hand = tmp.path().join("byhand");
    std::fs::create_dir_all(area.join("tests/blob")).unwrap();
    fresh(&disk);
    write_config(&area, "bup", &disk);
    std::fs::write(area.join("runconfigs.config"), "[default]\nX 1\n").unwrap();
    let items: Vec<String> = (0..TESTS).map(|i| format!("{i:04}")).collect();
    std::fs::write(
        area.join("tests/blob/testconfig"),
        format!(
            "[items]\nN {}\n\n[ezsteps]\nmake head -c 102400 /dev/urandom > data.bin\n",
            items.join(" ")
        ),
    )
    .unwrap();
    let setup = timed(|| {
        megatest(
            &area,
            &["-run", "-target", "linux", "-runname", "r1", "-run-wait"],
        )
    });
    let root = area.join("runs").canonicalize().unwrap();
    let rels: Vec<PathBuf> = items
        .iter()
        .map(|i| PathBuf::from(format!("linux/r1/blob/{i}")))
        .collect();
    let dirs: Vec<PathBuf> = rels.iter().map(|r| root.join(r)).collect();
    assert!(dirs.iter().all(|d| d.join("data.bin").is_file()));
    println!(
        "archive_save: {TESTS} tests of 100 KB (run made in {:.1} s), {ROUNDS} alternating rounds",
        setup.as_secs_f64()
    );

    let mut rows = Vec::new();
    for method in ["bup", "tar"] {
        write_config(&area, method, &disk);
        let mut ours = Vec::new();
        let mut hand = Vec::new();
        for round in 0..=ROUNDS {
            fresh(&disk);
            let t_ours = timed(|| {
                megatest(
                    &area,
                    &[
                        "-archive",
                        "save",
                        "-target",
                        "linux",
                        "-runname",
                        "r1",
                        "-testpatt",
                        "%",
                    ],
                )
            });
            fresh(&by_hand);
            let t_hand = timed(|| match method {
                "bup" => {
                    let bup = || {
                        let mut c = Command::new("bup");
                        c.arg("-d").arg(&by_hand);
                        c
                    };
                    sh(bup().arg("init"));
                    sh(bup().arg("index").args(&dirs));
                    sh(bup()
                        .args(["save", "-9", "-n", "byhand"])
                        .arg(format!("--strip-path={}", root.display()))
                        .args(&dirs));
                }
                _ => sh(Command::new("tar")
                    .arg("-C")
                    .arg(&root)
                    .arg("-cf")
                    .arg(by_hand.join("byhand.tar"))
                    .args(rels.iter().map(|r| Path::new(".").join(r)))),
            });
            // Round 0 warms the page cache and the programs.
            if round > 0 {
                ours.push(t_ours);
                hand.push(t_hand);
                println!(
                    "  {method} round {round}: megatest {:.2} s, by hand {:.2} s, ratio {:.2}",
                    t_ours.as_secs_f64(),
                    t_hand.as_secs_f64(),
                    t_ours.as_secs_f64() / t_hand.as_secs_f64()
                );
            }
        }
        rows.push((method, ours, hand));
    }
    println!(
        "\n| archiver | megatest (median) | by hand (median) | ratio (median) | ratio (worst) |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (method, ours, hand) in rows {
        let mut ratios: Vec<f64> = ours
            .iter()
            .zip(&hand)
            .map(|(o, h)| o.as_secs_f64() / h.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let median = |mut v: Vec<Duration>| {
            v.sort();
            v[v.len() / 2].as_secs_f64()
        };
        println!(
            "| {method} | {:.2} s | {:.2} s | {:.2} | {:.2} |",
            median(ours),
            median(hand),
            ratios[ratios.len() / 2],
            ratios[ratios.len() - 1]
        );
    }
}
