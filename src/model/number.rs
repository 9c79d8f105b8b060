//! Numbers as logpro's (and CHICKEN's) Scheme sees them: exact integers and flonums, parsed like
//! `string->number` and printed like CHICKEN's `display` (`%.15g`, `.0` on integral floats).

use std::fmt;

/// An exact integer or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An exact integer.
    Int(i64),
    /// A flonum.
    Float(f64),
}

impl Number {
    /// As a float, for arithmetic.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// Parses like Scheme's `string->number`: `-3`, `1.12e11`, `.5`, `5.`, `#x10`, `1/2`.
    pub fn parse(text: &str) -> Option<Number> {
        let t = text.trim_matches(|c: char| c == ' ');
        if t.is_empty() || t != text {
            return None;
        }
        if let Some(hex) = t.strip_prefix("#x") {
            return i64::from_str_radix(hex, 16).ok().map(Number::Int);
        }
        if let Some((n, d)) = t.split_once('/') {
            let (n, d) = (n.parse::<i64>().ok()?, d.parse::<i64>().ok()?);
            if d == 0 {
                return None;
            }
            return Some(if n % d == 0 {
                Number::Int(n / d)
            } else {
                Number::Float(n as f64 / d as f64)
            });
        }
        let body = t.strip_prefix(['+', '-']).unwrap_or(t);
        if !body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
            || body == "."
            || !body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        {
            return None;
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(Number::Int(i));
        }
        let normalized = if body.ends_with('.') {
            format!("{t}0")
        } else {
            t.to_string()
        };
        normalized.parse::<f64>().ok().map(Number::Float)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => f.write_str(&format_flonum(*x)),
        }
    }
}

/// CHICKEN's flonum printing: `%.15g`, then `.0` when the result looks like an integer.
pub fn format_flonum(x: f64) -> String {
    if x.is_nan() {
        return "+nan.0".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+inf.0" } else { "-inf.0" }.into();
    }
    let text = format_g(x, 15);
    if text.contains(['.', 'e']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// C's `%.{precision}g`.
fn format_g(x: f64, precision: usize) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:.*e}", precision - 1, x);
    let (mantissa, exponent) = sci.split_once('e').expect("exponent form");
    let exponent: i32 = exponent.parse().expect("integer exponent");
    if exponent < -4 || exponent >= precision as i32 {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        trim_fraction(&format!("{x:.decimals$}")).to_string()
    }
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing() {
        assert_eq!(format_flonum(110e9), "110000000000.0");
        assert_eq!(format_flonum(1.12e11), "112000000000.0");
        assert_eq!(format_flonum(1.1197e10), "11197000000.0");
        assert_eq!(format_flonum(1e21), "1e+21");
        assert_eq!(format_flonum(0.39), "0.39");
        assert_eq!(format_flonum(0.1), "0.1");
        assert_eq!(format_flonum(2e9), "2000000000.0");
        assert_eq!(format_flonum(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_flonum(1e-5), "1e-05");
        assert_eq!(Number::Int(3).to_string(), "3");
    }

    #[test]
    fn parsing() {
        assert_eq!(Number::parse("5"), Some(Number::Int(5)));
        assert_eq!(Number::parse("-3"), Some(Number::Int(-3)));
        assert_eq!(Number::parse("1.12e11"), Some(Number::Float(1.12e11)));
        assert_eq!(Number::parse(".5"), Some(Number::Float(0.5)));
        assert_eq!(Number::parse("5."), Some(Number::Float(5.0)));
        assert_eq!(Number::parse("1.1197e+10"), Some(Number::Float(1.1197e10)));
        assert_eq!(Number::parse("#x10"), Some(Number::Int(16)));
        assert_eq!(Number::parse("abc"), None);
        assert_eq!(Number::parse("e5"), None);
        assert_eq!(Number::parse(""), None);
        assert_eq!(Number::parse("1 "), None);
    }
}
