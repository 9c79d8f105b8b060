//! The pest grammar of the config language: classifies a line, and parses a `#{...}` form.

use pest::Parser;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "config/grammar.pest"]
struct ConfigGrammar;

/// What a (joined, expanded) line is, in Megatest's precedence order (spec §1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineKind<'a> {
    /// `# ...`: ignored, ends a multi-line value.
    Comment,
    /// Whitespace only: ignored, ends a multi-line value.
    Blank,
    /// `[configf:settings NAME VALUE]`.
    Setting { name: &'a str, value: &'a str },
    /// `[include FILE]`.
    Include { path: &'a str },
    /// `[scriptinc SCRIPT PARAMS]`.
    ScriptInc { script: &'a str, params: &'a str },
    /// `[name]`.
    Section { name: &'a str },
    /// `key [system cmd]`.
    KeySystem { key: &'a str, command: &'a str },
    /// `key` alone; the value is the trailing whitespace.
    KeyOnly { key: &'a str, trailing: &'a str },
    /// `key value`.
    KeyValue { key: &'a str, value: &'a str },
    /// An indented line: continues the previous key's value, if any.
    Continuation { indent: &'a str, rest: &'a str },
}

fn inner<'a>(pair: Pair<'a, Rule>) -> Vec<&'a str> {
    pair.into_inner().map(|p| p.as_str()).collect()
}

/// Classifies one line. Every line is some kind; `None` only if the grammar has a hole.
pub(crate) fn classify(line: &str) -> Option<LineKind<'_>> {
    let pair = ConfigGrammar::parse(Rule::line, line).ok()?.next()?;
    let rule = pair.as_rule();
    let parts = inner(pair);
    let part = |i: usize| parts.get(i).copied().unwrap_or("");
    Some(match rule {
        Rule::comment => LineKind::Comment,
        Rule::blank => LineKind::Blank,
        Rule::settings => LineKind::Setting {
            name: part(0),
            value: part(1),
        },
        Rule::include => LineKind::Include { path: part(0) },
        Rule::scriptinc => LineKind::ScriptInc {
            script: part(0),
            params: part(1),
        },
        Rule::section => LineKind::Section { name: part(0) },
        Rule::key_system => LineKind::KeySystem {
            key: part(0),
            command: part(1),
        },
        Rule::key_only => LineKind::KeyOnly {
            key: part(0),
            trailing: part(1),
        },
        Rule::key_value => LineKind::KeyValue {
            key: part(0),
            value: part(1),
        },
        Rule::continuation => LineKind::Continuation {
            indent: part(0),
            rest: part(1),
        },
        _ => return None,
    })
}

/// A `#{helper body}` form found at the start of a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Form<'a> {
    /// The helper name (`getenv`, `scheme`, ...).
    pub helper: &'a str,
    /// The text after the helper and its whitespace, up to the closing brace.
    pub body: &'a str,
    /// Byte offset of `body` from the `#{`.
    pub body_offset: usize,
    /// Byte length of the whole form, `#{` to `}`.
    pub len: usize,
}

/// How the text at a `#{` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormParse<'a> {
    /// Not a form at all (`#{` not followed by a name): literal text.
    Literal,
    /// A complete form.
    Form(Form<'a>),
    /// A helper name was read but the form does not close properly.
    Broken { helper: &'a str },
}

/// Parses the form at the start of `text`, which begins with `#{`.
pub(crate) fn parse_form(text: &str) -> FormParse<'_> {
    let Some(head) = ConfigGrammar::parse(Rule::form_head, text)
        .ok()
        .and_then(|mut p| p.next())
    else {
        return FormParse::Literal;
    };
    let helper = inner(head)[0];
    let Some(form) = ConfigGrammar::parse(Rule::form, text)
        .ok()
        .and_then(|mut p| p.next())
    else {
        return FormParse::Broken { helper };
    };
    let len = form.as_str().len();
    let body = form.into_inner().find(|p| p.as_rule() == Rule::body);
    let (body, body_offset) = match body {
        Some(b) => (b.as_str(), b.as_span().start()),
        None => ("", len - 1),
    };
    FormParse::Form(Form {
        helper,
        body,
        body_offset,
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use LineKind::*;

    #[test]
    fn every_line_kind() {
        let cases: &[(&str, LineKind)] = &[
            ("# c", Comment),
            ("   # indented comment", Comment),
            ("", Blank),
            (" \t ", Blank),
            (
                "[configf:settings trim-trailing-spaces yes]",
                Setting {
                    name: "trim-trailing-spaces",
                    value: "yes",
                },
            ),
            ("[include a b.config]  ", Include { path: "a b.config" }),
            (
                "[scriptinc ./gen.sh x y]",
                ScriptInc {
                    script: "./gen.sh",
                    params: " x y",
                },
            ),
            ("[a/b c]", Section { name: "a/b c" }),
            ("[x]y]", Section { name: "x]y" }),
            ("[include]", Section { name: "include" }),
            (
                "items [system ls /tmp]",
                KeySystem {
                    key: "items",
                    command: "ls /tmp",
                },
            ),
            (
                "B",
                KeyOnly {
                    key: "B",
                    trailing: "",
                },
            ),
            (
                "B  ",
                KeyOnly {
                    key: "B",
                    trailing: "  ",
                },
            ),
            (
                "C  two  words  ",
                KeyValue {
                    key: "C",
                    value: "two  words  ",
                },
            ),
            (
                "FOO=bar",
                KeyOnly {
                    key: "FOO=bar",
                    trailing: "",
                },
            ),
            (
                "fileexists /a/b # skip",
                KeyValue {
                    key: "fileexists",
                    value: "/a/b # skip",
                },
            ),
            (
                "   indented line",
                Continuation {
                    indent: "   ",
                    rest: "indented line",
                },
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(classify(line).as_ref(), Some(expected), "line {line:?}");
        }
    }

    #[test]
    fn forms() {
        assert_eq!(parse_form("#{(shell) x}"), FormParse::Literal);
        assert_eq!(parse_form("#{ x}"), FormParse::Literal);
        let FormParse::Form(f) = parse_form("#{getenv  HOME} tail") else {
            panic!()
        };
        assert_eq!(
            (f.helper, f.body, f.body_offset, f.len),
            ("getenv", "HOME", 10, 15)
        );
        let FormParse::Form(f) = parse_form("#{mtrah}") else {
            panic!()
        };
        assert_eq!((f.helper, f.body, f.len), ("mtrah", "", 8));
        assert_eq!(
            parse_form("#{getenv X"),
            FormParse::Broken { helper: "getenv" }
        );
        assert_eq!(
            parse_form("#{shell awk '{print}'}"),
            FormParse::Broken { helper: "shell" }
        );
    }
}
