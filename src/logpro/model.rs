//! The rule model both loading paths build: rules, triggers, sections, hooks.

use crate::model::Number;
use std::collections::HashMap;

/// What kind of rule, which decides the tally and exit code its failure feeds (spec §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleType {
    /// `expect:error`, plain `expect`, and unknown types.
    Error,
    /// `expect:warning` / `expect:warn`.
    Warning,
    /// `expect:required`.
    Required,
    /// `expect:required-warn`.
    RequiredWarn,
    /// `expect:ignore`.
    Ignore,
    /// `expect:note`.
    Note,
    /// `expect:waive` and aliases.
    Waive,
    /// `expect:check`.
    Check,
    /// `expect:abort`.
    Abort,
    /// `expect:skip`.
    Skip,
    /// `expect:value`.
    Value,
}

/// The tallies failures go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// exit 1
    Errors,
    /// exit 2
    Warnings,
    /// exit 3
    Checks,
    /// exit 4
    Waives,
    /// exit 5
    Aborts,
    /// exit 6
    Skips,
}

impl RuleType {
    /// The type named by a `type:` value or an `expect:NAME` procedure; unknown names are errors.
    pub fn from_name(name: &str) -> RuleType {
        match name {
            "warning" | "warn" => RuleType::Warning,
            "required" => RuleType::Required,
            "required-warn" => RuleType::RequiredWarn,
            "ignore" => RuleType::Ignore,
            "note" => RuleType::Note,
            "waive" | "waived" | "waiver" => RuleType::Waive,
            "check" => RuleType::Check,
            "abort" => RuleType::Abort,
            "skip" => RuleType::Skip,
            "value" => RuleType::Value,
            _ => RuleType::Error,
        }
    }

    /// The name in reports: `Error`, `Required-warn`, ...
    pub fn title(self) -> &'static str {
        match self {
            RuleType::Error => "Error",
            RuleType::Warning => "Warning",
            RuleType::Required => "Required",
            RuleType::RequiredWarn => "Required-warn",
            RuleType::Ignore => "Ignore",
            RuleType::Note => "Note",
            RuleType::Waive => "Waive",
            RuleType::Check => "Check",
            RuleType::Abort => "Abort",
            RuleType::Skip => "Skip",
            RuleType::Value => "Value",
        }
    }

    /// The lowercase name: HTML class and `.dat` message prefix.
    pub fn key(self) -> &'static str {
        match self {
            RuleType::Error => "error",
            RuleType::Warning => "warning",
            RuleType::Required => "required",
            RuleType::RequiredWarn => "required-warn",
            RuleType::Ignore => "ignore",
            RuleType::Note => "note",
            RuleType::Waive => "waive",
            RuleType::Check => "check",
            RuleType::Abort => "abort",
            RuleType::Skip => "skip",
            RuleType::Value => "value",
        }
    }

    /// Where a failure of this rule is counted; `None` for ignore and note.
    pub fn tally(self) -> Option<Tally> {
        match self {
            RuleType::Error | RuleType::Required | RuleType::Value => Some(Tally::Errors),
            RuleType::Warning | RuleType::RequiredWarn => Some(Tally::Warnings),
            RuleType::Check => Some(Tally::Checks),
            RuleType::Waive => Some(Tally::Waives),
            RuleType::Abort => Some(Tally::Aborts),
            RuleType::Skip => Some(Tally::Skips),
            RuleType::Ignore | RuleType::Note => None,
        }
    }

    /// The colour used when there is no stylesheet.
    pub fn colour(self) -> &'static str {
        match self {
            RuleType::Error => "red",
            RuleType::Warning | RuleType::RequiredWarn => "orange",
            RuleType::Required => "purple",
            RuleType::Ignore => "green",
            RuleType::Note => "darkyellow",
            RuleType::Waive => "brown",
            RuleType::Check => "pink",
            RuleType::Abort => "crimson",
            RuleType::Skip => "#d1db64",
            RuleType::Value => "green",
        }
    }
}

/// A comparison procedure passed as a value (`=`, `>`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
}

impl Op {
    /// The operator's name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
        }
    }

    /// The operator named `name`.
    pub fn from_name(name: &str) -> Option<Op> {
        Some(match name {
            "=" => Op::Eq,
            ">" => Op::Gt,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            "<=" => Op::Le,
            _ => return None,
        })
    }

    /// As logpro 1.19's summaries print it: `>=` and `<=` swapped (quirk Q3, kept).
    pub fn summary_symbol(self) -> &'static str {
        match self {
            Op::Ge => "<=",
            Op::Le => ">=",
            other => other.name(),
        }
    }

    /// `a OP b` on numbers.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Gt => a > b,
            Op::Lt => a < b,
            Op::Ge => a >= b,
            Op::Le => a <= b,
        }
    }
}

/// The comparison of a counting rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// A comparison procedure.
    Op(Op),
    /// Anything else (e.g. the symbol `'=`): the rule always FAILs.
    Invalid(String),
}

/// How a pattern was written, which decides its display text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// `#/.../flags`: displayed as `/.../flags`.
    Literal,
    /// A plain string.
    Text,
    /// `(regexp STRING ...)`.
    Compiled,
}

