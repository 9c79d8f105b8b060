//! The Scheme host: the only module that uses steel. The engine is created lazily, once,
//! on the thread that evaluates Scheme; see `host`.

mod area_procs;
mod builtins;
mod conc;
mod host;
mod lazy_source;
mod loading;
mod native;
mod prepass;
mod program;
mod toplevel;
mod watchdog;

pub use area_procs::set_area_globals;
pub use builtins::{SchemeRegex, forget_program_args, host_name, set_program_args};
pub use conc::display;
pub use host::{
    Host, PROGRAM_TIMEOUT, SchemeError, engine_created, eval_config_snippet, panics_are_expected,
    with_host,
};
pub use native::{Datum, Extension, Native, add_extension, documented};
pub use prepass::{MAX_NESTING, Prepared, PrepassError, prepare, prepare_with};
pub use program::{begin_capture, end_capture, eval_form};
pub use toplevel::{
    SchemeArea, completion_names, enter_area, eval_toplevel, eval_trigger, input_is_incomplete,
    load_megatestrc, located_error, make_interactive,
};
