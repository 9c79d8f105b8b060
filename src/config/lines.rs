//! Physical lines into logical lines: CR/LF endings and trailing-`\` joins (spec §1.1 step 1),
//! keeping enough to point an error at the physical line and column it came from.

/// A logical line: one or more physical lines joined by trailing backslashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogicalLine<'a> {
    /// The joined text.
    pub text: String,
    /// The physical lines it came from: (1-based number, text, byte offset in `text`).
    pub pieces: Vec<(u32, &'a str, usize)>,
}

impl LogicalLine<'_> {
    /// 1-based number of the first physical line.
    pub(super) fn first_line(&self) -> u32 {
        self.pieces[0].0
    }

    /// The physical line holding byte `offset` of the joined text: (number, text, offset in it).
    pub(super) fn physical(&self, offset: usize) -> (u32, &str, usize) {
        let piece = self
            .pieces
            .iter()
            .rev()
            .find(|(_, _, start)| *start <= offset)
            .unwrap_or(&self.pieces[0]);
        (piece.0, piece.1, offset - piece.2)
    }
}

/// Splits a file's text into logical lines.
pub(crate) fn logical_lines(text: &str) -> Vec<LogicalLine<'_>> {
    let mut physical = text.split('\n').enumerate().peekable();
    let mut out = Vec::new();
    // A final newline does not start another (empty) line.
    let ends_with_newline = text.ends_with('\n');
    let total = text.split('\n').count();
    while let Some((index, raw)) = physical.next() {
        if ends_with_newline && index + 1 == total {
            break;
        }
        let mut line = LogicalLine {
            text: String::new(),
            pieces: Vec::new(),
        };
        let mut current = strip_cr(raw);
        let mut number = index as u32 + 1;
        loop {
            line.pieces.push((number, current, line.text.len()));
            match current.strip_suffix('\\') {
                Some(head)
                    if physical
                        .peek()
                        .is_some_and(|(i, _)| !(ends_with_newline && i + 1 == total)) =>
                {
                    line.text.push_str(head);
                    let (next_index, next_raw) = physical.next().expect("peeked");
                    current = strip_cr(next_raw);
                    number = next_index as u32 + 1;
                }
                Some(head) => {
                    line.text.push_str(head);
                    break;
                }
                None => {
                    line.text.push_str(current);
                    break;
                }
            }
        }
        out.push(line);
    }
    out
}

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_positions() {
        let lines = logical_lines("a 1\r\nF first\\\nsecond\nlast\\\n");
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a 1", "F firstsecond", "last"]);
        assert_eq!(lines[1].first_line(), 2);
        assert_eq!(lines[1].physical(9), (3, "second", 2));
        assert_eq!(lines[1].physical(2), (2, "F first\\", 2));
    }

    #[test]
    fn no_final_newline_and_empty() {
        assert_eq!(logical_lines("x").len(), 1);
        assert!(logical_lines("").len() <= 1);
        assert_eq!(logical_lines("\n\n").len(), 2);
    }
}
