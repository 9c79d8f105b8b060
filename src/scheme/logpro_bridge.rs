//! logpro rule files evaluated in steel: the logpro procedures are Scheme wrappers around one
//! Rust procedure that converts the arguments to plain data for the shared rule builder.

use super::builtins::SchemeRegex;
use super::host::{SchemeError, with_host};
use crate::logpro::{LValue, Number, Op, Pattern, PatternKind};
use steel::rerrs::{ErrorKind, SteelErr};
use steel::rvals::{FromSteelVal, IntoSteelVal, Result, SteelVal};
use steel::steel_vm::engine::Engine;

const PRELUDE: &str = include_str!("../../prelude/logpro.scm");

fn to_lvalue(v: &SteelVal) -> LValue {
    match v {
        SteelVal::StringV(s) => LValue::Str(s.as_str().to_string()),
        SteelVal::IntV(i) => LValue::Num(Number::Int(*i as i64)),
        SteelVal::NumV(f) => LValue::Num(Number::Float(*f)),
        SteelVal::BoolV(b) => LValue::Bool(*b),
        SteelVal::SymbolV(s) => match s.as_str().strip_prefix("%op:").and_then(Op::from_name) {
            Some(op) => LValue::Op(op),
            None => LValue::Sym(s.as_str().to_string()),
        },
        SteelVal::ListV(items) => LValue::List(items.iter().map(to_lvalue).collect()),
        other => match SchemeRegex::from_steelval(other) {
            Ok(re) => LValue::Pattern(Pattern {
                kind: if re.is_literal() {
                    PatternKind::Literal
                } else {
                    PatternKind::Compiled
                },
                source: re.source().to_string(),
                caseless: re.flags().contains('i'),
                extended: re.flags().contains('x'),
                utf8: re.flags().contains('u'),
            }),
            Err(_) => LValue::Other(super::conc::display(other)),
        },
    }
}

fn from_lvalue(v: &LValue) -> SteelVal {
    match v {
        LValue::Str(s) | LValue::Other(s) => SteelVal::StringV(s.clone().into()),
        LValue::Num(Number::Int(i)) => SteelVal::IntV(*i as isize),
        LValue::Num(Number::Float(f)) => SteelVal::NumV(*f),
        LValue::Bool(b) => SteelVal::BoolV(*b),
        LValue::Sym(s) => SteelVal::SymbolV(s.clone().into()),
        LValue::List(items) => items
            .iter()
            .map(from_lvalue)
            .collect::<Vec<_>>()
            .into_steelval()
            .unwrap_or(SteelVal::Void),
        LValue::Op(_) | LValue::Pattern(_) => SteelVal::Void,
    }
}

/// `(%logpro:call name args)` → `(printed-strings result)`.
fn logpro_call(args: &[SteelVal]) -> Result<SteelVal> {
    let name = match args.first() {
        Some(SteelVal::StringV(s)) => s.as_str().to_string(),
        _ => {
            return Err(SteelErr::new(
                ErrorKind::Generic,
                "%logpro:call: bad name".into(),
            ));
        }
    };
    let values: Vec<LValue> = match args.get(1) {
        Some(SteelVal::ListV(items)) => items.iter().map(to_lvalue).collect(),
        _ => Vec::new(),
    };
    match crate::logpro::call_active(&name, values) {
        Ok((printed, result)) => {
            let printed: Vec<SteelVal> = printed
                .into_iter()
                .map(|s| SteelVal::StringV(s.into()))
                .collect();
            vec![printed.into_steelval()?, from_lvalue(&result)].into_steelval()
        }
        Err(message) => Err(SteelErr::new(ErrorKind::Generic, message)),
    }
}

fn register(engine: &mut Engine) {
    engine.register_value("%logpro:call", SteelVal::FuncV(logpro_call));
}

/// Prepares the engine for a rule file and starts capturing what it prints.
pub fn logpro_begin() -> std::result::Result<(), SchemeError> {
    with_host(|host| {
        host.extend("prelude/logpro.scm", PRELUDE, register)?;
        host.capture_output()
    })
}

/// Evaluates one top-level form of a rule file.
pub fn logpro_eval(form: &str) -> std::result::Result<(), SchemeError> {
    with_host(|host| host.eval_with(form, true).map(|_| ()))
}

/// Stops capturing; returns what the rule file printed.
pub fn logpro_end() -> String {
    with_host(|host| Ok(host.captured_output())).unwrap_or_default()
}
