//! How soon `megatest -repl` is ready for input: from starting it on a pseudo-terminal to
//! its first `megatest> ` prompt (engine created, area loaded; completion names are read at
//! the first Tab), next to `megatest -version` in the same area as the process-start
//! floor; and how long the Scheme engine with megatest's prelude and extensions takes to
//! create, as `megatest -debug 2 -load` reports it, and a whole `megatest -load` of a
//! script that uses the prelude (compiled when first named). Median of 9 runs, interleaved.
//!
//! Run: `cargo bench --bench repl_start`.

#[path = "../tests/integration/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn command(dir: &std::path::Path, home: &std::path::Path, arg: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_megatest"));
    cmd.arg(arg)
        .current_dir(dir)
        .env("HOME", home)
        .env("TERM", "xterm")
        .env_remove("MT_RUN_AREA_HOME");
    cmd
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("megatest.config"),
        "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("runconfigs.config"), "[default]\nX 1\n").unwrap();
    std::fs::write(dir.path().join("one.scm"), "(+ 1 2)\n").unwrap();
    std::fs::write(
        dir.path().join("prelude.scm"),
        "(display (hash-table-count (make-hash-table)))\n",
    )
    .unwrap();
    let mut ready = Vec::new();
    let mut floor = Vec::new();
    let mut engine = Vec::new();
    let mut with_prelude = Vec::new();
    for _ in 0..9 {
        let start = Instant::now();
        let out = command(dir.path(), home.path(), "-load")
            .arg("prelude.scm")
            .output()
            .unwrap();
        with_prelude.push(start.elapsed());
        assert!(out.status.success() && out.stdout == b"0", "{out:?}");

        let out = command(dir.path(), home.path(), "-debug")
            .args(["2", "-load", "one.scm"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        let ms: f64 = said
            .split("Scheme engine ready in ")
            .nth(1)
            .and_then(|rest| rest.split(" ms").next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no engine time in: {said}"));
        engine.push(Duration::from_secs_f64(ms / 1000.0));

        let start = Instant::now();
        let mut p = pty::Pty::spawn(&mut command(dir.path(), home.path(), "-repl"));
        p.expect("megatest> ", Duration::from_secs(30));
        ready.push(start.elapsed());
        p.send("\x04");
        p.wait(Duration::from_secs(30));

        let start = Instant::now();
        let mut p = pty::Pty::spawn(&mut command(dir.path(), home.path(), "-version"));
        p.wait(Duration::from_secs(30));
        floor.push(start.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("repl_start: median of 9 runs on a pseudo-terminal");
    println!(
        "  megatest -repl, first prompt      {:>8.1} ms (target: under 300 ms)",
        ms(median(ready))
    );
    println!(
        "  megatest -version, exit           {:>8.1} ms (process start floor)",
        ms(median(floor))
    );
    println!(
        "  megatest -load, prelude used, exit {:>8.1} ms (engine and prelude included)",
        ms(median(with_prelude))
    );
    let worst = engine.iter().max().copied().unwrap_or_default();
    println!(
        "  Scheme engine with the prelude    {:>8.1} ms (worst {:.1} ms; target: under 150 ms)",
        ms(median(engine)),
        ms(worst)
    );
}
