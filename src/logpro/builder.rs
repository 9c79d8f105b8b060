//! Builds the [`RuleSet`] from logpro's procedure calls (spec §2), whichever path evaluated
//! the rule file: argument checks, keywords, expiry, rule numbering, load-time messages.

use super::model::{
    Comparison, Hook, Op, Pattern, PatternKind, Rule, RuleSet, RuleType, SectionDef, Tolerance,
    Trigger, ValueCheck, Where,
};
use super::value::LValue;
use crate::model::Number;
use chrono::NaiveDateTime;
use std::collections::HashMap;

/// A failure that stops loading (logpro's "Syntax error in your command file!").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LoadError {
    /// The condition message, as CHICKEN words it where the corpus shows it.
    pub message: String,
}

impl LoadError {
    fn new(message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
        }
    }

    fn arity(received: usize, expected: usize) -> Self {
        LoadError::new(format!(
            "bad argument count - received {received} but expected {expected}"
        ))
    }
}

/// The procedures of logpro's API, which a rule file may call.
pub(super) const API: &[&str] = &[
    "expect",
    "expect:error",
    "expect:warning",
    "expect:warn",
    "expect:required",
    "expect:required-warn",
    "expect:ignore",
    "expect:note",
    "expect:waive",
    "expect:waived",
    "expect:waiver",
    "expect:check",
    "expect:abort",
    "expect:skip",
    "expect:value",
    "trigger",
    "trigger-with-limit",
    "trigger:non-required",
    "section",
    "hook:add",
    "logpro:set!",
    "logpro:get",
    "logpro:unset!",
];

/// Accumulates rules as a rule file runs.
pub(super) struct Builder {
    set: RuleSet,
    next_rule: usize,
    clock: fn() -> NaiveDateTime,
    now: Option<NaiveDateTime>,
    settings: HashMap<String, LValue>,
}

impl Builder {
    /// A builder; `clock` (read at the first `expires:`) decides which dates have passed.
    pub(super) fn new(clock: fn() -> NaiveDateTime) -> Self {
        Builder {
            set: RuleSet::new(),
            next_rule: 0,
            clock,
            now: None,
            settings: HashMap::new(),
        }
    }

    /// The rules built.
    pub(super) fn finish(self) -> RuleSet {
        self.set
    }

    /// Runs API procedure `name`; returns the text it prints (in order), or the error that
    /// stops loading.
    pub(super) fn call(
        &mut self,
        name: &str,
        args: Vec<LValue>,
    ) -> Result<(Vec<String>, LValue), LoadError> {
        let mut out = Vec::new();
        let mut result = LValue::Bool(true);
        match name {
            "expect:value" => self.expect_value(args, &mut out)?,
            "trigger" => self.trigger(args, None, true)?,
            "trigger-with-limit" => {
                let mut args = args.into_iter();
                let name = args.next();
                let limit = args.next();
                let rest: Vec<LValue> = args.collect();
                let (Some(name), Some(limit)) = (name, limit) else {
                    return Err(LoadError::arity(rest.len(), 2));
                };
                let limit = match limit {
                    LValue::Num(Number::Int(n)) if n >= 0 => n as u64,
                    LValue::Num(Number::Float(f)) if f >= 0.0 => f as u64,
                    other => {
                        return Err(LoadError::new(format!(
                            "trigger-with-limit: the limit must be a number, got {}",
                            other.display()
                        )));
                    }
                };
                let mut all = vec![name];
                all.extend(rest);
                self.trigger(all, Some(limit), true)?;
            }
            "trigger:non-required" => self.trigger(args, None, false)?,
            "section" => self.section(args)?,
            "hook:add" => self.hook_add(args)?,
            "logpro:set!" => {
                if let [LValue::Str(k), v, ..] = args.as_slice() {
                    self.settings.insert(k.clone(), v.clone());
                }
            }
            "logpro:get" => {
                if let [LValue::Str(k), ..] = args.as_slice() {
                    result = self.settings.get(k).cloned().unwrap_or(LValue::Bool(false));
                }
            }
            "logpro:unset!" => {
                if let [LValue::Str(k), ..] = args.as_slice() {
                    self.settings.remove(k);
                }
            }
            expect => {
                let rtype = match expect.strip_prefix("expect:") {
                    Some(kind) => RuleType::from_name(kind),
                    None if expect == "expect" => RuleType::Error,
                    None => return Err(LoadError::new("unbound variable")),
                };
                self.expect(rtype, expect, args, &mut out)?;
            }
        }
        Ok((out, result))
    }

    fn error(&mut self, out: &mut Vec<String>, message: String) {
        self.set.command_file_error = true;
        out.push(format!("ERROR: {message}\n"));
    }

