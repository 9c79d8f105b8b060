//! Selectors (spec §5): test patterns, run and target patterns, tag expressions, state and
//! status filters. Test patterns have one implementation, used in memory and, through a SQL
//! function, in queries.

mod runpatt;
mod tagexpr;
mod testpatt;

pub use runpatt::{RunSelector, like_or_glob};
pub use tagexpr::TagExpr;
pub use testpatt::{Glob, TestPatterns};

/// A comma-separated `-state`/`-status` list; `None` (not given) accepts everything.
pub fn list_filter(value: Option<&str>) -> Option<Vec<String>> {
    value.map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}
