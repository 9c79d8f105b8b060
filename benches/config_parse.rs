//! Benchmark: parse a generated area of 1,000 testconfigs of 30 lines each, side by side
//! with the floor of reading the same files (no parsing). Run: `cargo bench --bench config_parse`.

use megatest::config::{ReadOptions, read_file};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TESTS: usize = 1000;
const PASSES: usize = 7;

fn testconfig(n: usize) -> String {
    format!(
        r#"# testconfig of test_{n:04}
[ezsteps]
compile make -C build all TARGET=$MT_TARGET
run ./run.sh --seed {n} --out results.txt
check grep -c PASS results.txt
[requirements]
waiton test_{prev:04} setup
priority {pri}
mode normal
runtimelim 1h 30m
[items]
PLATFORM linux windows mac
SIZE small medium large

[test_meta]
author someone
owner team-{team}
description Checks the {n}th thing across\
 several platforms and sizes
reviewed 2026-01-01
tags fast,nightly,group{team}
jobgroup compile

[logpro]
run ;;
  (expect:required in "LogFileBody" > 0 "Finished" #/finished/)
  (expect:error in "LogFileBody" = 0 "Errors" #/error/i)

[skip]
fileexists #{{getenv MT_RUN_AREA_HOME}}/skip-{n}
"#,
        prev = n.saturating_sub(1),
        pri = n % 10,
        team = n % 7,
    )
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time_passes(files: &[PathBuf], mut work: impl FnMut(&Path) -> usize) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut check = 0;
    for _ in 0..PASSES {
        let start = Instant::now();
        check = files.iter().map(|f| work(f)).sum();
        times.push(start.elapsed());
    }
    (median(times), check)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::with_capacity(TESTS);
    for n in 0..TESTS {
        let test_dir = dir.path().join(format!("tests/test_{n:04}"));
        std::fs::create_dir_all(&test_dir).unwrap();
        let path = test_dir.join("testconfig");
        let text = testconfig(n);
        assert_eq!(text.lines().count(), 30, "each testconfig has 30 lines");
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    let opts = ReadOptions::new(dir.path());

    let (floor, lines) = time_passes(&files, |f| {
        std::fs::read_to_string(f).unwrap().lines().count()
    });
    let (parse, entries) = time_passes(&files, |f| {
        let config = read_file(f, &opts).unwrap().unwrap();
        config.sections().iter().map(|s| s.entries.len()).sum()
    });
    assert_eq!(lines, TESTS * 30);
    assert_eq!(entries, TESTS * 17, "every entry parsed");

    let per_file = |d: Duration| d.as_secs_f64() * 1000.0 / TESTS as f64;
    println!("config_parse: {TESTS} testconfigs x 30 lines, median of {PASSES} passes");
    println!(
        "  read files only (floor)  {:8.2} ms total  {:.4} ms/file",
        floor.as_secs_f64() * 1e3,
        per_file(floor)
    );
    println!(
        "  megatest config reader   {:8.2} ms total  {:.4} ms/file",
        parse.as_secs_f64() * 1e3,
        per_file(parse)
    );
    println!(
        "  parsing above the floor  {:.4} ms/file (target: under 0.2 ms/file)",
        per_file(parse.saturating_sub(floor))
    );
}
