//! Benchmark: 100 `megatest -test-status` calls from inside a test, in an area whose
//! megatest.config holds `#{scheme}` forms, side by side with the same calls in an area
//! without Scheme. A helper called from a test must not pay for the area's Scheme again
//! (target: within 1.5x). Run: `cargo bench --bench helper_calls`; with
//! `MEGATEST_BASELINE_BIN=/path/to/megatest` the same rows follow for that binary (an older
//! build), in the same run.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const CALLS: usize = 100;
const ROUNDS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// An area whose test makes the calls and writes how long they took (ns) to `calls.ns`.
fn area(dir: &Path, with_scheme: bool) {
    let mut config = String::from(
        "[fields]\nplatform TEXT\n\n[setup]\nlinktree #{getenv MT_RUN_AREA_HOME}/links\n",
    );
    if with_scheme {
        config.push_str(
            "\n[schemey]\nsum #{scheme (+ 5 6 7)}\nwords #{scheme (string-append \"a\" \"b\")}\nlisted #{scheme (length (list 1 2 3))}\n",
        );
    }
    std::fs::write(dir.join("megatest.config"), config).unwrap();
    std::fs::write(dir.join("runconfigs.config"), "[default]\nX 1\n").unwrap();
    std::fs::create_dir_all(dir.join("tests/t")).unwrap();
    std::fs::write(
        dir.join("tests/t/testconfig"),
        format!(
            "[ezsteps]\ncalls s=$(date +%s%N); for i in $(seq {CALLS}); do $MT_MEGATEST -test-status :state RUNNING :status n/a || exit 1; done; echo $(( $(date +%s%N) - s )) | tee $MT_RUN_AREA_HOME/calls.ns\n"
        ),
    )
    .unwrap();
}

/// Runs the area's test once with `megatest`; the time its calls took.
fn calls(megatest: &Path, dir: &Path, round: usize) -> Duration {
    let status = Command::new(megatest)
        .args([
            "-run",
            "-target",
            "p1",
            "-runname",
            &format!("r{round}"),
            "-testpatt",
            "%",
            "-run-wait",
        ])
        .current_dir(dir)
        .env_remove("MT_RUN_AREA_HOME")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let text = std::fs::read_to_string(dir.join("calls.ns")).unwrap_or_default();
    let ns: u64 = text.trim().parse().unwrap_or_else(|_| {
        let log = std::fs::read_to_string(dir.join(format!("links/p1/r{round}/t/calls.log")));
        panic!("the test wrote no timing ({text:?}); its log: {log:?}")
    });
    std::fs::remove_file(dir.join("calls.ns")).unwrap();
    Duration::from_nanos(ns)
}

/// The rows for one binary.
fn measure(megatest: &Path, label: &str) {
    let plain = tempfile::tempdir().unwrap();
    let schemey = tempfile::tempdir().unwrap();
    area(plain.path(), false);
    area(schemey.path(), true);
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        without.push(calls(megatest, plain.path(), round));
        with.push(calls(megatest, schemey.path(), round));
    }
    let (without, with) = (median(without), median(with));
    let per_call = |d: Duration| d.as_secs_f64() * 1000.0 / CALLS as f64;
    println!("  {label}");
    println!(
        "    area without Scheme          {:8.1} ms  {:6.2} ms/call",
        without.as_secs_f64() * 1000.0,
        per_call(without)
    );
    println!(
        "    area with #{{scheme}} forms    {:8.1} ms  {:6.2} ms/call",
        with.as_secs_f64() * 1000.0,
        per_call(with)
    );
    println!(
        "    ratio with/without: {:.2}x (target: within 1.5x)",
        with.as_secs_f64() / without.as_secs_f64()
    );
}

fn main() {
    println!(
        "helper_calls: {CALLS} `megatest -test-status` calls from a test; median of {ROUNDS} rounds"
    );
    measure(Path::new(env!("CARGO_BIN_EXE_megatest")), "this build");
    if let Some(baseline) = std::env::var_os("MEGATEST_BASELINE_BIN") {
        let baseline = std::path::PathBuf::from(baseline);
        measure(&baseline, &format!("baseline {}", baseline.display()));
    }
}
