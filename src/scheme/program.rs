//! A program evaluated form by form with what it prints kept (logpro rule files): the
//! procedures it uses come from an extension installed in the engine that runs it.

use super::host::{SchemeError, with_host};
use super::native::Extension;

/// Installs `extension` in this thread's engine (once) and starts capturing what Scheme
/// prints.
pub fn begin_capture(extension: Extension) -> Result<(), SchemeError> {
    with_host(|host| {
        host.install_here(extension)?;
        host.capture_output()
    })
}

/// Evaluates one top-level form.
pub fn eval_form(form: &str) -> Result<(), SchemeError> {
    with_host(|host| host.eval_with(form, true).map(|_| ()))
}

/// Stops capturing; returns what was printed.
pub fn end_capture() -> String {
    with_host(|host| Ok(host.captured_output())).unwrap_or_default()
}
