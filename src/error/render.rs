//! Renders an [`Error`] the way compilers do: `error: ...`, `--> file:line:col`, the line, a caret.

use super::Error;
use std::fmt::Write;

const TAB_WIDTH: usize = 4;

/// The full text of an error, ending with a newline.
pub fn render(err: &Error) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "error: {}", err.message);
    if let Some(loc) = &err.location {
        let number = loc.line.to_string();
        let pad = " ".repeat(number.len());
        let _ = writeln!(
            out,
            "{pad}--> {}:{}:{}",
            loc.file.display(),
            loc.line,
            loc.column
        );
        let _ = writeln!(out, "{pad} |");
        let (shown, caret_col) = expand_tabs(&loc.text, loc.column);
        let _ = writeln!(out, "{number} | {shown}");
        let _ = writeln!(
            out,
            "{pad} | {}{}",
            " ".repeat(caret_col.saturating_sub(1)),
            "^".repeat(loc.width.max(1))
        );
    }
    for note in &err.notes {
        let _ = writeln!(out, "  = {note}");
    }
    out
}

/// Replaces tabs by spaces so the caret lines up; returns the line and the caret's new column.
fn expand_tabs(text: &str, column: usize) -> (String, usize) {
    let mut shown = String::with_capacity(text.len());
    let mut caret_col = column;
    for (i, c) in text.chars().enumerate() {
        if c == '\t' {
            let fill = TAB_WIDTH - shown.chars().count() % TAB_WIDTH;
            shown.extend(std::iter::repeat_n(' ', fill));
            if i + 1 < column {
                caret_col += fill - 1;
            }
        } else {
            shown.push(c);
        }
    }
    (shown, caret_col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use std::path::Path;

    #[test]
    fn frame_points_at_the_column() {
        let err = Error::new("unknown helper `foo`")
            .at(Location::in_line(
                Path::new("a/megatest.config"),
                3,
                "X #{foo bar}",
                2,
                5,
            ))
            .note("expected one of: getenv");
        assert_eq!(
            render(&err),
            "error: unknown helper `foo`\n --> a/megatest.config:3:3\n  |\n3 | X #{foo bar}\n  |   ^^^^^\n  = expected one of: getenv\n"
        );
    }

    #[test]
    fn tabs_keep_the_caret_aligned() {
        let err = Error::new("x").at(Location::in_line(Path::new("f"), 12, "\tab", 1, 1));
        let text = render(&err);
        assert!(text.contains("12 |     ab\n   |     ^\n"), "{text}");
    }
}
