//! Benchmark: `logpro` on a generated 200 MB log with 10 rules, side by side with
//! `grep -cE` over the same patterns in the same run; then `logpro` on a 1 KB log with a
//! literal rule file (no Scheme engine); then one 200 MB line without a line end, read from
//! the file and through a pipe (`cat | logpro`), whose times should be close: a pipe hands
//! the line over 64 KiB at a time. Run: `cargo bench --bench logpro_scan`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LOG_MB: usize = 200;

/// (logpro rule, the same pattern as a grep -E expression)
const RULES: &[(&str, &str)] = &[
    (
        r#"(expect:ignore   in "LogFileBody" < 999999 "error in comments" #/^\/\/.*error/)"#,
        "^//.*error",
    ),
    (
        r#"(expect:error    in "LogFileBody" = 0 "any error" #/ERROR/)"#,
        "ERROR",
    ),
    (
        r#"(expect:error    in "LogFileBody" = 0 "fatal" #/FATAL/)"#,
        "FATAL",
    ),
    (
        r#"(expect:warning  in "LogFileBody" = 0 "any warning" #/WARNING/)"#,
        "WARNING",
    ),
    (
        r#"(expect:required in "LogFileBody" > 0 "finished" #/ALL DONE/)"#,
        "ALL DONE",
    ),
    (
        r#"(expect:error    in "LogFileBody" = 0 "segfault" #/[Ss]egmentation fault/)"#,
        "[Ss]egmentation fault",
    ),
    (
        r#"(expect:error    in "LogFileBody" = 0 "core dump" #/core dumped/)"#,
        "core dumped",
    ),
    (
        r#"(expect:warning  in "LogFileBody" = 0 "deprecated" #/[Dd]eprecated/)"#,
        "[Dd]eprecated",
    ),
    (
        r#"(expect:error    in "LogFileBody" = 0 "assertion" #/assertion .* failed/)"#,
        "assertion .* failed",
    ),
    (
        r#"(expect:ignore   in "LogFileBody" < 999999 "timeouts" #/timeout after \d+ s/)"#,
        "timeout after [0-9]+ s",
    ),
];

fn generate_log(path: &Path, megabytes: usize) -> usize {
    let words = [
        "alpha", "beta", "gamma", "delta", "compile", "link", "test", "module", "value", "result",
        "check", "step",
    ];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let (mut size, mut i, mut seed) = (0usize, 0usize, 12345u64);
    while size < megabytes << 20 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (seed >> 33) % 10_000;
        let line = match r {
            0..=4 => format!(
                "ERROR: something failed in module {} at step {i}",
                words[i % words.len()]
            ),
            5..=9 => format!(
                "WARNING: suspicious value {i} in {}",
                words[(i / 3) % words.len()]
            ),
            10..=19 => format!("// comment mentioning error {i}"),
            20..=21 => format!("timeout after {} s waiting for step {i}", i % 90),
            _ => {
                let picked: Vec<&str> = (0..8)
                    .map(|k| words[(i * 7 + k * 13 + (seed as usize >> 7)) % words.len()])
                    .collect();
                format!(
                    "2026-11-22 07:{:02}:{:02} INFO {} {i}",
                    i % 60,
                    (i / 60) % 60,
                    picked.join(" ")
                )
            }
        };
        writeln!(out, "{line}").unwrap();
        size += line.len() + 1;
        i += 1;
    }
    writeln!(out, "ALL DONE").unwrap();
    size
}

