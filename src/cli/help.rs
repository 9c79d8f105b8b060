//! `-h`: every option, one line each, grouped as the spec groups them.

use super::dispatch::is_available;
use super::options::{Group, OPTIONS};
use std::fmt::Write;

/// The help text.
pub(super) fn text() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "megatest {} - regression tests and task automation (compatible with Megatest 1.65)\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "Usage: megatest [options]");
    let _ = writeln!(
        out,
        "Options take one dash (-run); two dashes work too (--run)."
    );
    for group in Group::ALL {
        let _ = writeln!(out, "\n{}", group.title());
        for opt in OPTIONS.iter().filter(|o| o.group == group) {
            let mut spelled = opt.name.to_string();
            for alias in opt.aliases {
                spelled.push_str(", ");
                spelled.push_str(alias);
            }
            if let Some(v) = opt.value {
                spelled.push(' ');
                spelled.push_str(v);
            }
            let note = if is_available(opt.name) {
                ""
            } else {
                " (not available yet)"
            };
            let _ = writeln!(out, "  {spelled:<34} {}{note}", opt.help);
        }
    }
    out
}
