//! Fuzzing, bounded in time: the config reader, the logpro rule loader and the test pattern
//! parser are fed mutations of real inputs (Megatest's QA areas, the logpro corpus, the
//! examples) and must answer each with a value or an error, never a panic.
//!
//! Each target runs `MEGATEST_FUZZ_SECONDS` seconds (default 5) from a seed that is printed
//! (`MEGATEST_FUZZ_SEED` replays it). An input that panics is written to
//! `target/fuzz-failures/` and fails the test; once fixed, it belongs in
//! `tests/fuzz_regressions/TARGET/`, whose files are replayed before every run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: enough to pick mutations, and replayable.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    }
}

/// Pieces that mean something to one of the parsers.
const TOKENS: &[&str] = &[
    "#{",
    "}",
    "{",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "\\",
    "#/",
    "/",
    "%",
    "~",
    ",",
    "\n",
    " ",
    "\t",
    "\r",
    "é",
    "\u{0}",
    "#",
    ";",
    "'",
    "`",
    "#{get ",
    "#{getenv ",
    "#{rp ",
    "[include ",
    "[system ",
    "[configf:settings ",
    "(expect:",
    "in \"LogFileBody\"",
    "#t",
    "#f",
    "1e999",
    "-1",
    "0x",
    "\u{F0000}",
    "\u{FEFF}",
    "..",
    "*",
    "?",
    "^",
    "$",
    "|",
    ".*",
];

fn mutate(random: &mut Random, corpus: &[String]) -> String {
    let mut chars: Vec<char> = corpus[random.below(corpus.len())].chars().collect();
    for _ in 0..=random.below(8) {
        let at = random.below(chars.len() + 1);
        match random.below(5) {
            0 if !chars.is_empty() => {
                let end = (at + random.below(16)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let token = TOKENS[random.below(TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
            2 if !chars.is_empty() => {
                let start = random.below(chars.len());
                let end = (start + random.below(64)).min(chars.len());
                let piece: Vec<char> = chars[start..end].to_vec();
                chars.splice(at..at, piece);
            }
            3 => {
                let other: Vec<char> = corpus[random.below(corpus.len())].chars().collect();
                let start = random.below(other.len() + 1);
                let end = (start + random.below(128)).min(other.len());
                chars.splice(at..at, other[start..end].iter().copied());
            }
            _ => {
                let c = char::from_u32(random.below(0x3000) as u32).unwrap_or('x');
                chars.insert(at, c);
            }
        }
    }
    chars.into_iter().collect()
}

fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

/// The texts of matching files under the shared corpora and the examples.
fn corpus(subdirs: &[&str], keep: &dyn Fn(&Path) -> bool) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared");
    assert!(
        shared.join("conformance").is_dir(),
        "../shared/conformance is missing: the fuzz corpus comes from there"
    );
    let mut paths = Vec::new();
    for sub in subdirs {
        files_under(&root.join(sub), keep, &mut paths);
    }
    paths.sort();
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    assert!(!texts.is_empty(), "no corpus found under {subdirs:?}");
    texts
}

fn regressions(target: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut paths = Vec::new();
    files_under(&dir, &|_| true, &mut paths);
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

fn budget() -> Duration {
    let seconds = std::env::var("MEGATEST_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    Duration::from_secs_f64(seconds)
}

/// Feeds the regressions, then mutations until the budget is spent, to `check`; an input
/// that panics is saved and fails the test.
fn fuzz(target: &str, corpus: &[String], check: &dyn Fn(&str)) {
    println!("fuzz {target}:");
    let seed = crate::harness::seed("MEGATEST_FUZZ_SEED");
    let mut random = Random(seed);
    let started = Instant::now();
    let inputs = regressions(target)
        .into_iter()
        .chain(corpus.iter().cloned())
        .map(Some)
        .chain(std::iter::repeat(None));
    let mut count = 0;
    for fixed in inputs {
        if fixed.is_none() && started.elapsed() >= budget() {
            break;
        }
        let input = fixed.unwrap_or_else(|| mutate(&mut random, corpus));
        count += 1;
        if catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{target}-{seed}-{count}.txt"));
            std::fs::write(&file, &input).unwrap();
            panic!(
                "fuzz {target}: input {count} panicked; saved as {}",
                file.display()
            );
        }
    }
    println!("fuzz {target}: {count} inputs, no panic");
}

#[test]
fn the_config_reader_never_panics() {
    let texts = corpus(&["../shared/conformance/megatest-qa", "examples"], &|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with("config") || name.ends_with(".config")
    });
    // The reader is fuzzed, not the commands or Scheme a config may run: those forms are
    // turned into lookups, and system commands are refused.
    let texts: Vec<String> = texts
        .iter()
        .map(|t| t.replace("#{scheme", "#{get").replace("#{scm", "#{get"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fuzz.config");
    fuzz("config", &texts, &|text| {
        if text.contains("#{scheme") || text.contains("#{scm") {
            return;
        }
        let mut opts = megatest::config::ReadOptions::new(dir.path());
        opts.system = megatest::config::SystemPolicy::Deny;
        let _ = megatest::config::read_str(&file, text, &opts);
    });
}

#[test]
fn the_logpro_rule_loader_never_panics() {
    let texts = corpus(&["../shared/conformance/logpro"], &|p| {
        p.extension().is_some_and(|e| e == "logpro")
    });
    // Rules that need Scheme are evaluated with tight bounds, as a runaway one would be.
    megatest::environ::set("MEGATEST_SCHEME_TIMEOUT", "0.2");
    megatest::environ::set("MEGATEST_SCHEME_MEMORY", "256");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fuzz.logpro");
    fuzz("logpro", &texts, &|text| {
        if text.contains("(load") || text.contains("system") || text.contains("delete") {
            return;
        }
        std::fs::write(&file, text).unwrap();
        let _ = megatest::logpro::load(
            std::slice::from_ref(&file),
            megatest::logpro::now,
            megatest::logpro::LoadMode::Auto,
        );
    });
}

#[test]
fn the_test_pattern_parser_never_panics() {
    let texts: Vec<String> = [
        "%",
        "a,b/c,%/d",
        "~abc/c%",
        "ab%/c%",
        "%/,%/a",
        "a*c",
        "[a-z]*/x?",
        "test/",
        "/b%",
        "a/b,a%,/b%",
        "t(a,b)%/item.1",
        "~",
        ",,",
        "a//b",
        "%%%/~%",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    fuzz("testpatt", &texts, &|text| {
        if let Ok(patterns) = megatest::select::TestPatterns::parse(text) {
            let _ = patterns.matches("abc", "cde");
            let _ = patterns.matches(text, text);
            let _ = patterns.selects_test(text);
        }
        let _ = megatest::select::Glob::parse(text).map(|g| g.matches(text));
        let _ = megatest::select::TagExpr::parse(text).map(|t| t.allows(text));
    });
}
