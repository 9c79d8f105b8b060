//! The arguments of logpro's procedures, as plain data: what both loading paths (the
//! literal reader and steel) hand to the rule builder.

use super::model::{Op, Pattern};
use crate::model::Number;

/// One argument value.
#[derive(Debug, Clone, PartialEq)]
pub enum LValue {
    /// A string.
    Str(String),
    /// A number.
    Num(Number),
    /// A symbol (`in`, `warning`, a keyword such as `expires:`).
    Sym(String),
    /// `#t` / `#f`.
    Bool(bool),
    /// A comparison procedure passed as a value.
    Op(Op),
    /// A regex.
    Pattern(Pattern),
    /// A list.
    List(Vec<LValue>),
    /// Anything else, by its display text.
    Other(String),
}

impl LValue {
    /// The keyword name (`expires`) when this is a trailing-colon keyword (`expires:`).
    pub fn keyword(&self) -> Option<&str> {
        match self {
            LValue::Sym(s)
                if s.len() > 1 && s.ends_with(':') && !s[..s.len() - 1].contains(':') =>
            {
                Some(&s[..s.len() - 1])
            }
            _ => None,
        }
    }

    /// As Scheme's `display` shows it.
    pub fn display(&self) -> String {
        match self {
            LValue::Str(s) | LValue::Sym(s) | LValue::Other(s) => s.clone(),
            LValue::Num(n) => n.to_string(),
            LValue::Bool(true) => "#t".into(),
            LValue::Bool(false) => "#f".into(),
            LValue::Op(op) => format!("#<procedure ({})>", op.name()),
            LValue::Pattern(p) => p.scheme_data(),
            LValue::List(items) => {
                let parts: Vec<String> = items.iter().map(LValue::display).collect();
                format!("({})", parts.join(" "))
            }
        }
    }
}
