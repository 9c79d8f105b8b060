//! A program evaluated form by form with what it prints kept (logpro rule files): the
//! procedures it uses come from a registered extension.

use super::host::{SchemeError, with_host};

/// Starts capturing what Scheme prints.
pub fn begin_capture() -> Result<(), SchemeError> {
    with_host(|host| host.capture_output())
}

/// Evaluates one top-level form.
pub fn eval_form(form: &str) -> Result<(), SchemeError> {
    with_host(|host| host.eval_with(form, true).map(|_| ()))
}

/// Stops capturing; returns what was printed.
pub fn end_capture() -> String {
    with_host(|host| Ok(host.captured_output())).unwrap_or_default()
}
