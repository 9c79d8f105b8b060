//! Where a logpro run writes: the annotated text stream and, optionally, the HTML report.

use super::html::{Highlight, Html};
use std::io::{self, BufWriter, Write};

/// The outputs of one run.
pub(super) struct Outputs<'w> {
    /// The annotated log and the text summary (stdout for the `logpro` command).
    pub text: BufWriter<Box<dyn Write + 'w>>,
    /// The HTML report, when one was asked for.
    pub html: Option<Html>,
}

impl<'w> Outputs<'w> {
    /// Outputs writing text to `text`.
    pub(super) fn new(text: Box<dyn Write + 'w>, html: Option<Html>) -> Self {
        Outputs {
            text: BufWriter::with_capacity(1 << 16, text),
            html,
        }
    }

    /// Lines no rule or trigger touched: echoed as they are (they hold no `\r`).
    pub(super) fn pass_through(&mut self, lines: &[u8]) -> io::Result<()> {
        self.text.write_all(lines)?;
        if !lines.ends_with(b"\n") {
            self.text.write_all(b"\n")?;
        }
        if let Some(html) = &mut self.html {
            html.plain_lines(lines)?;
        }
        Ok(())
    }

    /// One log line in the HTML report.
    pub(super) fn html_line(&mut self, line: &[u8], highlight: &Highlight) -> io::Result<()> {
        match &mut self.html {
            Some(html) => html.line(line, highlight),
            None => Ok(()),
        }
    }
}
