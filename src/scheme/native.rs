//! Procedures other modules add to the engine without knowing steel: an [`Extension`] is a
//! set of Rust procedures over [`Datum`], a steel-free value, with the Scheme source that
//! wraps them and the documentation `help` shows. The rmt API registers its own, which every
//! engine of the thread gets (those made before, when next used); logpro's is installed only
//! in the engine that loads a rule file (`program::begin_capture`).

use super::builtins::SchemeRegex;
use crate::model::format_flonum;
use std::cell::RefCell;
use std::sync::Arc;
use steel::rerrs::{ErrorKind, SteelErr};
use steel::rvals::{FromSteelVal, IntoSteelVal, SteelVal, SteelVector};

/// A Scheme value as Rust procedures outside the host see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// Nothing worth printing.
    Void,
    /// `#t` / `#f`.
    Bool(bool),
    /// An exact integer.
    Int(i64),
    /// A flonum.
    Real(f64),
    /// A character.
    Char(char),
    /// A string.
    Str(String),
    /// A symbol (also CHICKEN suffix keywords such as `msg:`).
    Sym(String),
    /// A list.
    List(Vec<Datum>),
    /// A vector.
    Vector(Vec<Datum>),
    /// A regex (`#/.../flags`, `(regexp ...)`).
    Regex {
        /// Its source.
        source: String,
        /// Its flags (`i`, `x`, `u`).
        flags: String,
        /// Whether it matches its source literally.
        literal: bool,
        /// As `display` shows it.
        shown: String,
    },
    /// Anything else (a procedure, a hash table, ...), as `display` shows it.
    Other(String),
}

impl Datum {
    /// As Scheme's `display` shows it.
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.display_into(&mut out);
        out
    }

    fn display_into(&self, out: &mut String) {
        match self {
            Datum::Void => out.push_str("#<unspecified>"),
            Datum::Bool(true) => out.push_str("#t"),
            Datum::Bool(false) => out.push_str("#f"),
            Datum::Int(i) => out.push_str(&i.to_string()),
            Datum::Real(f) => out.push_str(&format_flonum(*f)),
            Datum::Char(c) => out.push(*c),
            Datum::Str(s) | Datum::Sym(s) | Datum::Other(s) => out.push_str(s),
            Datum::Regex { shown, .. } => out.push_str(shown),
            Datum::List(items) | Datum::Vector(items) => {
                out.push_str(if matches!(self, Datum::List(_)) {
                    "("
                } else {
                    "#("
                });
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    item.display_into(out);
                }
                out.push(')');
            }
        }
    }
}

/// A Rust procedure callable from Scheme; an `Err` is raised as a Scheme error.
pub type Native = fn(&[Datum]) -> Result<Datum, String>;

