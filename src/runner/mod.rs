//! The runner (spec §7): one dispatcher loop per pass that launches ready tests within the
//! job limits, follows them to their end, and decides the blocked ones.

mod area_share;
mod context;
mod dispatcher;
mod forking;
mod hooks;
mod key_index;
mod launching;
mod lease;
pub mod nested;
mod nodes;
mod options;
mod pass;
mod progress;
mod recording;
pub mod removal;
mod resets;
mod run;
mod server_settings;
mod settings;
mod skip;
mod slurm_jobs;

pub use context::RunContext;
pub use lease::{describe as describe_owner, live_owner};
pub use options::{Decision, PassRules, RunOptions, parse_setvars};
pub use progress::hr_min_sec;
pub use run::run;
pub use server_settings::ServerSettings;
pub use settings::{Settings, area_name};
