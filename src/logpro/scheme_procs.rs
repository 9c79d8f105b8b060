//! logpro inside the Scheme host: rule files evaluated in steel call the logpro procedures of
//! `prelude/logpro.scm`, Scheme wrappers around one Rust procedure, `%logpro:call`, which
//! hands plain data to the same rule builder the literal reader uses.

use super::loader::call_active;
use super::model::{Op, Pattern, PatternKind};
use super::value::LValue;
use crate::model::Number;
use crate::scheme::{Datum, Extension};

/// The extension a rule file that needs Scheme gets (installed in the engine that loads
/// it).
pub(super) fn scheme_extension() -> Extension {
    Extension {
        name: "logpro",
        natives: vec![("%logpro:call", logpro_call)],
        sources: vec![(
            "prelude/logpro.scm",
            include_str!("../../prelude/logpro.scm").to_string(),
        )],
        documented: Vec::new(),
    }
}

fn to_lvalue(d: &Datum) -> LValue {
    match d {
        Datum::Str(s) => LValue::Str(s.clone()),
        Datum::Int(i) => LValue::Num(Number::Int(*i)),
        Datum::Real(f) => LValue::Num(Number::Float(*f)),
        Datum::Bool(b) => LValue::Bool(*b),
        Datum::Sym(s) => match s.strip_prefix("%op:").and_then(Op::from_name) {
            Some(op) => LValue::Op(op),
            None => LValue::Sym(s.clone()),
        },
        Datum::List(items) => LValue::List(items.iter().map(to_lvalue).collect()),
        Datum::Regex {
            source,
            flags,
            literal,
            ..
        } => LValue::Pattern(Pattern {
            kind: if *literal {
                PatternKind::Literal
            } else {
                PatternKind::Compiled
            },
            source: source.clone(),
            caseless: flags.contains('i'),
            extended: flags.contains('x'),
            utf8: flags.contains('u'),
        }),
        other => LValue::Other(other.display()),
    }
}

fn from_lvalue(v: &LValue) -> Datum {
    match v {
        LValue::Str(s) | LValue::Other(s) => Datum::Str(s.clone()),
        LValue::Num(Number::Int(i)) => Datum::Int(*i),
        LValue::Num(Number::Float(f)) => Datum::Real(*f),
        LValue::Bool(b) => Datum::Bool(*b),
        LValue::Sym(s) => Datum::Sym(s.clone()),
        LValue::List(items) => Datum::List(items.iter().map(from_lvalue).collect()),
        LValue::Op(_) | LValue::Pattern(_) => Datum::Void,
    }
}

/// `(%logpro:call name args)` → `(printed-strings result)`.
fn logpro_call(args: &[Datum]) -> Result<Datum, String> {
    let name = match args.first() {
        Some(Datum::Str(s)) => s.clone(),
        _ => return Err("%logpro:call: bad name".into()),
    };
    let values: Vec<LValue> = match args.get(1) {
        Some(Datum::List(items)) => items.iter().map(to_lvalue).collect(),
        _ => Vec::new(),
    };
    let (printed, result) = call_active(&name, values)?;
    let printed = printed.into_iter().map(Datum::Str).collect();
    Ok(Datum::List(vec![
        Datum::List(printed),
        from_lvalue(&result),
    ]))
}
