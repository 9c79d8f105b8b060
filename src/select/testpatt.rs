//! Test patterns `-testpatt P1,P2,...` (spec §5.3): `TEST[/ITEM]`, `%` (case-insensitive) or
//! `*` wildcards, the rest a regex, `~` negates one part, `test/` is the toplevel only.

use crate::error::{Error, Result};
use regex::{Regex, RegexBuilder};

/// One side (test or item) of a pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    regex: Regex,
    negated: bool,
}

impl Glob {
    /// Megatest's `glob-like-match`: `%` means anything and ignores case; otherwise `*` means
    /// anything and case counts; the rest is a regex, anchored at both ends.
    pub fn parse(text: &str) -> Result<Glob> {
        let (negated, body) = match text.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (pattern, caseless) = if body.contains('%') {
            (body.replace('%', ".*"), true)
        } else {
            (body.replace('*', ".*"), false)
        };
        let regex = RegexBuilder::new(&format!("^(?:{pattern})$"))
            .case_insensitive(caseless)
            .build()
            .map_err(|e| {
                Error::usage(format!(
                    "invalid test pattern `{text}`: {}",
                    e.to_string()
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim()
                        .trim_start_matches("error: ")
                ))
            })?;
        Ok(Glob { regex, negated })
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value) != self.negated
    }
}

/// A parsed `-testpatt`.
#[derive(Debug, Clone)]
pub struct TestPatterns {
    parts: Vec<(Glob, Glob)>,
    text: String,
}

impl TestPatterns {
    /// Parses a comma-separated list of `test[/item]` patterns.
    pub fn parse(text: &str) -> Result<TestPatterns> {
        let parts = text
            .split(',')
            .map(|p| {
                let (test, item) = match p.split_once('/') {
                    Some((t, i)) => (t, i),
                    None => (p, "%"),
                };
                Ok((Glob::parse(test)?, Glob::parse(item)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TestPatterns {
            parts,
            text: text.to_string(),
        })
    }

    /// Whether any pattern matches this test and item path.
    pub fn matches(&self, test: &str, item_path: &str) -> bool {
        self.parts
            .iter()
            .any(|(t, i)| t.matches(test) && i.matches(item_path))
    }

    /// Whether any pattern's test part matches `test` (the test is selected for a run).
    pub fn selects_test(&self, test: &str) -> bool {
        self.parts.iter().any(|(t, _)| t.matches(test))
    }

    /// Whether the patterns accept everything (`%`), so a query needs no filter.
    pub fn is_everything(&self) -> bool {
        self.text == "%" || self.text == "%/%"
    }

    /// The text it was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_vectors() {
        let cases = [
            ("abc", "abc", "", true),
            ("abc/%", "abc", "", true),
            ("ab%/c%", "abcd", "cde", true),
            ("~abc/c%", "abc", "cde", false),
            ("abc/~c%", "abc", "cde", false),
            ("a,b/c,%/d", "a", "", true),
            ("%/,%/a", "abc", "", true),
            ("%/,%/a", "def", "a", true),
            ("%/,%/a", "ghi", "b", false),
            ("%", "a", "", true),
            ("%", "a", "b", true),
            ("%/", "a", "", true),
            ("%/", "a", "b", false),
            ("", "a", "", false),
        ];
        for (patt, test, item, expected) in cases {
            let p = TestPatterns::parse(patt).unwrap();
            assert_eq!(p.matches(test, item), expected, "{patt} vs {test}/{item}");
        }
    }

    #[test]
    fn glob_like_match() {
        assert!(!Glob::parse("a*c").unwrap().matches("ABC"));
        assert!(Glob::parse("a%c").unwrap().matches("ABC"));
        assert!(Glob::parse("~abc").unwrap().matches("abcd"));
        assert!(
            Glob::parse("a.c").unwrap().matches("abc"),
            "the rest is a regex"
        );
        assert!(Glob::parse("a(").is_err());
    }
}
