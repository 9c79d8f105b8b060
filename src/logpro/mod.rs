//! logpro, the log processor (spec: shared/spec/logpro-1.19.md): rule files load into one
//! rule model (directly, or through steel), one scanner runs the log, and reports follow.

mod builder;
mod dat;
mod hooks;
mod html;
mod input;
mod loader;
mod matcher;
mod model;

mod output;
mod reader;
mod run;
mod scan;
mod scheme_procs;
mod text;
mod value;
mod verdict;

pub use crate::model::{Number, format_flonum};
pub use html::escape as escape_bytes;
pub use loader::{LoadFailure, LoadMode, Loaded, call_active, load};
pub use model::{Op, Pattern, PatternKind, RuleSet, RuleType};
pub use run::{Invocation, now, run};
pub use value::LValue;

/// Text escaped for HTML.
pub fn escape_html(text: &str) -> String {
    String::from_utf8_lossy(&html::escape(text.as_bytes())).into_owned()
}
