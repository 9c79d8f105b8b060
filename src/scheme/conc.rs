//! Scheme values as text, the way CHICKEN's `conc`, `display` and `write` show them: strings
//! and characters bare (or quoted, for `write`), `#t`/`#f`, integral floats with `.0`, lists
//! in parentheses, vectors as `#(...)`.

use crate::model::format_flonum;
use steel::rvals::SteelVal;

/// The `display` form of a value.
pub fn display(value: &SteelVal) -> String {
    let mut out = String::new();
    write_display(value, &mut out);
    out
}

/// The `write` form of a value: what the REPL prints, readable back.
pub(super) fn written(value: &SteelVal) -> String {
    let mut out = String::new();
    write_value(value, &mut out, true);
    out
}

fn write_display(value: &SteelVal, out: &mut String) {
    write_value(value, out, false);
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Deeper nesting, or a longer text, is cut with `...`: a vector that contains itself
/// would otherwise never end (or end the process with its stack).
const DEEPEST: usize = 1000;
const LONGEST: usize = 16 << 20;

fn write_value(value: &SteelVal, out: &mut String, quoted: bool) {
    write_nested(value, out, quoted, 0);
}

fn write_nested(value: &SteelVal, out: &mut String, quoted: bool, depth: usize) {
    if depth > DEEPEST || out.len() > LONGEST {
        if !out.ends_with("...") {
            out.push_str("...");
        }
        return;
    }
    match value {
        SteelVal::StringV(s) if quoted => write_string(s.as_str(), out),
        SteelVal::CharV(c) if quoted => match c {
            ' ' => out.push_str("#\\space"),
            '\n' => out.push_str("#\\newline"),
            c => {
                out.push_str("#\\");
                out.push(*c);
            }
        },
        SteelVal::StringV(s) => out.push_str(s.as_str()),
        SteelVal::SymbolV(s) => out.push_str(s.as_str()),
        SteelVal::CharV(c) => out.push(*c),
        SteelVal::BoolV(true) => out.push_str("#t"),
        SteelVal::BoolV(false) => out.push_str("#f"),
        SteelVal::IntV(n) => out.push_str(&n.to_string()),
        SteelVal::NumV(f) => out.push_str(&format_flonum(*f)),
        SteelVal::Void => out.push_str("#<unspecified>"),
        SteelVal::ListV(items) => write_sequence("(", items.iter(), out, quoted, depth),
        SteelVal::VectorV(items) => write_sequence("#(", items.iter(), out, quoted, depth),
        SteelVal::MutableVector(_) => {
            match <Vec<SteelVal> as steel::rvals::FromSteelVal>::from_steelval(value) {
                Ok(items) => write_sequence("#(", items.iter(), out, quoted, depth),
                Err(_) => out.push_str(&value.to_string()),
            }
        }
        other => out.push_str(&other.to_string()),
    }
}

fn write_sequence<'a>(
    open: &str,
    items: impl Iterator<Item = &'a SteelVal>,
    out: &mut String,
    quoted: bool,
    depth: usize,
) {
    out.push_str(open);
    for (i, item) in items.enumerate() {
        if out.len() > LONGEST {
            break;
        }
        if i > 0 {
            out.push(' ');
        }
        write_nested(item, out, quoted, depth + 1);
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

    #[test]
    fn very_deep_nesting_is_cut() {
        let mut value = SteelVal::IntV(1);
        for _ in 0..5000 {
            value = SteelVal::ListV(vec![value].into());
        }
        let text = written(&value);
        assert!(text.contains("..."));
        assert!(text.len() < 10_000, "{}", text.len());
    }

    #[test]
    fn written_values_read_back() {
        let list = SteelVal::ListV(
            vec![
                SteelVal::StringV("a \"b\"\n".into()),
                SteelVal::BoolV(false),
                SteelVal::IntV(3),
            ]
            .into(),
        );
        assert_eq!(written(&list), "(\"a \\\"b\\\"\\n\" #f 3)");
        assert_eq!(display(&list), "(a \"b\"\n #f 3)");
    }
}
