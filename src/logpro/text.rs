//! The text summary after the annotated log (spec §1.4), byte-compatible with logpro 1.19
//! (its `unk`, empty `rx=` and swapped `>=`/`<=` included).

use super::hooks;
use super::model::{Comparison, Rule, RuleSet, Tolerance};
use super::output::Outputs;
use super::scan::{Measured, Scan};
use super::verdict::{Row, Verdict};
use std::io::{self, Write};

/// The comparison as summaries show it.
pub(super) fn comparison_symbol(rule: &Rule) -> String {
    match &rule.comparison {
        Comparison::Op(op) => op.summary_symbol().to_string(),
        Comparison::Invalid(text) => text.clone(),
    }
}

/// The `Trigger:` lines, newest trigger first.
pub(super) fn trigger_lines(rules: &RuleSet, scan: &Scan<'_>) -> Vec<String> {
    (0..rules.triggers.len())
        .rev()
        .map(|t| {
            let trigger = &rules.triggers[t];
            let hits = scan.trigger_hits[t];
            let status = if hits > 0 {
                "OK"
            } else if trigger.required {
                "FAIL"
            } else {
                "OPTIONAL"
            };
            format!("Trigger: {:<13} {status:>15}, count={hits}", trigger.name)
        })
        .collect()
}

fn expect_line(row: &Row<'_>, scan: &Scan<'_>) -> String {
    let rule = row.rule;
    let head = format!(
        "Expect: {:<6} {:<8} {:>2} {:<12} {:>4}",
        format!("rule-{}", rule.number),
        rule.rtype.title(),
        rule.place_word,
        row.reg.section,
        if row.ok { "OK" } else { "FAIL" }
    );
    match &rule.check {
        None => format!(
            "{head}, expected {} {} of {}, got {}, rx=",
            comparison_symbol(rule),
            rule.value_text,
            rule.desc,
            row.reg.count
        ),
        Some(check) => {
            let state = &scan.values[row.reg.rule];
            let last = state
                .last
                .as_ref()
                .map_or("-".to_string(), Measured::display);
            let rx: Vec<String> = rule.patterns.iter().map(|p| p.display()).collect();
            let expected = match check.tolerance {
                Tolerance::Within(t) => format!("{} +/- {t}", check.expected),
                Tolerance::Op(op) => format!("{}  {}", op.name(), check.expected),
            };
            format!(
                "{head}, expected {expected} got {last}, {} pass, {} fail, rx={}",
                state.pass,
                state.fail,
                rx.join(", ")
            )
        }
    }
}

/// Writes the summary, running value hooks where logpro runs them.
pub(super) fn write_summary(
    out: &mut Outputs<'_>,
    scan: &Scan<'_>,
    triggers: &[String],
    verdict: &Verdict<'_>,
) -> io::Result<()> {
    writeln!(
        out.text,
        "==========================LOGPRO SUMMARY=========================="
    )?;
    for line in triggers {
        writeln!(out.text, "{line}")?;
    }
    for (section, rows) in &verdict.sections {
        writeln!(out.text, "\nExpects for {section} section: ")?;
        for row in rows {
            let line = expect_line(row, scan);
            run_value_hook(out, row, scan)?;
            writeln!(out.text, "{line}")?;
        }
    }
    if verdict.command_file_error {
        writeln!(
            out.text,
            "ERROR: Logpro error, probably in your command file. Look carefully at prior messages to help root cause."
        )?;
    }
    Ok(())
}

fn run_value_hook(out: &mut Outputs<'_>, row: &Row<'_>, scan: &Scan<'_>) -> io::Result<()> {
    let rule = row.rule;
    let (Some(check), Some(name)) = (&rule.check, &rule.hook) else {
        return Ok(());
    };
    let Some(hook) = scan.hooks.get(name) else {
        return Ok(());
    };
    let Some(Measured::Num(measured)) = &scan.values[row.reg.rule].last else {
        return Ok(());
    };
    let tolerance = match check.tolerance {
        Tolerance::Within(t) => t.to_string(),
        Tolerance::Op(op) => op.name().to_string(),
    };
    let command = hooks::expand_value_hook(
        &hook.command,
        &[
            ("measured", measured.to_string()),
            ("message", rule.desc.clone()),
            ("expected", check.expected.to_string()),
            ("tolerance", tolerance),
        ],
    );
    writeln!(out.text, "VALUE HOOK CALLED: {command}")?;
    let printed = hooks::run(&command)?;
    out.text.write_all(&printed)
}
