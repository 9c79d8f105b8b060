//! Putting data into text a shell will read: the quoting a `#{...}` result needs where it
//! lands is worked out from the author's text around it (plain, `'...'`, `"..."`, `$(...)`,
//! backquotes), so the shell takes the result as literal text, whatever it holds. Where the
//! shell would read the data some other way (`$((...))`, `${...}`, right after a `$`, a
//! `case` or here-document inside a substitution, nested backquotes), the data is refused.

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
    /// Inside `$((...))`, with the depth of parentheses opened in it.
    Arith { parens: usize },
    /// Inside `${...}`.
    Param,
}

/// Why data cannot go where it was asked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unsafe(pub &'static str);

/// Shell text built from the author's characters and data.
pub(super) struct ShellText {
    out: String,
    stack: Vec<Frame>,
    /// The author's last character was an unused `\`.
    escaped: bool,
    /// The author's last character was `$` (so `(` opens a command substitution).
    dollar: bool,
    /// The author's last characters were `$(` (so `(` makes it arithmetic).
    subst_opened: bool,
    /// A substitution held what the tracker does not follow (`case`, `<<`, `` \` ``): its
    /// place in the text is no longer sure.
    unfollowed: bool,
    /// The author's current word, for spotting `case`.
    word: String,
}

impl ShellText {
    /// Empty text at the shell's top level.
    pub(super) fn new() -> ShellText {
        ShellText {
            out: String::new(),
            stack: vec![Frame::Plain {
                parens: 0,
                subst: false,
            }],
            escaped: false,
            dollar: false,
            subst_opened: false,
            unfollowed: false,
            word: String::new(),
        }
    }

    fn in_substitution(&self) -> bool {
        self.stack.iter().any(|f| {
            matches!(
                f,
                Frame::Backtick | Frame::Plain { subst: true, .. } | Frame::Arith { .. }
            )
        })
    }

    fn top(&self) -> Frame {
        *self.stack.last().expect("the top level is never popped")
    }

    fn set_top(&mut self, frame: Frame) {
        *self
            .stack
            .last_mut()
            .expect("the top level is never popped") = frame;
    }

    fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    /// Appends the author's text, following its quoting.
    pub(super) fn push_code(&mut self, text: &str) {
        for c in text.chars() {
            self.push_code_char(c);
        }
    }

    fn push_code_char(&mut self, c: char) {
        self.out.push(c);
        let dollar = std::mem::replace(&mut self.dollar, false);
        let subst_opened = std::mem::replace(&mut self.subst_opened, false);
        if c.is_alphanumeric() || c == '_' {
            self.word.push(c);
        } else {
            if self.word == "case" && self.in_substitution() {
                self.unfollowed = true;
            }
            self.word.clear();
        }
        if std::mem::replace(&mut self.escaped, false) {
            if c == '`' && self.stack.contains(&Frame::Backtick) {
                self.unfollowed = true;
            }
            return;
        }
        if c == '<' && self.out.ends_with("<<") && self.in_substitution() {
            self.unfollowed = true;
        }
        match (self.top(), c) {
            (Frame::Arith { parens }, '(') => self.set_top(Frame::Arith { parens: parens + 1 }),
            (Frame::Arith { parens }, ')') if parens > 0 => {
                self.set_top(Frame::Arith { parens: parens - 1 })
            }
            (Frame::Arith { .. }, ')') => self.pop(),
            (Frame::Arith { .. }, _) => {}
            (Frame::Param, '}') => self.pop(),
            (_, '{') if dollar => self.stack.push(Frame::Param),
            (Frame::Plain { subst: true, .. }, '(') if subst_opened => {
                self.stack.push(Frame::Arith { parens: 0 })
            }
            (Frame::Single, '\'') => self.pop(),
            (Frame::Single, _) => {}
            (_, '\\') => self.escaped = true,
            (Frame::Plain { .. } | Frame::Backtick, '\'') => self.stack.push(Frame::Single),
            (Frame::Plain { .. } | Frame::Backtick, '"') => self.stack.push(Frame::Double),
            (Frame::Double, '"') => self.pop(),
            (Frame::Backtick, '`') => self.pop(),
            (_, '`') => self.stack.push(Frame::Backtick),
            (_, '$') => self.dollar = true,
            (_, '(') if dollar => {
                self.stack.push(Frame::Plain {
                    parens: 0,
                    subst: true,
                });
                self.subst_opened = true;
            }
            (Frame::Plain { parens, subst }, '(') => self.set_top(Frame::Plain {
                parens: parens + 1,
                subst,
            }),
            (Frame::Plain { parens, subst }, ')') if parens > 0 => self.set_top(Frame::Plain {
                parens: parens - 1,
                subst,
            }),
            (Frame::Plain { subst: true, .. }, ')') => self.pop(),
            _ => {}
        }
    }

    /// Appends `data` so that the shell reads it as literal text here, or says why it
    /// cannot be placed here safely.
    pub(super) fn push_data(&mut self, data: &str) -> Result<(), Unsafe> {
        if self
            .stack
            .iter()
            .any(|f| matches!(f, Frame::Arith { .. } | Frame::Param))
        {
            return Err(Unsafe(
                "inside `$((...))` or `${...}`, where the shell would evaluate it",
            ));
        }
        if self.unfollowed {
            // From there on the tracker may have lost the shell's place.
            return Err(Unsafe(
                "after a `$(...)` or backquoted command holding `case`, a here-document or nested backquotes",
            ));
        }
        if std::mem::replace(&mut self.dollar, false) {
            // `$#{...}`: the author names a variable with the data; only a name will do.
            let name = data
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && data.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name {
                return Err(Unsafe("right after `$`, where only a variable name can go"));
            }
            self.out.push_str(data);
            return Ok(());
        }
        self.subst_opened = false;
        self.word.clear();
        if std::mem::replace(&mut self.escaped, false) {
            // The author's `\` would only have escaped the data's first character, which
            // the quoting below makes literal anyway; left in, it would escape the quote.
            self.out.pop();
        }
        let mut text = match self.top() {
            Frame::Single => data.replace('\'', r"'\''"),
            Frame::Double => escape(data, &['$', '`', '\\', '"']),
            _ => format!("'{}'", data.replace('\'', r"'\''")),
        };
        // Text inside backquotes is read once more: escape it for each level.
        for _ in self.stack.iter().filter(|f| **f == Frame::Backtick) {
            text = escape(&text, &['\\', '`', '$']);
        }
        self.out.push_str(&text);
        Ok(())
    }

    /// The text.
    pub(super) fn finish(self) -> String {
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
        text.push_data(data).unwrap();
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
    fn data_is_refused_where_the_shell_would_evaluate_it() {
        for before in [
            "$(( ",
            "\"$(( 1 + ",
            "\"${V:-\"",
            "${",
            "$",
            "\"$(case a in a) echo ",
            "$(cat <<EOF\n",
            "`a \\`b ",
        ] {
            let mut text = ShellText::new();
            text.push_code(before);
            assert!(text.push_data("x;touch PWN").is_err(), "{before:?}");
        }
        let mut text = ShellText::new();
        text.push_code("$");
        assert_eq!(text.push_data("HOME"), Ok(()), "a variable name after `$`");
        assert_eq!(text.finish(), "$HOME");
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
