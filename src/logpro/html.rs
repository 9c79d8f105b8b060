//! The HTML report (spec §5.1). Unlike logpro 1.19, log text and cells are fully escaped.

use super::model::{RuleSet, Tolerance};
use super::scan::Scan;
use super::verdict::Verdict;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// How a log line is marked in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Highlight {
    /// Plain.
    None,
    /// A trigger fired on it.
    Trigger(String),
    /// A rule counted it (its `hit`-th line).
    Rule {
        /// Rule number.
        number: usize,
        /// Which hit of that rule.
        hit: u64,
        /// CSS classes.
        class: String,
        /// Colour used without a stylesheet.
        colour: &'static str,
    },
}

/// The report being written.
pub(super) struct Html {
    w: BufWriter<File>,
    css: bool,
}

/// Bytes that HTML text must carry as entities.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table
};

/// Writes `bytes` with `&`, `<`, `>` and `"` as entities; other bytes (invalid UTF-8
/// included) go through as they are.
pub(super) fn write_escaped(w: &mut impl Write, mut bytes: &[u8]) -> io::Result<()> {
    while let Some(i) = bytes.iter().position(|&b| SPECIAL[b as usize]) {
        w.write_all(&bytes[..i])?;
        w.write_all(match bytes[i] {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            _ => b"&quot;",
        })?;
        bytes = &bytes[i + 1..];
    }
    w.write_all(bytes)
}

/// `bytes` escaped (see [`write_escaped`]).
pub fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 8);
    write_escaped(&mut out, bytes).expect("writing to a Vec cannot fail");
    out
}

fn esc(text: &str) -> String {
    String::from_utf8_lossy(&escape(text.as_bytes())).into_owned()
}

impl Html {
    /// A report in `file`; `css` says whether `logpro_style.css` sits beside it.
    pub(super) fn new(file: File, css: bool) -> Self {
        Html {
            w: BufWriter::with_capacity(1 << 16, file),
            css,
        }
    }

