//! The REPL loop, `-load FILE` and a script read from stdin.

use super::editor::ReplHelper;
use crate::area::Area;
use crate::error::{Error, ErrorKind, Result};
use crate::{error::exit_code, scheme};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

const PROMPT: &str = "megatest> ";

/// Scheme for the REPL (`program` false: no time bound) or a program (`-load`, a script:
/// [`scheme::PROGRAM_TIMEOUT`]); `MEGATEST_SCHEME_TIMEOUT` overrides both.
fn scheme_setup(area: Option<&Area>, program: bool) -> Result<()> {
    let bound = program.then_some(scheme::PROGRAM_TIMEOUT);
    match area {
        Some(area) => {
            crate::api::install(area);
            scheme::enter_area(scheme_area(area), bound)
        }
        None => scheme::make_interactive(bound),
    }
    .map_err(|e| Error::of(ErrorKind::Scheme, e.message))?;
    scheme::load_megatestrc();
    Ok(())
}

/// What Scheme is told of `area`; its link tree is `[setup] linktree`, else `<area>/lt`.
fn scheme_area(area: &Area) -> scheme::SchemeArea {
    let linktree = match area
        .config
        .get("setup", "linktree")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(dir) => area.top.join(dir),
        None => area.top.join("lt"),
    };
    scheme::SchemeArea {
        top: area.top.clone(),
        config: area.config.section_lists(),
        tests: area.tests().into_iter().collect(),
        linktree,
    }
}

/// Evaluates `text` and prints its values (or the error); true when it succeeded.
fn eval_and_print(text: &str, name: &Path) -> bool {
    match scheme::eval_toplevel(text) {
        Ok(values) => {
            let mut out = std::io::stdout().lock();
            for v in values {
                let _ = writeln!(out, "{v}");
            }
            let _ = out.flush();
            true
        }
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprint!(
                "{}",
                crate::error::render(&scheme::located_error(&e, name, text))
            );
            false
        }
    }
}

fn history_path() -> Option<PathBuf> {
    crate::environ::var("HOME").map(|h| Path::new(&h).join(".megatest_history"))
}

/// `megatest -repl`: reads forms until Ctrl-D, prints each value; errors and Ctrl-C during an
/// evaluation come back to the prompt.
pub fn repl(area: Option<&Area>) -> Result<i32> {
    crate::sys::catch_ctrl_c();
    scheme_setup(area, false)?;
    let name = Path::new("<repl>");
    if !std::io::stdin().is_terminal() {
        return piped(name);
    }
    let config = Config::builder().auto_add_history(false).build();
    let mut editor: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)
        .map_err(|e| Error::new(format!("cannot start the line editor: {e}")))?;
    editor.set_helper(Some(ReplHelper::new(scheme::completion_names)));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    loop {
        match editor.readline(PROMPT) {
            Ok(text) => {
                if text.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(text.as_str());
                if let Some(path) = &history {
                    let _ = editor.save_history(path);
                }
                eval_and_print(&text, name);
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => {
                crate::output::stdout::println("");
                return Ok(exit_code::SUCCESS);
            }
            Err(e) => return Err(Error::new(format!("cannot read the terminal: {e}"))),
        }
    }
}

/// The REPL on a pipe: no prompt, forms may span lines.
fn piped(name: &Path) -> Result<i32> {
    let mut pending = String::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| Error::new(format!("cannot read stdin: {e}")))?;
        pending.push_str(&line);
        pending.push('\n');
        if pending.trim().is_empty() || scheme::input_is_incomplete(&pending) {
            continue;
        }
        eval_and_print(&pending, name);
        pending.clear();
    }
    if !pending.trim().is_empty() {
        eval_and_print(&pending, name);
    }
    Ok(exit_code::SUCCESS)
}

/// Evaluates a whole program; exit 0, or 1 after printing the error.
fn run_program(source: &str, name: &Path) -> Result<i32> {
    match scheme::eval_toplevel(source) {
        Ok(_) => {
            let _ = std::io::stdout().flush();
            Ok(exit_code::SUCCESS)
        }
        Err(e) => {
            let _ = std::io::stdout().flush();
            Err(scheme::located_error(&e, name, source))
        }
    }
}

/// `megatest -load FILE`.
pub fn load_file(area: Option<&Area>, file: &Path) -> Result<i32> {
    let source = std::fs::read_to_string(file).map_err(|e| {
        Error::of(
            ErrorKind::Io,
            format!(
                "cannot read `{}` given with -load: {}",
                file.display(),
                crate::sys::io_reason(&e)
            ),
        )
    })?;
    crate::sys::catch_ctrl_c();
    scheme_setup(area, true)?;
    run_program(&source, file)
}

/// `MT_RUNSCRIPT=yes megatest < script`.
pub fn run_script(area: Option<&Area>) -> Result<i32> {
    let mut source = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut source)
        .map_err(|e| Error::new(format!("cannot read the script from stdin: {e}")))?;
    crate::sys::catch_ctrl_c();
    scheme_setup(area, true)?;
    run_program(&source, Path::new("<stdin>"))
}