/// One pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// How it was written.
    pub kind: PatternKind,
    /// The regex source.
    pub source: String,
    /// `i`: ignore ASCII case.
    pub caseless: bool,
    /// `x`: extended syntax.
    pub extended: bool,
    /// `u`: match UTF-8 characters rather than bytes.
    pub utf8: bool,
}

impl Pattern {
    /// The text reports show: `/body/flags` for literals, `no regex found` otherwise.
    pub fn display(&self) -> String {
        match self.kind {
            PatternKind::Literal => format!("/{}/{}", self.source, self.flag_letters()),
            _ => "no regex found".into(),
        }
    }

    fn flag_letters(&self) -> String {
        let mut flags = String::new();
        for (on, letter) in [(self.caseless, 'i'), (self.extended, 'x'), (self.utf8, 'u')] {
            if on {
                flags.push(letter);
            }
        }
        flags
    }

    /// The regex with its flags inline, for the bytes regex engine.
    pub fn effective(&self) -> String {
        let mut flags = String::new();
        if self.caseless {
            flags.push('i');
        }
        if self.extended {
            flags.push('x');
        }
        if !self.utf8 {
            flags.push_str("-u");
        }
        format!("(?{flags}){}", self.source)
    }

    /// As logpro prints a pattern as Scheme data (in the expired-rule message).
    pub fn scheme_data(&self) -> String {
        let b = |on: bool| if on { "#t" } else { "#f" };
        match self.kind {
            PatternKind::Literal => format!(
                "#({} #<regexp> {} {} {})",
                self.display(),
                b(self.caseless),
                b(self.extended),
                b(self.utf8)
            ),
            PatternKind::Text => self.source.clone(),
            PatternKind::Compiled => "#<regexp>".into(),
        }
    }
}

/// The tolerance of a value rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// `expected ± n`.
    Within(Number),
    /// `measured OP expected`.
    Op(Op),
}

/// What a value rule checks.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueCheck {
    /// The expected value.
    pub expected: Number,
    /// How close the measurement must be.
    pub tolerance: Tolerance,
    /// Which capture holds the number (1 by default).
    pub matchnum: usize,
}

/// Which lines a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// While its section is active.
    In,
    /// While its (defined) section is inactive.
    NotIn,
    /// `before`, `after` or anything else: never.
    Never,
}

/// One `expect*` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its number: declaration order across the waiver and rule files.
    pub number: usize,
    /// Its type.
    pub rtype: RuleType,
    /// `in` or `not-in`.
    pub place: Where,
    /// The `where` word as written, for messages.
    pub place_word: String,
    /// The sections it is registered under.
    pub sections: Vec<String>,
    /// The count comparison (counting rules).
    pub comparison: Comparison,
    /// The expected count, when it is a number.
    pub value: Option<Number>,
    /// The expected count as written.
    pub value_text: String,
    /// The description.
    pub desc: String,
    /// Its patterns; the first that matches supplies the captures.
    pub patterns: Vec<Pattern>,
    /// The hook it runs when it counts a line.
    pub hook: Option<String>,
    /// An extra HTML class (`class:`).
    pub class: Option<String>,
    /// For value rules, the check.
    pub check: Option<ValueCheck>,
}

/// A trigger: fires on a matching line while it has hits left.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// Its name, which sections refer to.
    pub name: String,
    /// Its patterns.
    pub patterns: Vec<Pattern>,
    /// How many times it may fire.
    pub limit: u64,
    /// Whether never firing shows FAIL (else OPTIONAL).
    pub required: bool,
}

/// A section: active from a firing of its start trigger until one of its end trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionDef {
    /// Its name.
    pub name: String,
    /// The trigger that opens it.
    pub start: String,
    /// The trigger that closes it.
    pub end: String,
}

/// A shell command run when a rule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The command template.
    pub command: String,
    /// Removed after its first run.
    pub one_time: bool,
}

/// Everything a rule file (and its waiver file) defined.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    /// Rules, in number order (expired ones are absent).
    pub rules: Vec<Rule>,
    /// Triggers, in definition order (the built-in `LogFileBodyStart` first).
    pub triggers: Vec<Trigger>,
    /// Sections, in definition order (the built-in `LogFileBody` first).
    pub sections: Vec<SectionDef>,
    /// Hooks by name.
    pub hooks: HashMap<String, Hook>,
    /// Whether a rule definition problem was reported while loading.
    pub command_file_error: bool,
}

/// The built-in section every rule file can use.
pub(super) const LOG_FILE_BODY: &str = "LogFileBody";

impl RuleSet {
    /// An empty set with the built-in trigger and section.
    pub fn new() -> Self {
        RuleSet {
            triggers: vec![Trigger {
                name: "LogFileBodyStart".into(),
                patterns: vec![Pattern {
                    kind: PatternKind::Literal,
                    source: ".*".into(),
                    caseless: false,
                    extended: false,
                    utf8: false,
                }],
                limit: 1,
                required: true,
            }],
            sections: vec![SectionDef {
                name: LOG_FILE_BODY.into(),
                start: "LogFileBodyStart".into(),
                end: "LogFileBodyEnd".into(),
            }],
            ..RuleSet::default()
        }
    }
}
