//! Benchmark: the runner's peak resident memory for runs of 1,000, 10,000 and 100,000 items
//! (one test, `[items]` as a product of two lists, `true` as its step), in /dev/shm when
//! there is one. The smaller runs are the floor: what the runner holds whatever the size;
//! the growth per item between them is what the records and items cost. Target: the
//! 100,000-item run under 100 MB. Run: `cargo bench --bench runner_memory`.
//!
//! The runs go smallest first because the peak is read with `getrusage(RUSAGE_CHILDREN)`,
//! the largest of the children so far.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use support::{sh, timed};

/// (values of A, values of B): A × B items.
const SIZES: [(usize, usize); 3] = [(10, 100), (100, 100), (100, 1000)];

fn area(dir: &Path, a: usize, b: usize) {
    std::fs::create_dir_all(dir.join("tests/t")).unwrap();
    std::fs::write(
        dir.join("megatest.config"),
        "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\n",
    )
    .unwrap();
    std::fs::write(dir.join("runconfigs.config"), "[default]\nX 1\n").unwrap();
    let list = |n: usize, from: usize| {
        (from..from + n)
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Literal lists, not `#{shell seq}`: a testconfig with `#{shell}` is read again at each
    // launch, which would measure the shell. The product keeps the file small; it is copied
    // into every item's directory.
    std::fs::write(
        dir.join("tests/t/testconfig"),
        format!(
            "[items]\nA {}\nB {}\n\n[ezsteps]\nok true\n",
            list(a, 100),
            list(b, 1000)
        ),
    )
    .unwrap();
}

fn completed(dir: &Path) -> i64 {
    let db = rusqlite::Connection::open(dir.join("megatest.db")).unwrap();
    db.query_row(
        "SELECT count(*) FROM tests WHERE item_path != '' AND state='COMPLETED' AND status='PASS'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn main() {
    let shm = Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    println!(
        "runner_memory: peak resident memory of `megatest -run`, in {}",
        tmp.path().parent().unwrap().display()
    );
    let mut rows: Vec<(usize, u64)> = Vec::new();
    for (a, b) in SIZES {
        let items = a * b;
        let dir = tmp.path().join(format!("area{items}"));
        area(&dir, a, b);
        let wall = timed(|| {
            sh(Command::new(env!("CARGO_BIN_EXE_megatest"))
                .args(["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
                .current_dir(&dir)
                .env_remove("MT_RUN_AREA_HOME"))
        });
        let peak = megatest::sys::children_peak_rss_kib();
        assert_eq!(completed(&dir), items as i64, "every item PASS");
        println!(
            "  {items:>7} items: peak {:>6.1} MB, {:>6.1} s",
            peak as f64 / 1024.0,
            wall.as_secs_f64()
        );
        rows.push((items, peak));
        // The directories of a run this size would crowd /dev/shm for the next one.
        std::fs::remove_dir_all(&dir).unwrap();
    }
    for pair in rows.windows(2) {
        let [(n0, k0), (n1, k1)] = [pair[0], pair[1]];
        println!(
            "  growth {n0} -> {n1} items: {:.0} bytes per item",
            (k1.saturating_sub(k0) * 1024) as f64 / (n1 - n0) as f64
        );
    }
    println!("  target: under 100 MB at 100000 items");
}
