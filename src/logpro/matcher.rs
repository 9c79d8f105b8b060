//! Compiled patterns: one regex set over every pattern of every trigger and rule, the single
//! regexes for captures, and the prefilter that lets whole runs of lines through untouched.

use super::model::RuleSet;
use regex::bytes::{Regex, RegexSet, RegexSetBuilder};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;

/// Who owns a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// Trigger index.
    Trigger(usize),
    /// Rule index (into `RuleSet::rules`).
    Rule(usize),
}

/// All patterns, compiled.
pub(super) struct Matcher {
    set: RegexSet,
    /// Compiled on first use: only value rules and hooks need captures.
    singles: Vec<OnceCell<Regex>>,
    sources: Vec<String>,
    /// Pattern indices of each trigger.
    pub trigger_patterns: Vec<Range<usize>>,
    /// Pattern indices of each rule.
    pub rule_patterns: Vec<Range<usize>>,
    prefilters: HashMap<Vec<bool>, Prefilter>,
}

/// How lines can be skipped for a given set of live patterns.
#[derive(Debug, Clone)]
pub(super) enum Prefilter {
    /// No pattern can match: every line passes untouched.
    Nothing,
    /// Lines before the first match of this regex pass untouched.
    Regex(Regex),
    /// The combined regex is too large: check every line.
    EveryLine,
}

/// Patterns are validated when rules are built, so compiling cannot fail here; if it did, the
/// error names the pattern.
pub(super) fn compile(rules: &RuleSet) -> Result<Matcher, String> {
    let mut sources = Vec::new();
    let mut trigger_patterns = Vec::new();
    for trigger in &rules.triggers {
        let start = sources.len();
        sources.extend(trigger.patterns.iter().map(|p| p.effective()));
        trigger_patterns.push(start..sources.len());
    }
    let mut rule_patterns = Vec::new();
    for rule in &rules.rules {
        let start = sources.len();
        sources.extend(rule.patterns.iter().map(|p| p.effective()));
        rule_patterns.push(start..sources.len());
    }
    let set = RegexSetBuilder::new(&sources)
        .size_limit(64 << 20)
        .build()
        .map_err(|e| e.to_string())?;
    let singles = sources.iter().map(|_| OnceCell::new()).collect();
    Ok(Matcher {
        set,
        singles,
        sources,
        trigger_patterns,
        rule_patterns,
        prefilters: HashMap::new(),
    })
}

impl Matcher {
    /// Which patterns match `line`.
    pub(super) fn matches(&self, line: &[u8]) -> Vec<bool> {
        let found = self.set.matches(line);
        let mut hit = vec![false; self.sources.len()];
        for i in found.iter() {
            hit[i] = true;
        }
        hit
    }

    /// The regex of pattern `i`, for captures.
    pub(super) fn single(&self, i: usize) -> &Regex {
        self.singles[i].get_or_init(|| {
            Regex::new(&self.sources[i]).expect("every pattern compiled into the set already")
        })
    }

    /// A regex matching (at least) every line on which one of the `live` patterns matches,
    /// to search over many lines at once.
    pub(super) fn prefilter(&mut self, live: Vec<bool>) -> &Prefilter {
        let sources = &self.sources;
        self.prefilters.entry(live).or_insert_with_key(|live| {
            let parts: Vec<String> = live
                .iter()
                .zip(sources)
                .filter(|(on, _)| **on)
                .map(|(_, s)| format!("(?:{s})"))
                .collect();
            if parts.is_empty() {
                return Prefilter::Nothing;
            }
            // Multi-line so that ^ and $ meet line boundaries as they do per line.
            regex::bytes::RegexBuilder::new(&format!("(?m){}", parts.join("|")))
                .size_limit(64 << 20)
                .build()
                .map_or(Prefilter::EveryLine, Prefilter::Regex)
        })
    }

    /// Owners of the patterns, in pattern order.
    pub(super) fn owners(&self) -> Vec<Owner> {
        let mut owners = vec![Owner::Trigger(0); self.sources.len()];
        for (t, range) in self.trigger_patterns.iter().enumerate() {
            for i in range.clone() {
                owners[i] = Owner::Trigger(t);
            }
        }
        for (r, range) in self.rule_patterns.iter().enumerate() {
            for i in range.clone() {
                owners[i] = Owner::Rule(r);
            }
        }
        owners
    }
}
