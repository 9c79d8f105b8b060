//! The rule-file reader: source text into data with byte spans. It understands what logpro
//! rule files contain: `#/regex/flags` and `#r{...}` literals, strings, numbers, symbols
//! (`expires:` keywords included), `'quote`, comments, brackets.

use crate::model::Number;

/// A datum and where it was in the source.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// The datum.
    pub datum: Datum,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

/// A datum.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Datum {
    /// `(...)` or `[...]`.
    List(Vec<Node>),
    /// `#(...)`.
    Vector(Vec<Node>),
    /// A string.
    Str(String),
    /// A number.
    Num(Number),
    /// A symbol.
    Sym(String),
    /// `#t` / `#f`.
    Bool(bool),
    /// `#\c`.
    Char(char),
    /// A regex literal: body as written, flags.
    Regex {
        /// The regex, backslashes kept.
        body: String,
        /// The flag letters (`i`, `x`, `u`).
        flags: String,
    },
    /// `'datum`.
    Quote(Box<Node>),
    /// `` `datum``, `,datum`, `,@datum`: only steel can evaluate these.
    Quasi(Box<Node>),
}

/// A reading failure at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReadError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub offset: usize,
}

/// Reads every top-level datum of `source`.
pub(super) fn read_all(source: &str) -> Result<Vec<Node>, ReadError> {
    let mut reader = Reader {
        src: source,
        bytes: source.as_bytes(),
        pos: 0,
    };
    let mut nodes = Vec::new();
    loop {
        reader.skip_atmosphere()?;
        if reader.pos >= reader.bytes.len() {
            return Ok(nodes);
        }
        if matches!(reader.bytes[reader.pos], b')' | b']') {
            return Err(reader.error("unexpected closing parenthesis"));
        }
        nodes.push(reader.datum()?);
    }
}

struct Reader<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'(' | b')' | b'[' | b']' | b'"' | b';' | b'\'')
}

