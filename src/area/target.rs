//! Targets: one value per `[fields]` key, joined with `/` (spec §5.1), and the key names.

use crate::config::Config;
use crate::environ;
use crate::error::{Error, Result};
use std::fmt;

/// Column names of the `runs` table that a `[fields]` key may not take.
const RESERVED_KEYS: &[&str] = &[
    "runname",
    "state",
    "status",
    "owner",
    "event_time",
    "comment",
    "fail_count",
    "pass_count",
    "contour",
];

/// A validated target: exactly one non-empty value per key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    values: Vec<String>,
}

impl Target {
    /// Parses `text` for `keys`; `given_with` names where it came from (`-target`, `MT_TARGET`).
    pub fn parse(text: &str, keys: &[String], given_with: &str) -> Result<Target> {
        if keys.is_empty() {
            return Err(Error::new(format!(
                "invalid target `{text}` given with {given_with}: megatest.config has no [fields] keys"
            ))
            .note("add a [fields] section naming the target keys, one per line (e.g. `platform TEXT`)"));
        }
        let values: Vec<String> = text.split('/').map(str::to_string).collect();
        if values.len() != keys.len() {
            return Err(Error::new(format!(
                "invalid target `{text}` given with {given_with}: expected {} value{} separated by `/`, got {}",
                keys.len(),
                if keys.len() == 1 { "" } else { "s" },
                values.len()
            ))
            .note(format!("the [fields] keys are {}", keys.join("/"))));
        }
        if let Some(i) = values.iter().position(String::is_empty) {
            return Err(Error::new(format!(
                "invalid target `{text}` given with {given_with}: the value for key `{}` is empty",
                keys[i]
            )));
        }
        for (key, value) in keys.iter().zip(&values) {
            if let Err(problem) = crate::model::check_component(value) {
                return Err(Error::new(format!(
                    "invalid target `{text}` given with {given_with}: the value `{}` for key `{key}` {problem}",
                    value.escape_debug()
                ))
                .note(crate::model::NAME_RULE));
            }
        }
        Ok(Target { values })
    }

    /// The values, in key order.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Exports `key=value` for every key, as Megatest does for tests and configs.
    pub fn export(&self, keys: &[String]) {
        for (key, value) in keys.iter().zip(&self.values) {
            environ::set(key, value);
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.values.join("/"))
    }
}

/// Checks a target pattern (`-target` of commands that select runs): one part per key, each
/// possibly with `%` or GLOB wildcards; `%` alone means every target.
pub fn check_target_pattern(text: &str, keys: &[String], given_with: &str) -> Result<()> {
    if text == "%" {
        return Ok(());
    }
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() != keys.len() || parts.iter().any(|p| p.is_empty()) {
        return Err(Error::new(format!(
            "invalid target pattern `{text}` given with {given_with}: expected {} parts separated by `/`",
            keys.len()
        ))
        .note(format!("the [fields] keys are {}; `%` matches any value", keys.join("/"))));
    }
    Ok(())
}

/// Checks that the `[fields]` keys can be columns of `runs` and environment variables.
pub fn validate_key_names(config: &Config) -> Result<()> {
    let Some(fields) = config.section("fields") else {
        return Ok(());
    };
    for entry in &fields.entries {
        let key = entry.key.as_str();
        let identifier = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let problem = if !identifier {
            Some("a key must be an identifier (letters, digits, `_`)")
        } else if RESERVED_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
            Some("it is a column of the runs table")
        } else {
            None
        };
        if let Some(why) = problem {
            return Err(
                Error::new(format!("invalid [fields] key `{key}`: {why}")).at(entry.location())
            );
        }
    }
    Ok(())
}

/// Megatest's `patt-list-match`: any comma-separated pattern (`%` = anything) matches the
/// whole of `item`.
pub fn pattern_list_matches(item: &str, patterns: &str) -> bool {
    patterns.split(',').any(|p| {
        let re = format!("^(?:{})$", p.replace('%', ".*"));
        regex::Regex::new(&re).is_ok_and(|r| r.is_match(item))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["sysname".into(), "fsname".into()]
    }

    #[test]
    fn targets() {
        let t = Target::parse("ubuntu/nfs", &keys(), "-target").unwrap();
        assert_eq!(t.to_string(), "ubuntu/nfs");
        let e = Target::parse("ubuntu", &keys(), "-target").unwrap_err();
        assert!(e.message.contains("expected 2 values"), "{}", e.message);
        let e = Target::parse("ubuntu/", &keys(), "-target").unwrap_err();
        assert!(e.message.contains("`fsname` is empty"), "{}", e.message);
        assert!(Target::parse("a", &[], "-target").is_err());
        let e = Target::parse("../..", &keys(), "-target").unwrap_err();
        assert!(
            e.message.contains("`..` for key `sysname` is `.` or `..`"),
            "{e}"
        );
        assert!(Target::parse("-x/y", &keys(), "-target").is_err());
    }

    #[test]
    fn pattern_lists() {
        assert!(pattern_list_matches("ubuntu/nfs", "x,ubuntu/%"));
        assert!(!pattern_list_matches("ubuntu/nfs", "ubuntu"));
        assert!(pattern_list_matches("default", "%"));
    }
}
