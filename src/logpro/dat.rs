//! The summary data file (spec §5.2), which Megatest reads with its config reader.

use super::model::Tolerance;
use super::scan::{Measured, Scan};
use super::verdict::Verdict;
use std::fmt::Write;

/// The `.dat` text: a block per value rule, then `[final]`.
pub(super) fn render(scan: &Scan<'_>, verdict: &Verdict<'_>) -> String {
    let mut out = String::new();
    for row in verdict.sections.iter().flat_map(|(_, rows)| rows) {
        let Some(check) = &row.rule.check else {
            continue;
        };
        let state = &scan.values[row.reg.rule];
        let _ = writeln!(out, "[rule-{}]", row.rule.number);
        let _ = writeln!(out, "operator {}", row.rule.place_word);
        let _ = writeln!(out, "section {}", row.reg.section);
        let _ = writeln!(out, "desc {}", row.rule.desc);
        let _ = writeln!(out, "status {}", if row.ok { "OK" } else { "FAIL" });
        let _ = writeln!(out, "expected {}", check.expected);
        let _ = writeln!(
            out,
            "measured {}",
            state
                .last
                .as_ref()
                .map_or("-".to_string(), Measured::display)
        );
        match check.tolerance {
            Tolerance::Within(t) => {
                let _ = writeln!(out, "type +/-");
                let _ = writeln!(out, "tolerance {t}");
            }
            Tolerance::Op(op) => {
                let _ = writeln!(out, "type {}", op.name());
            }
        }
        let _ = writeln!(out, "pass {}", state.pass);
        let _ = writeln!(out, "fail {}", state.fail);
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "[final]");
    let _ = writeln!(out, "exit-code {}", verdict.exit_code);
    let _ = writeln!(out, "exit-status {}", verdict.status);
    for message in &verdict.messages {
        let _ = writeln!(out, "message {message}");
    }
    out
}
