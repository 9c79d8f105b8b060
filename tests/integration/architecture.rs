//! Rules of the source tree that the compiler does not check: states and statuses are
//! compared through their enums, and record writes go through the one writer.

use megatest::model::{State, Status};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the source tree") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A file's product code: unit tests (from the first `#[cfg(test)]` on, or a `*_tests.rs`
/// file) left out.
fn product_code(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy();
    if name.ends_with("_tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).expect("read a source file");
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn states_and_statuses_are_words_only_in_their_enums() {
    // `n/a` is also the "none" of hosts, unames and units; logpro's report words (PASS,
    // FAIL, ...) are its own output format, not test statuses.
    let words: Vec<String> = State::KNOWN
        .iter()
        .map(State::to_string)
        .chain(Status::KNOWN.iter().map(Status::to_string))
        .filter(|w| w != "n/a")
        .map(|w| format!("\"{w}\""))
        .collect();
    let src = src();
    let allowed = [
        src.join("model/state.rs"),
        src.join("model/status.rs"),
        src.join("logpro"),
    ];
    let mut found = Vec::new();
    for path in rust_files(&src) {
        if allowed.iter().any(|a| path.starts_with(a)) {
            continue;
        }
        for (n, line) in product_code(&path).lines().enumerate() {
            if let Some(word) = words.iter().find(|w| line.contains(w.as_str())) {
                let at = path.strip_prefix(&src).unwrap().display();
                found.push(format!("src/{at}:{}: {word}", n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "state and status words belong in model::State and model::Status (compare the \
         variants, write `State::Running`):\n{}",
        found.join("\n")
    );
}

#[test]
fn state_writes_go_through_the_writer() {
    // The unfired writes are a trait of `db`; naming it is what lets code call them.
    let src = src();
    let allowed = [
        src.join("db"),
        src.join("writer"),
        // Applies an executor's writes; the executor's writer fires their triggers.
        src.join("recorder/protocol.rs"),
    ];
    let mut found = Vec::new();
    for path in rust_files(&src) {
        if allowed.iter().any(|a| path.starts_with(a)) {
            continue;
        }
        for (n, line) in product_code(&path).lines().enumerate() {
            if line.contains("RecordWrites") {
                let at = path.strip_prefix(&src).unwrap().display();
                found.push(format!("src/{at}:{}", n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "state and status writes go through writer::Writer, which fires the triggers:\n{}",
        found.join("\n")
    );
}