    fn expect(
        &mut self,
        default_type: RuleType,
        proc_name: &str,
        args: Vec<LValue>,
        out: &mut Vec<String>,
    ) -> Result<(), LoadError> {
        let (positional, keys) = split_keywords::<6>(args)?;
        let number = self.next_rule;
        self.next_rule += 1;
        let [place, section, comparison, value, desc, patterns] = positional;
        let rtype = match keys.get("type") {
            Some(LValue::Sym(t) | LValue::Str(t)) => RuleType::from_name(t),
            _ => default_type,
        };
        let (place, place_word) = self.place(&place, out);
        let sections = self.sections(&section, out);
        let comparison = match comparison {
            LValue::Op(op) => Comparison::Op(op),
            other => {
                self.error(out, "comparison must be one of > < >= <= or =".into());
                Comparison::Invalid(other.display())
            }
        };
        let value_number = match &value {
            LValue::Num(n) => Some(*n),
            _ => {
                self.error(out, "value must be a number".into());
                None
            }
        };
        let desc = self.description(desc, out);
        let pattern_list = self.patterns(&patterns, out)?;
        let hook = keys.get("hook").map(LValue::display);
        if let Some(expires) = keys.get("expires")
            && self.expired(expires, out)
        {
            let shown_type = if proc_name == "expect" {
                "error"
            } else {
                rtype.key()
            };
            let datas: Vec<String> = pattern_list.iter().map(Pattern::scheme_data).collect();
            out.push(format!(
                "expect:{shown_type} {} unk {} ({}) expires={} hook={}\n",
                section.display(),
                value.display(),
                datas.join(" "),
                expires.display(),
                hook.as_deref().unwrap_or("#f")
            ));
            return Ok(());
        }
        self.set.rules.push(Rule {
            number,
            rtype,
            place,
            place_word,
            sections,
            comparison,
            value: value_number,
            value_text: value.display(),
            desc,
            patterns: pattern_list,
            hook,
            class: keys.get("class").map(LValue::display),
            check: None,
        });
        Ok(())
    }

    fn expect_value(&mut self, args: Vec<LValue>, out: &mut Vec<String>) -> Result<(), LoadError> {
        let (positional, keys) = split_keywords::<6>(args)?;
        let number = self.next_rule;
        self.next_rule += 1;
        let [place, section, expected, tolerance, desc, patterns] = positional;
        let (place, place_word) = self.place(&place, out);
        let sections = self.sections(&section, out);
        let expected_number = match &expected {
            LValue::Num(n) => *n,
            _ => {
                self.error(out, "value must be a number".into());
                Number::Int(0)
            }
        };
        let tolerance = match tolerance {
            LValue::Num(n) => Tolerance::Within(n),
            LValue::Op(op) => Tolerance::Op(op),
            _ => {
                out.push("ERROR: tolerance must be a number or one of < > <= >= =\n".into());
                return Err(LoadError::new("call of non-procedure"));
            }
        };
        let desc = self.description(desc, out);
        let pattern_list = self.patterns(&patterns, out)?;
        let matchnum = match keys.get("matchnum") {
            Some(LValue::Num(Number::Int(n))) if *n >= 0 => *n as usize,
            _ => 1,
        };
        self.set.rules.push(Rule {
            number,
            rtype: RuleType::Value,
            place,
            place_word,
            sections,
            comparison: Comparison::Op(Op::Eq),
            value: Some(expected_number),
            value_text: expected.display(),
            desc,
            patterns: pattern_list,
            hook: keys.get("hook").map(LValue::display),
            class: keys.get("class").map(LValue::display),
            check: Some(ValueCheck {
                expected: expected_number,
                tolerance,
                matchnum,
            }),
        });
        Ok(())
    }

    fn description(&mut self, value: LValue, out: &mut Vec<String>) -> String {
        match value {
            LValue::Str(s) => s,
            other => {
                self.error(out, "name must be a string".into());
                other.display()
            }
        }
    }

    fn place(&mut self, value: &LValue, out: &mut Vec<String>) -> (Where, String) {
        match value {
            LValue::Sym(s) => (
                match s.as_str() {
                    "in" => Where::In,
                    "not-in" => Where::NotIn,
                    _ => Where::Never,
                },
                s.clone(),
            ),
            other => {
                self.error(out, "where must be a symbol".into());
                (Where::Never, other.display())
            }
        }
    }

    fn sections(&mut self, value: &LValue, out: &mut Vec<String>) -> Vec<String> {
        match value {
            LValue::Str(s) => vec![s.clone()],
            LValue::List(items) if items.iter().all(|i| matches!(i, LValue::Str(_))) => {
                items.iter().map(LValue::display).collect()
            }
            other => {
                self.error(out, "section must be a string or a list of strings".into());
                vec![other.display()]
            }
        }
    }

