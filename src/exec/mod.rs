//! The executor, `megatest -execute JOBFILE` (spec §9.2–§9.8): one test from start to final
//! status: run directory and environment, runscript and ezsteps, logpro, run-time limit and
//! kill requests, triggers and waivers.

mod environment;
mod execute;
pub mod logpro_dat;
mod monitor;
mod step_shell;
mod steps;
mod supervisor;
mod verdict;

pub use execute::execute;
pub use verdict::{StepVerdict, final_status};
