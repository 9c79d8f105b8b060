//! What rustyline needs from the REPL: a form is complete when steel's reader says so
//! (brackets inside strings and comments included), and names complete with Tab.

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

/// The REPL's line-editor helper.
pub(super) struct ReplHelper {
    /// The names to complete, asked for at each Tab: the first loads every built-in
    /// source, which the first prompt need not wait for, and names defined since complete.
    names: fn() -> Vec<String>,
}

impl ReplHelper {
    /// A helper completing the names `names` gives.
    pub(super) fn new(names: fn() -> Vec<String>) -> Self {
        ReplHelper { names }
    }
}

/// Where the word ending at `pos` starts.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .rfind(|c: char| c.is_whitespace() || "()[]'`,\"".contains(c))
        .map_or(0, |i| i + 1)
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let start = word_start(line, pos);
        let prefix = &line[start..pos];
        if prefix.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let found = (self.names)()
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .collect();
        Ok((start, found))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if crate::scheme::input_is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_start_after_brackets_and_quotes() {
        assert_eq!(word_start("(rmt:get", 8), 1);
        assert_eq!(word_start("(list 'ab", 9), 7);
        assert_eq!(word_start("abc", 3), 0);
    }
}