    /// The page header.
    pub(super) fn header(&mut self) -> io::Result<()> {
        writeln!(self.w, "<html>")?;
        if self.css {
            writeln!(
                self.w,
                "<link rel=\"stylesheet\" type=\"text/css\" href=\"logpro_style.css\">"
            )?;
        }
        writeln!(self.w, "<header>LOGPRO RESULTS</header><body>")?;
        writeln!(self.w, "Summary is <a href=\"#summary\">here</a>")?;
        writeln!(
            self.w,
            "<br>(processed by logpro {} of megatest-rs, compatible with logpro 1.19)",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(self.w, "<hr><pre>")
    }

    /// Text printed instead of a report (a rule-file error).
    pub(super) fn text_block(&mut self, text: &str) -> io::Result<()> {
        write_escaped(&mut self.w, text.as_bytes())?;
        self.w.flush()
    }

    /// Unmarked lines, terminators included.
    pub(super) fn plain_lines(&mut self, lines: &[u8]) -> io::Result<()> {
        write_escaped(&mut self.w, lines)?;
        if !lines.ends_with(b"\n") {
            self.w.write_all(b"\n")?;
        }
        Ok(())
    }

    /// One log line.
    pub(super) fn line(&mut self, line: &[u8], highlight: &Highlight) -> io::Result<()> {
        match highlight {
            Highlight::None => {}
            Highlight::Trigger(name) => {
                let name = esc(name);
                let look = self.look(&format!("trigger {name}"), "blue");
                write!(
                    self.w,
                    "<a name=\"{name}\"></a><a href=\"#{name}_table\" {look}>"
                )?;
            }
            Highlight::Rule {
                number,
                hit,
                class,
                colour,
            } => {
                let look = self.look(&esc(class), colour);
                write!(
                    self.w,
                    "<a name=\"key_{number}_{hit}\"></a><a href=\"#key_{number}_{}\" {look}>",
                    hit + 1
                )?;
            }
        }
        write_escaped(&mut self.w, line)?;
        if *highlight != Highlight::None {
            self.w.write_all(b"</a>")?;
        }
        self.w.write_all(b"\n")
    }

    fn look(&self, class: &str, colour: &str) -> String {
        if self.css {
            format!("class=\"{class}\"")
        } else {
            format!("style=\"background-color: white; color: {colour};\"")
        }
    }

    /// The summary: trigger lines, the rule table, the exit code.
    pub(super) fn summary(
        &mut self,
        rules: &RuleSet,
        scan: &Scan<'_>,
        trigger_lines: &[String],
        verdict: &Verdict<'_>,
    ) -> io::Result<()> {
        writeln!(self.w, "<a name=\"summary\"></a>")?;
        writeln!(
            self.w,
            "==========================LOGPRO SUMMARY=========================="
        )?;
        for (t, line) in (0..rules.triggers.len()).rev().zip(trigger_lines) {
            let name = esc(&rules.triggers[t].name);
            writeln!(
                self.w,
                "<a name=\"{name}_table\" href=\"#{name}\">{}</a>",
                esc(line)
            )?;
        }
        writeln!(self.w, "</pre><p><table>")?;
        writeln!(
            self.w,
            "<tr><th>RuleNum</th><th>RuleType</th><th>Status</th><th>Comp</th><th>Count/Val</th><th>Desc</th><th>Count</th><th>Rx</th></tr>"
        )?;
        for (section, rows) in &verdict.sections {
            writeln!(
                self.w,
                "<tr><td colspan=\"11\" bgcolor=\"lightgrey\">Expects for <b>{}</b> section: </td></tr>",
                esc(section)
            )?;
            for row in rows {
                let rule = row.rule;
                let class = match &rule.class {
                    Some(c) => format!("{} {c}", rule.rtype.key()),
                    None => rule.rtype.key().to_string(),
                };
                let look = if self.css {
                    format!("class=\"{}\"", esc(&class))
                } else {
                    format!("bgcolor=\"{}\"", rule.rtype.colour())
                };
                let hits = scan.rule_hits[row.reg.rule];
                let (comp, countval, desc, count) = match &rule.check {
                    Some(check) => {
                        let last = scan.values[row.reg.rule]
                            .last
                            .as_ref()
                            .map_or("-".to_string(), |m| m.display());
                        match check.tolerance {
                            Tolerance::Within(t) => (
                                check.expected.to_string(),
                                "+/-".to_string(),
                                t.to_string(),
                                last,
                            ),
                            Tolerance::Op(op) => (
                                op.name().to_string(),
                                String::new(),
                                check.expected.to_string(),
                                last,
                            ),
                        }
                    }
                    None => (
                        super::text::comparison_symbol(rule),
                        rule.value_text.clone(),
                        rule.desc.clone(),
                        row.reg.count.to_string(),
                    ),
                };
                let rx: Vec<String> = rule.patterns.iter().map(|p| p.display()).collect();
                writeln!(
                    self.w,
                    "<tr><td {look}><a name=\"key_{n}_{next}\"></a><a href=\"#key_{n}_1\">rule-{n}</a></td><td {look}>{title}</td><td bgcolor=\"{bg}\">{status}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>\n</td></tr>",
                    esc(&comp),
                    esc(&countval),
                    esc(&desc),
                    esc(&count),
                    esc(&rx.join(", ")),
                    n = rule.number,
                    next = hits + 1,
                    title = rule.rtype.title(),
                    bg = if row.ok { "white" } else { "red" },
                    status = if row.ok { "OK" } else { "FAIL" },
                )?;
            }
        }
        writeln!(self.w, "</table>")?;
        writeln!(
            self.w,
            "<h1 class=\"exitcode\">EXIT CODE: {} ({}\n)</h1></body></html>",
            verdict.exit_code, verdict.status
        )?;
        self.w.flush()
    }
}

/// The stylesheet written beside a report when none is there.
pub(super) const STYLESHEET: &str = "body { font-family: Courier, monospace; }
table { font-family: Arial, sans-serif; border-collapse: collapse; }
td, th { border: 1px solid #ccc; padding: 2px 6px; }
.required { color: purple; }
.abort { color: crimson; }
.check { color: #c06090; }
.error { color: red; }
.warning, .required-warn { color: orange; }
.ignore { color: green; }
.note { color: #a08000; }
.waive { color: brown; }
.skip { color: #a0a030; }
.value { color: teal; }
.trigger { color: blue; }
.exitcode { font-family: Arial, sans-serif; }
";