/// What a module adds to the engine.
#[derive(Clone)]
pub struct Extension {
    /// Its name, for errors and to register it once.
    pub name: &'static str,
    /// Rust procedures, by their Scheme names.
    pub natives: Vec<(&'static str, Native)>,
    /// Scheme source evaluated once the natives are defined: (name for errors, source).
    pub sources: Vec<(&'static str, String)>,
    /// Procedures `help` documents: (name, parameters, what it does).
    pub documented: Vec<(&'static str, &'static str, &'static str)>,
}

thread_local! {
    /// The extensions registered on this thread, in order (the engine is this thread's).
    static EXTENSIONS: RefCell<Vec<Extension>> = const { RefCell::new(Vec::new()) };
}

/// Registers `extension` for this thread's engines (once per name).
pub fn add_extension(extension: Extension) {
    EXTENSIONS.with(|all| {
        let mut all = all.borrow_mut();
        if !all.iter().any(|e| e.name == extension.name) {
            all.push(extension);
        }
    });
}

/// How many extensions are registered.
pub(super) fn registered() -> usize {
    EXTENSIONS.with(|all| all.borrow().len())
}

/// The extensions registered after the first `installed`, in order.
pub(super) fn registered_from(installed: usize) -> Vec<Extension> {
    EXTENSIONS.with(|all| all.borrow().iter().skip(installed).cloned().collect())
}

/// Every procedure the registered extensions document: (name, parameters, doc).
pub fn documented() -> Vec<(&'static str, &'static str, &'static str)> {
    EXTENSIONS.with(|all| {
        all.borrow()
            .iter()
            .flat_map(|e| e.documented.iter().copied())
            .collect()
    })
}

/// Deeper nesting is cut (a vector that contains itself would never end).
const DEEPEST: usize = 1000;

/// A Scheme value as a [`Datum`].
pub(super) fn to_datum(v: &SteelVal) -> Datum {
    datum_at(v, 0)
}

fn datum_at(v: &SteelVal, depth: usize) -> Datum {
    if depth > DEEPEST {
        return Datum::Other("...".into());
    }
    let all = |items: &mut dyn Iterator<Item = &SteelVal>| -> Vec<Datum> {
        items.map(|item| datum_at(item, depth + 1)).collect()
    };
    match v {
        SteelVal::BoolV(b) => Datum::Bool(*b),
        SteelVal::IntV(i) => Datum::Int(*i as i64),
        SteelVal::NumV(n) => Datum::Real(*n),
        SteelVal::CharV(c) => Datum::Char(*c),
        SteelVal::StringV(s) => Datum::Str(s.as_str().to_string()),
        SteelVal::SymbolV(s) => Datum::Sym(s.as_str().to_string()),
        SteelVal::ListV(items) => Datum::List(all(&mut items.iter())),
        SteelVal::VectorV(items) => Datum::Vector(all(&mut items.iter())),
        SteelVal::MutableVector(_) => match <Vec<SteelVal>>::from_steelval(v) {
            Ok(items) => Datum::Vector(all(&mut items.iter())),
            Err(_) => Datum::Other(super::conc::display(v)),
        },
        SteelVal::Void => Datum::Void,
        other => match SchemeRegex::from_steelval(other) {
            Ok(re) => Datum::Regex {
                source: re.source().to_string(),
                flags: re.flags().to_string(),
                literal: re.is_literal(),
                shown: super::conc::display(other),
            },
            Err(_) => Datum::Other(super::conc::display(other)),
        },
    }
}

/// A [`Datum`] as a Scheme value (a regex or another value goes back as its text).
pub(super) fn to_steel(d: Datum) -> SteelVal {
    match d {
        Datum::Void => SteelVal::Void,
        Datum::Bool(b) => SteelVal::BoolV(b),
        Datum::Int(i) => SteelVal::IntV(i as isize),
        Datum::Real(r) => SteelVal::NumV(r),
        Datum::Char(c) => SteelVal::CharV(c),
        Datum::Str(s) | Datum::Other(s) => SteelVal::StringV(s.into()),
        Datum::Regex { shown, .. } => SteelVal::StringV(shown.into()),
        Datum::Sym(s) => SteelVal::SymbolV(s.into()),
        Datum::List(items) => items
            .into_iter()
            .map(to_steel)
            .collect::<Vec<_>>()
            .into_steelval()
            .unwrap_or(SteelVal::Void),
        Datum::Vector(items) => {
            SteelVal::VectorV(items.into_iter().map(to_steel).collect::<SteelVector>())
        }
    }
}

/// `native` as a procedure value for the engine.
pub(super) fn procedure(native: Native) -> SteelVal {
    SteelVal::anonymous_boxed_function(Arc::new(move |args: &[SteelVal]| {
        let args: Vec<Datum> = args.iter().map(to_datum).collect();
        native(&args)
            .map(to_steel)
            .map_err(|message| SteelErr::new(ErrorKind::Generic, message))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cross_both_ways() {
        let d = Datum::List(vec![
            Datum::Int(1),
            Datum::Real(2.0),
            Datum::Str("s".into()),
            Datum::Vector(vec![Datum::Sym("a".into()), Datum::Bool(false)]),
        ]);
        assert_eq!(to_datum(&to_steel(d.clone())), d);
        assert_eq!(d.display(), "(1 2.0 s #(a #f))");
        assert_eq!(Datum::Char('x').display(), "x");
    }
}
