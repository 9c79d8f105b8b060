//! Item maps (spec §7.4): `REGEX REPLACEMENT` rules turning a waiting item's path into the
//! item path of the test it waits on. Each rule replaces the first match; `\1`..`\9` refer
//! to groups.

use crate::error::{Error, Result};
use regex::Regex;

/// A compiled item map.
#[derive(Debug, Clone)]
pub struct ItemMap {
    rules: Vec<(Regex, String)>,
}

impl ItemMap {
    /// Parses rule lines (`REGEX REPLACEMENT`, a missing replacement meaning `""`).
    pub fn parse(text: &str) -> Result<ItemMap> {
        let mut rules = Vec::new();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(pattern) = words.next() else {
                continue;
            };
            let replacement = words.next().unwrap_or("");
            let regex = Regex::new(pattern).map_err(|e| {
                Error::new(format!(
                    "invalid itemmap regex `{pattern}`: {}",
                    e.to_string().lines().last().unwrap_or("").trim()
                ))
            })?;
            // Megatest writes groups as \1; the regex crate wants ${1}.
            let mut rust = String::new();
            let mut chars = replacement.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, chars.peek()) {
                    ('\\', Some(d)) if d.is_ascii_digit() => {
                        rust.push_str(&format!("${{{d}}}"));
                        chars.next();
                    }
                    ('$', _) => rust.push_str("$$"),
                    _ => rust.push(c),
                }
            }
            rules.push((regex, rust));
        }
        Ok(ItemMap { rules })
    }

    /// The waited-on item path for `item_path`.
    pub fn apply(&self, item_path: &str) -> String {
        self.rules
            .iter()
            .fold(item_path.to_string(), |path, (re, to)| {
                re.replace(&path, to.as_str()).into_owned()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        let map = ItemMap::parse("(a\\d+)(b\\d+) \\2foo\\1\nb(.*) \\1p").unwrap();
        assert_eq!(map.apply("a123b321"), "321fooa123p");
        assert_eq!(
            ItemMap::parse("/.*").unwrap().apply("layout/ptran"),
            "layout"
        );
        assert_eq!(
            ItemMap::parse("(\\d+)/aa aa/\\1").unwrap().apply("1/aa"),
            "aa/1"
        );
        assert!(ItemMap::parse("(").is_err());
    }
}
