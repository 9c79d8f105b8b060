//! The source pre-pass run before steel reads user Scheme: rewrites CHICKEN's `#/regex/flags`
//! literals (which steel's reader lacks) into `(regex "..." "flags")` calls, and rejects
//! nesting deep enough to overflow the stack (which would abort the process).

/// Deepest bracket nesting accepted; steel's reader and compiler recurse once per level.
pub const MAX_NESTING: usize = 1000;

/// Source ready for steel, with a map back to the original offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The rewritten text.
    pub text: String,
    /// (offset in `text`, offset in the original) at every point where the two shift.
    shifts: Vec<(usize, usize)>,
}

impl Prepared {
    /// The original offset of byte `offset` of the rewritten text.
    pub fn original_offset(&self, offset: usize) -> usize {
        match self.shifts.iter().rev().find(|(new, _)| *new <= offset) {
            Some((new, old)) => old + (offset - new),
            None => offset,
        }
    }
}

/// Why the source was rejected: a message and the original byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepassError {
    /// What is wrong.
    pub message: String,
    /// Where, as a byte offset into the original source.
    pub offset: usize,
}

/// Rewrites `source` for steel.
pub fn prepare(source: &str) -> Result<Prepared, PrepassError> {
    prepare_with(source, false)
}

/// Whether a token is a CHICKEN suffix keyword (`expires:`), which steel would read as an
/// unbound symbol.
fn is_suffix_keyword(token: &str) -> bool {
    let Some(name) = token.strip_suffix(':') else {
        return false;
    };
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_token_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'(' | b')' | b'[' | b']' | b'"' | b';' | b'\'' | b'`' | b','
        )
}

/// Rewrites `source` for steel; with `quote_keywords`, suffix keywords (`expires:`) become
/// quoted symbols (`'expires:`), as logpro's procedures expect them.
pub fn prepare_with(source: &str, quote_keywords: bool) -> Result<Prepared, PrepassError> {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 16);
    let mut shifts = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut copied = 0; // bytes of `source` already copied to `out`
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b';' => i = skip_line(bytes, i),
            b'#' if bytes.get(i + 1) == Some(&b'|') => i = skip_block_comment(bytes, i),
            b'#' if bytes.get(i + 1) == Some(&b'\\') => i = skip_char_literal(source, i),
            b'#' if bytes.get(i + 1) == Some(&b'/')
                || (bytes.get(i + 1) == Some(&b'r')
                    && bytes.get(i + 2).is_some_and(|b| {
                        !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace()
                    })) =>
            {
                match regex_literal(source, i) {
                    Some((end, body, flags)) => {
                        out.push_str(&source[copied..i]);
                        shifts.push((out.len(), i));
                        out.push_str("(regex ");
                        push_string_literal(&mut out, body);
                        out.push(' ');
                        push_string_literal(&mut out, flags);
                        out.push(')');
                        shifts.push((out.len(), end));
                        copied = end;
                        i = end;
                    }
                    None => i += 2,
                }
            }
            b'(' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(PrepassError {
                        message: format!("nesting deeper than {MAX_NESTING} levels"),
                        offset: i,
                    });
                }
                i += 1;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b if quote_keywords
                && !is_token_delimiter(b)
                && (i == 0 || is_token_delimiter(bytes[i - 1])) =>
            {
                let end = bytes[i..]
                    .iter()
                    .position(|&c| is_token_delimiter(c))
                    .map_or(bytes.len(), |p| i + p);
                let quoted_already = i > 0 && bytes[i - 1] == b'\'';
                if !quoted_already && is_suffix_keyword(&source[i..end]) {
                    out.push_str(&source[copied..i]);
                    shifts.push((out.len(), i));
                    out.push('\'');
                    shifts.push((out.len(), i));
                    copied = i;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&source[copied..]);
    Ok(Prepared { text: out, shifts })
}

fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_line(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| start + p)
}

fn skip_block_comment(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'#', b'|') => {
                depth += 1;
                i += 2;
            }
            (b'|', b'#') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `#\c`, `#\(`, `#\space`: one character, then any letters of a named character.
fn skip_char_literal(source: &str, start: usize) -> usize {
    let rest = &source[start + 2..];
    let mut chars = rest.char_indices();
    match chars.next() {
        None => source.len(),
        Some((_, first)) => {
            let mut end = start + 2 + first.len_utf8();
            if first.is_alphabetic() {
                for (offset, c) in chars {
                    if !c.is_alphanumeric() && c != '-' {
                        break;
                    }
                    end = start + 2 + offset + c.len_utf8();
                }
            }
            end
        }
    }
}

/// `#/body/flags` or `#r{body}flags` starting at `start`: (end offset, body, flags), or None
/// when unterminated. A backslash keeps the next character; the flags are up to three of
/// `i`, `x`, `u`.
fn regex_literal(source: &str, start: usize) -> Option<(usize, &str, &str)> {
    let bytes = source.as_bytes();
    let (body_start, close) = if bytes[start + 1] == b'/' {
        (start + 2, b'/')
    } else {
        let close = match bytes[start + 2] {
            b'{' => b'}',
            b'(' => b')',
            b'[' => b']',
            b'<' => b'>',
            other => other,
        };
        (start + 3, close)
    };
    let mut i = body_start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == close => break,
            b'\n' => return None,
            _ => i += 1,
        }
    }
    if i >= bytes.len() {
        return None;
    }
    let body = &source[body_start..i];
    let flags_start = i + 1;
    let flags_len = bytes[flags_start..]
        .iter()
        .take(3)
        .take_while(|b| matches!(b, b'i' | b'x' | b'u'))
        .count();
    let end = flags_start + flags_len;
    Some((end, body, &source[flags_start..end]))
}

fn push_string_literal(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_literals_are_rewritten() {
        let p = prepare(r##"(list #/^\/\/.*err"or/i "#/not/" #\( ; #/c/"##).unwrap();
        assert_eq!(
            p.text,
            r##"(list (regex "^\\/\\/.*err\"or" "i") "#/not/" #\( ; #/c/"##
        );
        let after = p.text.find(" \"#/not/").unwrap();
        assert_eq!(p.original_offset(after), r#"(list #/^\/\/.*err"or/i"#.len());
    }

    #[test]
    fn keywords_and_delimited_literals() {
        let p = prepare_with(
            "(expect:error in \"x\" = 0 \"d\" #r{a/b}i expires: \"1/1/2020\" 'type: x:y)",
            true,
        )
        .unwrap();
        assert_eq!(
            p.text,
            "(expect:error in \"x\" = 0 \"d\" (regex \"a/b\" \"i\") 'expires: \"1/1/2020\" 'type: x:y)"
        );
        let at = p.text.find("'expires:").unwrap();
        assert_eq!(
            p.original_offset(at + 1),
            "(expect:error in \"x\" = 0 \"d\" #r{a/b}i ".len()
        );
        assert_eq!(prepare("(f expires:)").unwrap().text, "(f expires:)");
    }

    #[test]
    fn unterminated_literal_is_left_alone() {
        assert_eq!(prepare("(f #/abc)").unwrap().text, "(f #/abc)");
    }

    #[test]
    fn deep_nesting_is_rejected_not_fatal() {
        let deep = "(".repeat(MAX_NESTING + 1);
        let err = prepare(&deep).unwrap_err();
        assert_eq!(err.offset, MAX_NESTING);
        assert!(prepare(&"(".repeat(MAX_NESTING)).is_ok());
        assert!(prepare("\"((((\" #\\( ; ((((").is_ok());
    }
}
