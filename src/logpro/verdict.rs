//! The end of a run (spec §1.3, §3.4): each rule's status, the tallies, the exit code.

use super::model::{Comparison, Op, Rule, RuleSet, Tally};
use super::scan::{Registration, Scan};
use crate::model::Number;

/// A rule under one section, with its status.
pub(super) struct Row<'a> {
    /// The registration.
    pub reg: &'a Registration,
    /// Its rule.
    pub rule: &'a Rule,
    /// Whether it held.
    pub ok: bool,
}

/// The outcome.
pub(super) struct Verdict<'a> {
    /// Sections in descending name order, rows by rule number.
    pub sections: Vec<(String, Vec<Row<'a>>)>,
    /// logpro's exit code.
    pub exit_code: i32,
    /// Its word: PASS, FAIL, WARN, CHECK, WAIVE, ABORT, SKIP.
    pub status: &'static str,
    /// `.dat` messages: the first failing rule, and every rule with a `class:`.
    pub messages: Vec<String>,
    /// The exit code comes only from a problem reported while loading.
    pub command_file_error: bool,
}

/// Decides the verdict.
pub(super) fn decide<'a>(rules: &'a RuleSet, scan: &'a Scan<'_>) -> Verdict<'a> {
    let mut names: Vec<&str> = scan.regs.iter().map(|r| r.section.as_str()).collect();
    names.sort_unstable_by(|a, b| b.cmp(a));
    names.dedup();
    let sections: Vec<(String, Vec<Row<'a>>)> = names
        .iter()
        .map(|name| {
            let rows = scan
                .regs
                .iter()
                .filter(|r| r.section == *name)
                .map(|reg| {
                    let rule = &rules.rules[reg.rule];
                    Row {
                        reg,
                        rule,
                        ok: holds(rule, reg, scan),
                    }
                })
                .collect();
            (name.to_string(), rows)
        })
        .collect();
    let mut tallies = [0u32; 6];
    let mut messages = Vec::new();
    let mut first_failure = true;
    for row in sections.iter().flat_map(|(_, rows)| rows) {
        let flagged = !row.ok && first_failure;
        if !row.ok {
            first_failure = false;
            if let Some(t) = row.rule.rtype.tally() {
                tallies[t as usize] += 1;
            }
        }
        if flagged || row.rule.class.is_some() {
            let message = format!("{}: {}", row.rule.rtype.key(), row.rule.desc);
            if !messages.contains(&message) {
                messages.push(message);
            }
        }
    }
    let count = |t: Tally| tallies[t as usize];
    let (exit_code, status) = if count(Tally::Skips) > 0 {
        (6, "SKIP")
    } else if count(Tally::Aborts) > 0 {
        (5, "ABORT")
    } else if count(Tally::Checks) > 0 {
        (3, "CHECK")
    } else if count(Tally::Errors) > 0 {
        (1, "FAIL")
    } else if count(Tally::Warnings) > 0 {
        (2, "WARN")
    } else if count(Tally::Waives) > 0 {
        (4, "WAIVE")
    } else if rules.command_file_error {
        (1, "FAIL")
    } else {
        (0, "PASS")
    };
    Verdict {
        sections,
        exit_code,
        status,
        messages,
        command_file_error: rules.command_file_error && tallies.iter().all(|t| *t == 0),
    }
}

fn holds(rule: &Rule, reg: &Registration, scan: &Scan<'_>) -> bool {
    if rule.check.is_some() {
        let v = &scan.values[reg.rule];
        return v.fail == 0 && v.pass > 0;
    }
    let count = reg.count;
    match (&rule.comparison, rule.value) {
        // `=` compares the objects themselves, so a float never equals a count (quirk Q8, kept).
        (Comparison::Op(Op::Eq), Some(Number::Int(v))) => count as i64 == v,
        (Comparison::Op(Op::Eq), _) => false,
        (Comparison::Op(op), Some(v)) => op.holds(count as f64, v.as_f64()),
        _ => false,
    }
}
