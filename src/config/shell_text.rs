//! Putting data into text a shell will read: the quoting a `#{...}` result needs where it
//! lands is worked out from the author's text around it (plain, `'...'`, `"..."`, `$(...)`,
//! backquotes), so the shell takes the result as literal text, whatever it holds.

/// One level of the shell's quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Unquoted text: the top level, or inside `$(...)` (`subst`), with the depth of plain
    /// parentheses opened in it.
    Plain { parens: usize, subst: bool },
    /// Inside `'...'`.
    Single,
    /// Inside `"..."`.
    Double,
    /// Inside `` `...` ``, whose text the shell reads twice.
    Backtick,
}

/// Shell text built from the author's characters and data.
pub struct ShellText {
    out: String,
    stack: Vec<Frame>,
    /// The author's last character was an unused `\`.
    escaped: bool,
    /// The author's last character was `$` (so `(` opens a command substitution).
    dollar: bool,
}

impl ShellText {
    /// Empty text at the shell's top level.
    pub fn new() -> ShellText {
        ShellText {
            out: String::new(),
            stack: vec![Frame::Plain {
                parens: 0,
                subst: false,
            }],
            escaped: false,
            dollar: false,
        }
    }

    fn top(&self) -> Frame {
        *self.stack.last().expect("the top level is never popped")
    }

    fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    /// Appends the author's text, following its quoting.
    pub fn push_code(&mut self, text: &str) {
        for c in text.chars() {
            self.push_code_char(c);
        }
    }

    fn push_code_char(&mut self, c: char) {
        self.out.push(c);
        let dollar = std::mem::replace(&mut self.dollar, false);
        if std::mem::replace(&mut self.escaped, false) {
            return;
        }
        match (self.top(), c) {
            (Frame::Single, '\'') => self.pop(),
            (Frame::Single, _) => {}
            (_, '\\') => self.escaped = true,
            (Frame::Plain { .. } | Frame::Backtick, '\'') => self.stack.push(Frame::Single),
            (Frame::Plain { .. } | Frame::Backtick, '"') => self.stack.push(Frame::Double),
            (Frame::Double, '"') => self.pop(),
            (Frame::Backtick, '`') => self.pop(),
            (_, '`') => self.stack.push(Frame::Backtick),
            (_, '$') => self.dollar = true,
            (_, '(') if dollar => self.stack.push(Frame::Plain {
                parens: 0,
                subst: true,
            }),
            (Frame::Plain { parens, subst }, '(') => {
                *self.stack.last_mut().expect("not empty") = Frame::Plain {
                    parens: parens + 1,
                    subst,
                }
            }
            (Frame::Plain { parens, subst }, ')') if parens > 0 => {
                *self.stack.last_mut().expect("not empty") = Frame::Plain {
                    parens: parens - 1,
                    subst,
                }
            }
            (Frame::Plain { subst: true, .. }, ')') => self.pop(),
            _ => {}
        }
    }

    /// Appends `data` so that the shell reads it as literal text here.
    pub fn push_data(&mut self, data: &str) {
        self.dollar = false;
        if std::mem::replace(&mut self.escaped, false) {
            // The author's `\` would only have escaped the data's first character, which
            // the quoting below makes literal anyway; left in, it would escape the quote.
            self.out.pop();
        }
        let mut text = match self.top() {
            Frame::Plain { .. } | Frame::Backtick => format!("'{}'", data.replace('\'', r"'\''")),
            Frame::Single => data.replace('\'', r"'\''"),
            Frame::Double => escape(data, &['$', '`', '\\', '"']),
        };
        // Text inside backquotes is read once more: escape it for each level.
        for _ in self.stack.iter().filter(|f| **f == Frame::Backtick) {
            text = escape(&text, &['\\', '`', '$']);
        }
        self.out.push_str(&text);
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

fn escape(text: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "plain",
        "a b  c",
        "it's",
        "$(touch PWN)",
        "`touch PWN`",
        "a\"b\\c",
        "x; touch PWN",
        "a`;touch PWN;`b",
        "';touch PWN;'",
        "\\",
        "$HOME",
        "*",
        "line\nbreak",
    ];

    /// Runs `printf '[%s]'` over the text made of `before`, the data, `after`, in a scratch
    /// directory; returns what printf printed, and whether PWN appeared.
    fn shell_reads(before: &str, data: &str, after: &str) -> (String, bool) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = ShellText::new();
        text.push_code(before);
        text.push_data(data);
        text.push_code(after);
        let script = format!("printf '[%s]' {}", text.finish());
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .env("HOME", "/h")
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            dir.path().join("PWN").exists(),
        )
    }

    #[test]
    fn data_is_literal_in_every_quoting() {
        for data in HOSTILE {
            // (before, after, what printf prints; None where the shell splits the words)
            for (before, after, expect) in [
                ("", "", Some(format!("[{data}]"))),
                ("x", "y", Some(format!("[x{data}y]"))),
                ("'", "'", Some(format!("[{data}]"))),
                ("\"", "\"", Some(format!("[{data}]"))),
                ("\"$HOME/", "\"", Some(format!("[/h/{data}]"))),
                ("\"$(printf '%s' \"", "\")\"", Some(format!("[{data}]"))),
                ("\"$(printf '%s' ", ")\"", Some(format!("[{data}]"))),
                ("$(printf '%s' ", ")", None),
                ("\"`printf '%s' ", "`\"", Some(format!("[{data}]"))),
                ("`printf '%s' ", "`", None),
                ("\\", "", Some(format!("[{data}]"))),
                ("\"\\", "\"", Some(format!("[{data}]"))),
            ] {
                let (printed, pwned) = shell_reads(before, data, after);
                assert!(!pwned, "{before:?} {data:?} {after:?} ran a command");
                if let Some(expect) = expect {
                    // Command substitution drops trailing newlines; compare without them.
                    assert_eq!(
                        printed.trim_end_matches("]").trim_end().replace('\n', " "),
                        expect.trim_end_matches("]").trim_end().replace('\n', " "),
                        "{before:?} {data:?} {after:?}"
                    );
                }
            }
        }
    }
}
