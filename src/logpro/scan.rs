//! The line scanner (spec §3): triggers first, then the lowest-numbered matching rule of the
//! live sections counts the line; messages, hooks and the echoed line go to the outputs.

use super::hooks;
use super::html::Highlight;
use super::input::split_line;
use super::matcher::{Matcher, Prefilter};
use super::model::{Hook, RuleSet, Tolerance, Where};
use super::output::Outputs;
use crate::model::Number;
use std::collections::HashMap;
use std::io::{self, Write};

/// Regions smaller than this are scanned line by line.
const PREFILTER_MIN_BYTES: usize = 16 << 10;

/// What a value rule measured.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Measured {
    /// A number.
    Num(Number),
    /// Anything else (it counts as a failure).
    Text(String),
}

impl Measured {
    /// As reports show it.
    pub(super) fn display(&self) -> String {
        match self {
            Measured::Num(n) => n.to_string(),
            Measured::Text(t) => t.clone(),
        }
    }
}

/// A value rule's tally.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ValueState {
    /// Measurements within tolerance.
    pub pass: u64,
    /// Measurements outside it (or not numbers).
    pub fail: u64,
    /// The last measurement.
    pub last: Option<Measured>,
}

/// A rule under one of its sections, with the lines it counted there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Registration {
    /// Index into `RuleSet::rules`.
    pub rule: usize,
    /// The section.
    pub section: String,
    /// Lines counted.
    pub count: u64,
}

/// The scanner's state.
pub(super) struct Scan<'r> {
    rules: &'r RuleSet,
    matcher: Matcher,
    /// Hits each trigger has left.
    pub trigger_left: Vec<u64>,
    /// Times each trigger fired.
    pub trigger_hits: Vec<u64>,
    section_active: Vec<bool>,
    in_regs: Vec<Vec<usize>>,
    not_in_regs: Vec<Vec<usize>>,
    /// Every registration, in rule order.
    pub regs: Vec<Registration>,
    /// Lines counted by each rule, over all its sections.
    pub rule_hits: Vec<u64>,
    /// Value rules' tallies, by rule index.
    pub values: Vec<ValueState>,
    /// Hooks, as hook:add left them (one-time hooks vanish after use).
    pub hooks: HashMap<String, Hook>,
    line_no: usize,
    live: Option<Vec<bool>>,
}