    fn patterns(
        &mut self,
        value: &LValue,
        out: &mut Vec<String>,
    ) -> Result<Vec<Pattern>, LoadError> {
        let items: Vec<&LValue> = match value {
            LValue::List(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut patterns = Vec::new();
        for item in items {
            match item {
                LValue::Pattern(p) => {
                    check_pattern(p)?;
                    patterns.push(p.clone());
                }
                LValue::Str(s) => {
                    let p = Pattern {
                        kind: PatternKind::Text,
                        source: s.clone(),
                        caseless: false,
                        extended: false,
                        utf8: false,
                    };
                    if check_pattern(&p).is_ok() {
                        patterns.push(p);
                    } else {
                        self.error(out, format!("your regex, {s}, is not valid."));
                    }
                }
                other => self.error(
                    out,
                    format!(
                        "patterns must be regexes or strings, got {}",
                        other.display()
                    ),
                ),
            }
        }
        Ok(patterns)
    }

    /// Whether an `expires:` date has passed (printing the messages logpro prints).
    fn expired(&mut self, value: &LValue, out: &mut Vec<String>) -> bool {
        let LValue::Str(text) = value else {
            self.error(
                out,
                format!(
                    "expires must be a date string MM/DD/YY, got {}",
                    value.display()
                ),
            );
            return false;
        };
        let parts: Vec<&str> = text.split('/').collect();
        let date = (parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
        .then(|| {
            let n = |i: usize| parts[i].parse::<u32>().ok();
            chrono::NaiveDate::from_ymd_opt(parts[2].parse::<i32>().ok()?, n(0)?, n(1)?)
        })
        .flatten();
        match date {
            Some(d) => {
                let now = *self.now.get_or_insert_with(self.clock);
                d.and_hms_opt(0, 0, 0).is_some_and(|start| start <= now)
            }
            None => {
                out.push(format!(
                    "WARNING: Couldn't parse date: {text}, date should be MM/DD/YY\n"
                ));
                false
            }
        }
    }

    fn trigger(
        &mut self,
        args: Vec<LValue>,
        limit: Option<u64>,
        required: bool,
    ) -> Result<(), LoadError> {
        let mut args = args.into_iter();
        let name = match args.next() {
            Some(LValue::Str(s)) => s,
            Some(other) => other.display(),
            None => return Err(LoadError::arity(0, 1)),
        };
        let mut patterns = Vec::new();
        for arg in args {
            let items = match arg {
                LValue::List(items) => items,
                single => vec![single],
            };
            for item in items {
                match item {
                    LValue::Pattern(p) => {
                        check_pattern(&p)?;
                        patterns.push(p);
                    }
                    LValue::Str(s) => {
                        let p = Pattern {
                            kind: PatternKind::Text,
                            source: s,
                            caseless: false,
                            extended: false,
                            utf8: false,
                        };
                        check_pattern(&p)?;
                        patterns.push(p);
                    }
                    other => {
                        return Err(LoadError::new(format!(
                            "trigger {name}: not a pattern: {}",
                            other.display()
                        )));
                    }
                }
            }
        }
        self.set.triggers.push(Trigger {
            name,
            patterns,
            limit: limit.unwrap_or(1),
            required,
        });
        Ok(())
    }

    fn section(&mut self, args: Vec<LValue>) -> Result<(), LoadError> {
        if args.len() != 3 {
            return Err(LoadError::arity(args.len(), 3));
        }
        let names: Vec<String> = args.iter().map(LValue::display).collect();
        let def = SectionDef {
            name: names[0].clone(),
            start: names[1].clone(),
            end: names[2].clone(),
        };
        match self.set.sections.iter_mut().find(|s| s.name == def.name) {
            Some(existing) => *existing = def,
            None => self.set.sections.push(def),
        }
        Ok(())
    }

    fn hook_add(&mut self, args: Vec<LValue>) -> Result<(), LoadError> {
        let (positional, keys) = split_keywords::<2>(args)?;
        let [name, command] = positional;
        let command = match command {
            LValue::Str(s) => s,
            other => {
                return Err(LoadError::new(format!(
                    "hook:add: the command must be a string, got {}",
                    other.display()
                )));
            }
        };
        let one_time = matches!(keys.get("one-time"), Some(v) if *v != LValue::Bool(false));
        self.set
            .hooks
            .insert(name.display(), Hook { command, one_time });
        Ok(())
    }
}

/// The `N` positional arguments, then trailing `keyword: value` pairs (unknown keywords and
/// a keyword without a value are ignored, as in logpro).
fn split_keywords<const N: usize>(
    args: Vec<LValue>,
) -> Result<([LValue; N], HashMap<String, LValue>), LoadError> {
    if args.len() < N {
        return Err(LoadError::arity(args.len(), N));
    }
    let mut args = args.into_iter();
    let positional: Vec<LValue> = args.by_ref().take(N).collect();
    let mut keys = HashMap::new();
    let rest: Vec<LValue> = args.collect();
    let mut i = 0;
    while i < rest.len() {
        if let Some(name) = rest[i].keyword() {
            if let Some(value) = rest.get(i + 1) {
                keys.insert(name.to_string(), value.clone());
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    let positional: [LValue; N] = positional.try_into().expect("exactly N taken");
    Ok((positional, keys))
}

/// A pattern whose regex does not compile stops loading, as it does in logpro.
fn check_pattern(p: &Pattern) -> Result<(), LoadError> {
    regex::bytes::Regex::new(&p.effective())
        .map(|_| ())
        .map_err(|e| {
            LoadError::new(format!(
                "invalid regex /{}/: {}",
                p.source,
                e.to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .trim_start_matches("error: ")
            ))
        })
}
