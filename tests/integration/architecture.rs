//! Rules of the source tree that the compiler does not check: the top-level modules form
//! the layers docs/ARCHITECTURE.md shows (no module imports one above it, so no cycle),
//! states and statuses are compared through their enums, record writes go through the one
//! writer, and SQL is written only in `db`.

use megatest::model::{State, Status};
use std::collections::{BTreeMap, BTreeSet};
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
    // FAIL, ...) are its own output format, and Slurm's job states (COMPLETED, FAILED,
    // ...) are Slurm's, not test statuses.
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
        src.join("launch/slurm.rs"),
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

#[test]
fn sql_statements_are_only_in_db() {
    // The API's rows, the listings and the commands ask `db` for what they need; a
    // statement elsewhere would be a second place where the schema is spelled.
    let statement = regex::Regex::new(
        r"\b(SELECT\b.*\bFROM|UPDATE \w+ SET|INSERT (OR \w+ )?INTO|DELETE FROM|CREATE (TABLE|INDEX)|PRAGMA \w)",
    )
    .expect("a valid pattern");
    let src = src();
    let mut found = Vec::new();
    for path in rust_files(&src) {
        if path.starts_with(src.join("db")) {
            continue;
        }
        for (n, line) in product_code(&path).lines().enumerate() {
            if !line.trim_start().starts_with("//") && statement.is_match(line) {
                found.push(format!(
                    "{}:{}: {}",
                    path.strip_prefix(&src).unwrap().display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL statements belong in src/db:\n{}",
        found.join("\n")
    );
}

/// The top-level module a source file belongs to (`None` for the crate root and binaries).
fn top_module(src: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src).ok()?;
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!["main", "lib", "bin"].contains(&name.as_str())).then_some(name)
}

/// The top-level modules `code` names through `crate::` paths (`crate::a::b`,
/// `crate::{a, b::c}`).
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start => {
                        found.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// Layer number → modules, from the `## Layers` list of docs/ARCHITECTURE.md (`- N: a, b`).
fn documented_layers() -> BTreeMap<String, usize> {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md");
    let text = std::fs::read_to_string(doc).expect("docs/ARCHITECTURE.md");
    let section = text
        .split("\n## Layers")
        .nth(1)
        .expect("docs/ARCHITECTURE.md has a `## Layers` section");
    let mut layers = BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let Some((number, modules)) = line
            .strip_prefix("- ")
            .and_then(|l| l.split_once(": "))
            .and_then(|(n, m)| Some((n.trim().parse::<usize>().ok()?, m)))
        else {
            continue;
        };
        for module in modules.split(',') {
            let module = module.trim().trim_matches('`').to_string();
            if let Some(name) = module.split_whitespace().next() {
                layers.insert(name.to_string(), number);
            }
        }
    }
    layers
}

#[test]
fn modules_only_import_lower_layers() {
    let src = src();
    let mut imports: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for path in rust_files(&src) {
        let Some(module) = top_module(&src, &path) else {
            continue;
        };
        let code = product_code(&path);
        let entry = imports.entry(module.clone()).or_default();
        for named in named_modules(&code) {
            if named != module {
                let at = path.strip_prefix(&src).unwrap().display().to_string();
                entry.entry(named).or_default().insert(format!("src/{at}"));
            }
        }
    }
    let layers = documented_layers();
    let mut problems = Vec::new();
    for module in imports.keys() {
        if !layers.contains_key(module) {
            problems.push(format!("`{module}` is in no layer of docs/ARCHITECTURE.md"));
        }
    }
    for (module, named) in &imports {
        for (target, files) in named {
            let (Some(from), Some(to)) = (layers.get(module), layers.get(target)) else {
                continue;
            };
            if to >= from {
                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                problems.push(format!(
                    "`{module}` (layer {from}) imports `{target}` (layer {to}) in {}",
                    files.join(", ")
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a module may import only modules of lower layers (docs/ARCHITECTURE.md, ## Layers):\n{}",
        problems.join("\n")
    );
}

/// Every `thread_local!` static and every `static` of a lock, cell or atomic, as
/// (file, name).
fn process_wide_statics(src: &Path) -> Vec<(String, String)> {
    let kinds = ["Mutex", "RwLock", "OnceLock", "OnceCell", "Atomic"];
    let mut found = Vec::new();
    for path in rust_files(src) {
        let at = format!("src/{}", path.strip_prefix(src).unwrap().display());
        let code = product_code(&path);
        let mut in_thread_local = false;
        for line in code.lines() {
            let line = line.trim();
            if line.starts_with("thread_local!") {
                in_thread_local = true;
                continue;
            }
            if in_thread_local && line.starts_with('}') {
                in_thread_local = false;
                continue;
            }
            let Some(rest) = line
                .strip_prefix("pub static ")
                .or_else(|| line.strip_prefix("static "))
            else {
                continue;
            };
            let Some((name, kind)) = rest.split_once(':') else {
                continue;
            };
            if in_thread_local || kinds.iter().any(|k| kind.contains(k)) {
                found.push((at.clone(), name.trim().to_string()));
            }
        }
    }
    found
}

#[test]
fn process_wide_state_is_only_what_the_architecture_lists() {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md");
    let text = std::fs::read_to_string(doc).expect("docs/ARCHITECTURE.md");
    let section = text
        .split("\n## Process-wide state")
        .nth(1)
        .expect("docs/ARCHITECTURE.md has a `## Process-wide state` section");
    // An entry may run over several lines: it is named with its file's entry.
    let entries: Vec<String> = section
        .split("\n- ")
        .map(|e| e.replace('\n', " "))
        .collect();
    let found = process_wide_statics(&src());
    assert!(found.len() >= 10, "the scan found {found:?}");
    let missing: Vec<String> = found
        .iter()
        .filter(|(file, name)| {
            !entries.iter().any(|e| {
                let named = format!("`{name}`");
                e.split(&format!("`{file}`"))
                    .skip(1)
                    .any(|after| after.split("`src/").next().unwrap_or("").contains(&named))
            })
        })
        .map(|(file, name)| format!("{file}: {name}"))
        .collect();
    assert!(
        missing.is_empty(),
        "process-wide state not listed, with its reason, in docs/ARCHITECTURE.md:\n{}",
        missing.join("\n")
    );
}
