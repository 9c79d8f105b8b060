//! Scheme values as text, the way CHICKEN's `conc` and `display` write them: strings and
//! characters bare, `#t`/`#f`, integral floats with `.0`, lists in parentheses.

use crate::logpro::format_flonum;
use steel::rvals::SteelVal;

/// The `display` form of a value.
pub fn display(value: &SteelVal) -> String {
    let mut out = String::new();
    write_display(value, &mut out);
    out
}

fn write_display(value: &SteelVal, out: &mut String) {
    match value {
        SteelVal::StringV(s) => out.push_str(s.as_str()),
        SteelVal::SymbolV(s) => out.push_str(s.as_str()),
        SteelVal::CharV(c) => out.push(*c),
        SteelVal::BoolV(true) => out.push_str("#t"),
        SteelVal::BoolV(false) => out.push_str("#f"),
        SteelVal::IntV(n) => out.push_str(&n.to_string()),
        SteelVal::NumV(f) => out.push_str(&format_flonum(*f)),
        SteelVal::Void => out.push_str("#<unspecified>"),
        SteelVal::ListV(items) => write_sequence("(", items.iter(), out),
        SteelVal::VectorV(items) => write_sequence("#(", items.iter(), out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_sequence<'a>(open: &str, items: impl Iterator<Item = &'a SteelVal>, out: &mut String) {
    out.push_str(open);
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_display(item, out);
    }
    out.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chicken_style() {
        assert_eq!(display(&SteelVal::NumV(2.0)), "2.0");
        assert_eq!(display(&SteelVal::NumV(1e21)), "1e+21");
        assert_eq!(display(&SteelVal::BoolV(false)), "#f");
        assert_eq!(display(&SteelVal::IntV(18)), "18");
        assert_eq!(display(&SteelVal::Void), "#<unspecified>");
    }
}