impl<'r> Scan<'r> {
    /// A scanner for `rules` (already validated, so compiling cannot fail).
    pub(super) fn new(rules: &'r RuleSet) -> Result<Self, String> {
        let matcher = super::matcher::compile(rules)?;
        let mut regs = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            for section in &rule.sections {
                regs.push(Registration {
                    rule: i,
                    section: section.clone(),
                    count: 0,
                });
            }
        }
        let regs_for = |place: Where, name: &str| -> Vec<usize> {
            regs.iter()
                .enumerate()
                .filter(|(_, r)| r.section == name && rules.rules[r.rule].place == place)
                .map(|(i, _)| i)
                .collect()
        };
        let in_regs = rules
            .sections
            .iter()
            .map(|s| regs_for(Where::In, &s.name))
            .collect();
        let not_in_regs = rules
            .sections
            .iter()
            .map(|s| regs_for(Where::NotIn, &s.name))
            .collect();
        Ok(Scan {
            rules,
            trigger_left: rules.triggers.iter().map(|t| t.limit).collect(),
            trigger_hits: vec![0; rules.triggers.len()],
            section_active: vec![false; rules.sections.len()],
            in_regs,
            not_in_regs,
            regs,
            rule_hits: vec![0; rules.rules.len()],
            values: vec![ValueState::default(); rules.rules.len()],
            hooks: rules.hooks.clone(),
            matcher,
            line_no: 0,
            live: None,
        })
    }

    /// Registrations that can count the current line.
    fn live_regs(&self) -> impl Iterator<Item = usize> + '_ {
        self.section_active
            .iter()
            .enumerate()
            .flat_map(|(s, &active)| {
                if active {
                    self.in_regs[s].iter()
                } else {
                    self.not_in_regs[s].iter()
                }
            })
            .copied()
    }

    fn live_patterns(&self) -> Vec<bool> {
        let mut live = vec![false; self.matcher.owners().len()];
        for (t, range) in self.matcher.trigger_patterns.iter().enumerate() {
            if self.trigger_left[t] > 0 {
                range.clone().for_each(|i| live[i] = true);
            }
        }
        for reg in self.live_regs() {
            self.matcher.rule_patterns[self.regs[reg].rule]
                .clone()
                .for_each(|i| live[i] = true);
        }
        live
    }

    /// Scans a region of whole lines.
    pub(super) fn region(&mut self, region: &[u8], out: &mut Outputs) -> io::Result<()> {
        // The prefilter treats \n as the only terminator, so regions holding \r go line by
        // line; so do small regions, where compiling the prefilter would cost more than it saves.
        let prefilter_ok = region.len() >= PREFILTER_MIN_BYTES && !region.contains(&b'\r');
        let mut pos = 0;
        while pos < region.len() {
            if prefilter_ok {
                let live = match self.live.take() {
                    Some(l) => l,
                    None => self.live_patterns(),
                };
                let skip_to = match self.matcher.prefilter(live.clone()) {
                    Prefilter::Nothing => region.len(),
                    Prefilter::EveryLine => pos,
                    Prefilter::Regex(re) => match re.find_at(region, pos) {
                        None => region.len(),
                        Some(m) => region[..m.start()]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1)
                            .max(pos),
                    },
                };
                self.live = Some(live);
                if skip_to > pos {
                    let passed = &region[pos..skip_to];
                    self.line_no += passed.iter().filter(|&&b| b == b'\n').count();
                    if !passed.ends_with(b"\n") {
                        self.line_no += 1;
                    }
                    out.pass_through(passed)?;
                    pos = skip_to;
                    continue;
                }
            }
            let (line, next) = split_line(region, pos);
            self.line(line, out)?;
            pos = next;
        }
        Ok(())
    }

    /// Processes one line.
    pub(super) fn line(&mut self, line: &[u8], out: &mut Outputs) -> io::Result<()> {
        let n = self.line_no;
        self.line_no += 1;
        let hit = self.matcher.matches(line);
        let mut highlight = Highlight::None;
        for t in (0..self.rules.triggers.len()).rev() {
            if self.trigger_left[t] == 0
                || !self.matcher.trigger_patterns[t].clone().any(|i| hit[i])
            {
                continue;
            }
            self.trigger_left[t] -= 1;
            self.trigger_hits[t] += 1;
            self.live = None;
            let name = &self.rules.triggers[t].name;
            writeln!(out.text, "LOGPRO: hit trigger {name} on line {n}")?;
            for (s, def) in self.rules.sections.iter().enumerate() {
                if def.start == *name {
                    self.section_active[s] = true;
                } else if def.end == *name {
                    self.section_active[s] = false;
                }
            }
            highlight = Highlight::Trigger(name.clone());
        }
        let chosen = self
            .live_regs()
            .filter(|&reg| {
                self.matcher.rule_patterns[self.regs[reg].rule]
                    .clone()
                    .any(|i| hit[i])
            })
            .min_by_key(|&reg| (self.rules.rules[self.regs[reg].rule].number, reg));
        if let Some(reg) = chosen {
            highlight = self.count(reg, line, n, &hit, out)?;
        }
        out.text.write_all(line)?;
        out.text.write_all(b"\n")?;
        out.html_line(line, &highlight)
    }

    /// The chosen rule counts the line: tally, value check, message, hook.
    fn count(
        &mut self,
        reg: usize,
        line: &[u8],
        n: usize,
        hit: &[bool],
        out: &mut Outputs,
    ) -> io::Result<Highlight> {
        let r = self.regs[reg].rule;
        let rule = &self.rules.rules[r];
        self.regs[reg].count += 1;
        self.rule_hits[r] += 1;
        let section = &self.regs[reg].section;
        let captures = self.matcher.rule_patterns[r]
            .clone()
            .find(|&i| hit[i])
            .and_then(|i| self.matcher.single(i).captures(line));
        match &rule.check {
            Some(check) => {
                let measured = match captures.as_ref().map(|c| (c, c.get(check.matchnum))) {
                    Some((_, Some(m))) => {
                        let text = String::from_utf8_lossy(m.as_bytes()).into_owned();
                        Number::parse(&text).map_or(Measured::Text(text), Measured::Num)
                    }
                    Some((c, None)) if check.matchnum < c.len() => Measured::Text("#f".into()),
                    Some((c, None)) => {
                        let all: Vec<String> = c
                            .iter()
                            .map(|m| {
                                m.map_or("#f".into(), |m| {
                                    String::from_utf8_lossy(m.as_bytes()).into_owned()
                                })
                            })
                            .collect();
                        Measured::Text(format!("({})", all.join(" ")))
                    }
                    None => Measured::Text("#f".into()),
                };
                let pass = match &measured {
                    Measured::Num(m) => {
                        let (m, e) = (m.as_f64(), check.expected.as_f64());
                        match check.tolerance {
                            Tolerance::Within(t) => {
                                let t = t.as_f64();
                                e - t <= m && m <= e + t
                            }
                            Tolerance::Op(op) => op.holds(m, e),
                        }
                    }
                    Measured::Text(_) => false,
                };
                let state = &mut self.values[r];
                if pass {
                    state.pass += 1;
                } else {
                    state.fail += 1;
                }
                let verdict = if pass { "PASS" } else { "FAIL" };
                let shown = measured.display();
                state.last = Some(measured);
                match check.tolerance {
                    Tolerance::Within(_) => writeln!(
                        out.text,
                        "LOGPRO Value: {} {} +/- got {shown} which is {verdict} {} in section {section} on line {n}",
                        rule.desc, check.expected, check.expected
                    )?,
                    Tolerance::Op(op) => writeln!(
                        out.text,
                        "LOGPRO Value: {}  {} {} got {shown} which is {verdict} {} in section {section} on line {n}",
                        rule.desc,
                        op.name(),
                        check.expected,
                        check.expected
                    )?,
                }
            }
            None => writeln!(
                out.text,
                "LOGPRO {}: {} unk {} in section {section} on line {n}",
                rule.rtype.title(),
                rule.desc,
                rule.value_text
            )?,
        }
        if let Some(name) = &rule.hook
            && let Some(hook) = self.hooks.get(name).cloned()
        {
            let command = hooks::expand_rule_hook(&hook.command, line, captures.as_ref());
            let kind = if rule.rtype == super::model::RuleType::Error {
                "ERRMSG"
            } else {
                "NONERR"
            };
            writeln!(out.text, "{kind} HOOK CALLED: {command}")?;
            out.text.write_all(&hooks::run(&command)?)?;
            if hook.one_time {
                self.hooks.remove(name);
            }
        }
        Ok(Highlight::Rule {
            number: rule.number,
            hit: self.rule_hits[r],
            class: match &rule.class {
                Some(c) => format!("{} {c}", rule.rtype.key()),
                None => rule.rtype.key().to_string(),
            },
            colour: rule.rtype.colour(),
        })
    }
}
