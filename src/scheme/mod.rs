//! The Scheme host: the only module that uses steel. The engine is created lazily, once,
//! on the thread that evaluates Scheme; see `host`.

mod api_bridge;
mod builtins;
mod conc;
mod host;
mod logpro_bridge;
mod prepass;
mod toplevel;
mod watchdog;

pub use api_bridge::{documented, set_area_globals};
pub use builtins::{SchemeRegex, forget_program_args, host_name, set_program_args};
pub use conc::display;
pub use host::{
    Host, PROGRAM_TIMEOUT, SchemeError, engine_created, eval_config_snippet, panics_are_expected,
    with_host,
};
pub use logpro_bridge::{logpro_begin, logpro_end, logpro_eval};
pub use prepass::{MAX_NESTING, Prepared, PrepassError, prepare, prepare_with};
pub use toplevel::{
    completion_names, enter_area, eval_toplevel, eval_trigger, input_is_incomplete,
    load_megatestrc, located_error, make_interactive,
};