impl Reader<'_> {
    fn error(&self, message: &str) -> ReadError {
        ReadError {
            message: message.to_string(),
            offset: self.pos,
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Whitespace and comments (`;`, `#|...|#`, `#;datum`).
    fn skip_atmosphere(&mut self) -> Result<(), ReadError> {
        loop {
            match self.peek(0) {
                Some(b) if b.is_ascii_whitespace() => self.pos += 1,
                Some(b';') => {
                    while self.peek(0).is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                Some(b'#') if self.peek(1) == Some(b'|') => {
                    let start = self.pos;
                    let mut depth = 0;
                    loop {
                        match (self.peek(0), self.peek(1)) {
                            (Some(b'#'), Some(b'|')) => {
                                depth += 1;
                                self.pos += 2;
                            }
                            (Some(b'|'), Some(b'#')) => {
                                depth -= 1;
                                self.pos += 2;
                                if depth == 0 {
                                    break;
                                }
                            }
                            (Some(_), _) => self.pos += 1,
                            (None, _) => {
                                self.pos = start;
                                return Err(self.error("unterminated block comment"));
                            }
                        }
                    }
                }
                Some(b'#') if self.peek(1) == Some(b';') => {
                    self.pos += 2;
                    self.next_datum("`#;`")?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn datum(&mut self) -> Result<Node, ReadError> {
        let start = self.pos;
        let datum = match self.bytes[self.pos] {
            b'(' | b'[' => Datum::List(self.sequence()?),
            b'"' => Datum::Str(self.string()?),
            b'\'' => {
                self.pos += 1;
                Datum::Quote(Box::new(self.next_datum("quote")?))
            }
            b'`' | b',' => {
                self.pos += 1;
                if self.peek(0) == Some(b'@') {
                    self.pos += 1;
                }
                Datum::Quasi(Box::new(self.next_datum("quasiquote")?))
            }
            b'#' => self.hash()?,
            _ => self.atom(),
        };
        Ok(Node {
            datum,
            start,
            end: self.pos,
        })
    }

    fn next_datum(&mut self, what: &str) -> Result<Node, ReadError> {
        self.skip_atmosphere()?;
        if self.pos >= self.bytes.len() || matches!(self.bytes[self.pos], b')' | b']') {
            return Err(self.error(&format!("nothing after {what}")));
        }
        self.datum()
    }

    fn sequence(&mut self) -> Result<Vec<Node>, ReadError> {
        let open = self.pos;
        let close = if self.bytes[self.pos] == b'[' {
            b']'
        } else {
            b')'
        };
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_atmosphere()?;
            match self.peek(0) {
                None => {
                    self.pos = open;
                    return Err(self.error("unbalanced parentheses: this one is never closed"));
                }
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(b')' | b']') => {
                    return Err(self.error("mismatched closing bracket"));
                }
                Some(_) => items.push(self.datum()?),
            }
        }
    }

    fn string(&mut self) -> Result<String, ReadError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.src[self.pos..].chars().next() else {
                self.pos = open;
                return Err(self.error("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.src[self.pos..].chars().next() else {
                        continue;
                    };
                    self.pos += e.len_utf8();
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'a' => out.push('\u{7}'),
                        '0' => out.push('\0'),
                        'x' => {
                            let end = self.src[self.pos..].find(';').map(|i| self.pos + i);
                            let code = end
                                .and_then(|e| u32::from_str_radix(&self.src[self.pos..e], 16).ok());
                            match (end, code.and_then(char::from_u32)) {
                                (Some(e), Some(ch)) => {
                                    out.push(ch);
                                    self.pos = e + 1;
                                }
                                _ => out.push('x'),
                            }
                        }
                        '\n' => {
                            while self.peek(0).is_some_and(|b| b == b' ' || b == b'\t') {
                                self.pos += 1;
                            }
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }

    fn hash(&mut self) -> Result<Datum, ReadError> {
        match self.peek(1) {
            Some(b'/') => {
                self.pos += 2;
                self.regex_body(b'/')
            }
            Some(b'r')
                if self
                    .peek(2)
                    .is_some_and(|b| !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace()) =>
            {
                let open = self.bytes[self.pos + 2];
                let close = match open {
                    b'{' => b'}',
                    b'(' => b')',
                    b'[' => b']',
                    b'<' => b'>',
                    other => other,
                };
                self.pos += 3;
                self.regex_body(close)
            }
            Some(b'(') => {
                self.pos += 1;
                Ok(Datum::Vector(self.sequence()?))
            }
            Some(b'\\') => {
                self.pos += 2;
                let rest = &self.src[self.pos..];
                let Some(first) = rest.chars().next() else {
                    return Err(self.error("nothing after #\\"));
                };
                let mut len = first.len_utf8();
                if first.is_alphabetic() {
                    len += rest[len..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '-')
                        .map(char::len_utf8)
                        .sum::<usize>();
                }
                let name = &rest[..len];
                self.pos += len;
                Ok(Datum::Char(match name {
                    "space" => ' ',
                    "newline" | "nl" | "linefeed" => '\n',
                    "tab" => '\t',
                    "return" => '\r',
                    "nul" | "null" => '\0',
                    _ => first,
                }))
            }
            _ => {
                let atom = self.atom();
                Ok(match &atom {
                    Datum::Sym(s) if s == "#t" || s == "#true" => Datum::Bool(true),
                    Datum::Sym(s) if s == "#f" || s == "#false" => Datum::Bool(false),
                    Datum::Sym(s) if s.starts_with("#x") => {
                        Number::parse(s).map_or(atom.clone(), Datum::Num)
                    }
                    _ => atom,
                })
            }
        }
    }

    /// The body of a regex literal up to `close` (a backslash keeps the next character, as
    /// logpro's reader does), then up to three flag letters.
    fn regex_body(&mut self, close: u8) -> Result<Datum, ReadError> {
        let body_start = self.pos;
        loop {
            match self.peek(0) {
                None => {
                    self.pos = body_start.saturating_sub(2);
                    return Err(self.error("unterminated regex literal"));
                }
                Some(b'\\') => self.pos += 2,
                Some(b) if b == close => break,
                Some(_) => self.pos += 1,
            }
        }
        let body = self.src[body_start..self.pos.min(self.src.len())].to_string();
        self.pos += 1;
        let mut flags = String::new();
        while flags.len() < 3 {
            match self.peek(0) {
                Some(f @ (b'i' | b'x' | b'u')) => {
                    flags.push(f as char);
                    self.pos += 1;
                }
                _ => break,
            }
        }
        Ok(Datum::Regex { body, flags })
    }

    fn atom(&mut self) -> Datum {
        let start = self.pos;
        while self.peek(0).is_some_and(|b| !is_delimiter(b)) {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        match Number::parse(text) {
            Some(n) => Datum::Num(n),
            None => Datum::Sym(text.to_string()),
        }
    }
}

/// 1-based (line, column) of a byte offset.
pub(super) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    // A reading error may point into a multi-byte character: count from its start.
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Datum {
        let mut nodes = read_all(src).unwrap();
        assert_eq!(nodes.len(), 1, "{src}");
        nodes.remove(0).datum
    }

    #[test]
    fn atoms_and_literals() {
        assert_eq!(one("expires:"), Datum::Sym("expires:".into()));
        assert_eq!(one("110e9"), Datum::Num(Number::Float(110e9)));
        assert_eq!(one("-3"), Datum::Num(Number::Int(-3)));
        assert_eq!(one("#t"), Datum::Bool(true));
        assert_eq!(one("\"a\\\"b\\n\""), Datum::Str("a\"b\n".into()));
        assert_eq!(
            one(r"#/^\/\/.*error/i"),
            Datum::Regex {
                body: r"^\/\/.*error".into(),
                flags: "i".into()
            }
        );
        assert_eq!(
            one("#r{a/b}"),
            Datum::Regex {
                body: "a/b".into(),
                flags: "".into()
            }
        );
        assert_eq!(one(r"#\("), Datum::Char('('));
        assert!(matches!(one("'warning"), Datum::Quote(_)));
    }

    #[test]
    fn lists_comments_and_spans() {
        let nodes = read_all(
            "; c\n(expect:error in \"X\" ; inner\n = 0 #| block |# \"d\" #/e/)\n#;(ignored) (b)",
        )
        .unwrap();
        assert_eq!(nodes.len(), 2);
        let Datum::List(items) = &nodes[0].datum else {
            panic!()
        };
        assert_eq!(items.len(), 7);
        assert_eq!(line_col("; c\n(expect", nodes[0].start), (2, 1));
        assert_eq!(line_col("\"\u{0efe}", 2), (1, 2), "inside a character");
    }

    #[test]
    fn errors() {
        // A datum comment needs a datum, also at the end of the text or of a list.
        for text in ["#;", "(a #;)", "#; ;; c\n"] {
            let e = read_all(text).unwrap_err();
            assert!(
                e.message.contains("nothing after `#;`"),
                "{text}: {}",
                e.message
            );
        }
        let e = read_all("(a\n (b)").unwrap_err();
        assert_eq!((e.offset, e.message.contains("never closed")), (0, true));
        assert!(
            read_all("(a))")
                .unwrap_err()
                .message
                .contains("unexpected closing")
        );
        assert!(
            read_all("#/abc")
                .unwrap_err()
                .message
                .contains("unterminated regex")
        );
        assert!(
            read_all("\"abc")
                .unwrap_err()
                .message
                .contains("unterminated string")
        );
    }
}
