//! The Runs view's filters, all in the URL's query so a view can be shared: target and run
//! name patterns, a test pattern, states and statuses to hide, and the page of runs.

use serde::Deserialize;

/// The query of a Runs view (every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Filters {
    /// Target pattern (`%` wildcards, `/` between keys).
    #[serde(default)]
    pub(super) target: String,
    /// Run name pattern.
    #[serde(default)]
    pub(super) runname: String,
    /// Test pattern (Megatest's `-testpatt`).
    #[serde(default)]
    pub(super) testpatt: String,
    /// States and statuses to hide, comma-separated (`NOT_STARTED,PASS`).
    #[serde(default)]
    pub(super) hide: String,
    /// The page of runs (0: the newest).
    #[serde(default)]
    pub(super) page: usize,
    /// The server's token, carried along for actions.
    #[serde(default)]
    pub(super) token: String,
}

impl Filters {
    /// Whether a record in `state`/`status` is hidden.
    pub(super) fn hides(&self, state: &str, status: &str) -> bool {
        self.hide
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .any(|w| w == state || w == status)
    }

    /// The target pattern, when one is set.
    pub(super) fn target_pattern(&self) -> Option<&str> {
        Some(self.target.trim()).filter(|t| !t.is_empty())
    }

    /// The run name pattern, when one is set.
    pub(super) fn runname_pattern(&self) -> Option<&str> {
        Some(self.runname.trim()).filter(|t| !t.is_empty())
    }

    /// The test pattern, when one is set.
    pub(super) fn test_pattern(&self) -> Option<&str> {
        Some(self.testpatt.trim()).filter(|t| !t.is_empty())
    }

    /// The query string of these filters for `page`.
    pub(super) fn query(&self, page: usize) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("target", &self.target),
            ("runname", &self.runname),
            ("testpatt", &self.testpatt),
            ("hide", &self.hide),
            ("token", &self.token),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode(value)));
            }
        }
        if page > 0 {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

/// Percent-encodes a query value.
pub(super) fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_words_match_states_or_statuses() {
        let f = Filters {
            hide: "NOT_STARTED, PASS".into(),
            ..Filters::default()
        };
        assert!(f.hides("COMPLETED", "PASS"));
        assert!(f.hides("NOT_STARTED", "n/a"));
        assert!(!f.hides("COMPLETED", "FAIL"));
        assert_eq!(
            Filters {
                testpatt: "a%,b/c d".into(),
                ..Filters::default()
            }
            .query(2),
            "testpatt=a%25%2Cb%2Fc%20d&page=2"
        );
    }
}