/// Runs a command with its output read through a pipe (GNU grep stops at the first match
/// when its output is /dev/null, which would make the baseline meaningless).
fn time(mut cmd: Command, input: &Path) -> (Duration, i32, String) {
    cmd.stdin(std::fs::File::open(input).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output().unwrap();
    (
        start.elapsed(),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn main() {
    let logpro = env!("CARGO_BIN_EXE_logpro");
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("bench.logpro");
    std::fs::write(
        &rules,
        RULES
            .iter()
            .map(|(r, _)| format!("{r}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let log = dir.path().join("big.log");
    let bytes = generate_log(&log, LOG_MB);
    let mb = bytes as f64 / (1 << 20) as f64;
    println!("logpro_scan: {mb:.0} MB log, {} rules", RULES.len());

    let mut with_html = Command::new(logpro);
    with_html
        .arg(&rules)
        .arg(dir.path().join("big.html"))
        .current_dir(dir.path());
    let (t_html, rc, _) = time(with_html, &log);
    let mut text_only = Command::new(logpro);
    text_only.arg(&rules).current_dir(dir.path());
    let (t_text, _, _) = time(text_only, &log);
    println!(
        "  logpro + HTML report       {:7.2} s  {:7.1} MB/s  (exit {rc})",
        t_html.as_secs_f64(),
        mb / t_html.as_secs_f64()
    );
    println!(
        "  logpro, text output only   {:7.2} s  {:7.1} MB/s",
        t_text.as_secs_f64(),
        mb / t_text.as_secs_f64()
    );
    match which::which("grep") {
        Ok(grep) => {
            let pattern: Vec<&str> = RULES.iter().map(|(_, g)| *g).collect();
            let mut cmd = Command::new(grep);
            cmd.arg("-cE").arg(pattern.join("|")).arg(&log);
            let (t_grep, grep_rc, grep_err) = time(cmd, Path::new("/dev/null"));
            assert_eq!(grep_rc, 0, "grep failed: {grep_err}");
            println!(
                "  grep -cE (same patterns)   {:7.2} s  {:7.1} MB/s",
                t_grep.as_secs_f64(),
                mb / t_grep.as_secs_f64()
            );
            println!(
                "  ratio logpro/grep: {:.2}x with HTML, {:.2}x text only (target: within 3x)",
                t_html.as_secs_f64() / t_grep.as_secs_f64(),
                t_text.as_secs_f64() / t_grep.as_secs_f64()
            );
        }
        Err(_) => println!("  grep not found on PATH: no baseline"),
    }

    let one_line = dir.path().join("one-line.log");
    std::fs::write(&one_line, vec![b'x'; LOG_MB << 20]).unwrap();
    let mut from_file = Command::new(logpro);
    from_file.arg(&rules).current_dir(dir.path());
    let (t_file, _, _) = time(from_file, &one_line);
    let mut through_pipe = Command::new("sh");
    through_pipe
        .arg("-c")
        .arg(format!(
            "cat '{}' | '{logpro}' '{}'",
            one_line.display(),
            rules.display()
        ))
        .current_dir(dir.path());
    let (t_pipe, pipe_rc, pipe_err) = time(through_pipe, Path::new("/dev/null"));
    assert!(pipe_rc >= 0, "logpro through a pipe failed: {pipe_err}");
    println!(
        "  one {LOG_MB} MB line: {:.2} s from the file, {:.2} s through a pipe ({:.2}x; target: within 3x)",
        t_file.as_secs_f64(),
        t_pipe.as_secs_f64(),
        t_pipe.as_secs_f64() / t_file.as_secs_f64()
    );
    std::fs::remove_file(&one_line).unwrap();

    let small_log = dir.path().join("small.log");
    let small: String = (0..20)
        .map(|i| format!("INFO line {i} of a short log, nothing to see here\n"))
        .collect();
    std::fs::write(&small_log, &small[..small.len().min(1024)]).unwrap();
    let mut times = Vec::new();
    for _ in 0..21 {
        let mut cmd = Command::new(logpro);
        cmd.arg(&rules)
            .arg(dir.path().join("small.html"))
            .current_dir(dir.path());
        times.push(time(cmd, &small_log).0);
    }
    times.sort();
    let mut traced = Command::new(logpro);
    traced
        .arg(&rules)
        .current_dir(dir.path())
        .env("LOGPRO_DEBUG", "2");
    let (_, _, stderr) = time(traced, &small_log);
    let engine = if stderr.contains("creating the Scheme engine") {
        "created"
    } else {
        "never created"
    };
    println!(
        "  logpro on a 1 KB log: median {:.2} ms over 21 runs (target: under 10 ms); Scheme engine {engine}",
        times[10].as_secs_f64() * 1000.0
    );
}
