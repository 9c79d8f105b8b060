//! `-tagexpr T1,T2%,...` (spec §5.4): a test is allowed if any of its tags matches any pattern.

use crate::error::{Error, Result};
use regex::Regex;

/// A parsed tag expression.
#[derive(Debug, Clone)]
pub struct TagExpr {
    patterns: Vec<Regex>,
}

impl TagExpr {
    /// Parses a comma-separated list (`%` = anything, anchored, case-sensitive).
    pub fn parse(text: &str) -> Result<TagExpr> {
        let patterns = text
            .split(',')
            .map(|p| {
                Regex::new(&format!("^(?:{})$", p.trim().replace('%', ".*")))
                    .map_err(|_| Error::usage(format!("invalid tag pattern `{p}` in -tagexpr")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TagExpr { patterns })
    }

    /// Whether a test with these comma-separated tags is allowed.
    pub fn allows(&self, tags: &str) -> bool {
        tags.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .any(|tag| self.patterns.iter().any(|p| p.is_match(tag)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        let e = TagExpr::parse("fast,night%").unwrap();
        assert!(e.allows("slow,fast"));
        assert!(e.allows("nightly"));
        assert!(!e.allows("Fast"));
        assert!(!e.allows(""));
    }
}
