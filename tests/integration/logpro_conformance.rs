//! The logpro conformance corpus (../shared/conformance/logpro): every case through the
//! `logpro` binary, by both loading paths, compared with logpro 1.19's outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CLOCK: &str = "2017-12-21 12:00:00";

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/logpro");
    assert!(
        dir.join("cases").is_dir(),
        "the logpro corpus is missing: expected {} (../shared beside the checkout)",
        dir.display()
    );
    dir
}

struct Case {
    dir: PathBuf,
    rules: PathBuf,
    waivers: Option<PathBuf>,
    log: PathBuf,
    load_error: Option<String>,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut found = Vec::new();
    let mut stack = vec![root.join("cases")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "case.txt") {
                let text = std::fs::read_to_string(&path).unwrap();
                let field = |name: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(&format!("{name} ")))
                        .map(str::to_string)
                };
                found.push(Case {
                    dir: path.parent().unwrap().to_path_buf(),
                    rules: root.join(field("rules").unwrap()),
                    waivers: field("waivers").map(|w| root.join(w)),
                    log: root.join(field("log").unwrap()),
                    load_error: field("load-error"),
                });
            }
        }
    }
    found.sort_by(|a, b| a.dir.cmp(&b.dir));
    found
}

fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Where two line lists first differ ("line N: ours .., expected .."), numbering from `first`.
fn first_difference(ours: &[&str], want: &[&str], first: usize) -> Option<String> {
    if ours == want {
        return None;
    }
    let at = ours
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(want.len()));
    Some(format!(
        "line {}: ours {:?}, expected {:?}",
        at + first,
        ours.get(at),
        want.get(at)
    ))
}

/// Compares one case; returns the differences found.
fn check(case: &Case, force_scheme: bool) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    let html = work.path().join("out.html");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logpro"));
    cmd.arg(&case.rules).arg(&html);
    if let Some(w) = &case.waivers {
        cmd.arg(w);
    }
    cmd.current_dir(work.path())
        .env("LOGPRO_NOW", CLOCK)
        .env_remove("LOGPRO_CSS")
        .stdin(Stdio::from(std::fs::File::open(&case.log).unwrap()));
    if force_scheme {
        cmd.env("LOGPRO_FORCE_SCHEME", "1");
    } else {
        cmd.env_remove("LOGPRO_FORCE_SCHEME");
    }
    let out = cmd.output().unwrap();
    let mut problems = Vec::new();
    let name = case
        .dir
        .strip_prefix(corpus())
        .unwrap()
        .display()
        .to_string();
    let expected = |f: &str| std::fs::read_to_string(case.dir.join("expected").join(f)).unwrap();
    let localize = |text: String| {
        if case.rules.ends_with("hostname.logpro") {
            text.replace(
                "Hostname matches vm",
                &format!("Hostname matches {}", host_name()),
            )
        } else {
            text
        }
    };
    let rc: i32 = expected("rc").trim().parse().unwrap();
    if out.status.code() != Some(rc) {
        problems.push(format!(
            "{name}: exit {:?}, expected {rc}; stderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let ours: Vec<&str> = stdout.lines().skip(6).collect();
    let want_text = localize(expected("stdout"));
    let want: Vec<&str> = want_text.lines().skip(6).collect();
    match &case.load_error {
        Some(message) => {
            let until = want.iter().position(|l| l.starts_with(" =>  ")).unwrap() + 1;
            if ours.get(..until) != Some(&want[..until]) || !stdout.contains(message.as_str()) {
                problems.push(format!("{name}: load error block differs:\n{stdout}"));
            }
            if !stdout.contains("     --> ") {
                problems.push(format!(
                    "{name}: the load error does not say where:\n{stdout}"
                ));
            }
        }
        None => {
            if let Some(difference) = first_difference(&ours, &want, 7) {
                problems.push(format!("{name}: stdout differs at {difference}"));
            }
        }
    }
    let sorted_dat = |text: &str| {
        let mut lines: Vec<&str> = text.lines().collect();
        let messages_from = lines
            .iter()
            .position(|l| l.starts_with("message "))
            .unwrap_or(lines.len());
        lines[messages_from..].sort_unstable();
        lines.join("\n")
    };
    let dat = std::fs::read_to_string(work.path().join("out.dat")).unwrap_or_default();
    if sorted_dat(&dat) != sorted_dat(&localize(expected("dat"))) {
        problems.push(format!("{name}: .dat differs:\n{dat}"));
    }
    let our_html = decode(&std::fs::read_to_string(&html).unwrap_or_default());
    let want_html = decode(&localize(expected("html")));
    if case.load_error.is_some() {
        let message_line = want_html.lines().find(|l| l.starts_with(" =>  ")).unwrap();
        if !our_html.contains("ERROR: Syntax error in your command file!")
            || !our_html.contains(message_line)
        {
            problems.push(format!("{name}: HTML lacks the load error:\n{our_html}"));
        }
    } else {
        let ours: Vec<&str> = our_html
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 4)
            .map(|(_, l)| l)
            .collect();
        let want: Vec<&str> = want_html
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 4)
            .map(|(_, l)| l)
            .collect();
        if let Some(difference) = first_difference(&ours, &want, 1) {
            problems.push(format!("{name}: HTML differs at {difference}"));
        }
    }
    problems
}

fn run_corpus(force_scheme: bool) {
    let root = corpus();
    let all = cases(&root);
    assert_eq!(all.len(), 177, "the corpus has 177 cases");
    let chunks: Vec<&[Case]> = all.chunks(all.len().div_ceil(4)).collect();
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .flat_map(|c| check(c, force_scheme))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        problems.is_empty(),
        "{} of 177 cases differ:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_literal_path() {
    run_corpus(false);
}

#[test]
fn corpus_scheme_path() {
    run_corpus(true);
}
