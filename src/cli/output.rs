//! Writing to stdout: a closed pipe (`megatest ... | head`) ends output quietly.

use std::io::Write;

/// Writes `text` to stdout; returns false if the reader went away.
pub fn print(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_ok()
}

/// Writes `line` and a newline to stdout.
pub fn println(line: &str) -> bool {
    print(&format!("{line}\n"))
}
