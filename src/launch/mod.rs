//! Turning a job into a process (spec §9.1, §9.4): the work area and link tree, the job file,
//! and the launcher that starts `megatest -execute`.

pub mod fork_helper;
mod fork_launcher;
mod forked_executor;
pub mod job;
mod job_file;
mod launcher;
pub mod slurm;
pub mod ssh_pool;
mod work_area;

pub use fork_launcher::{Answer, ForkLauncher};
pub use job_file::{JOB_FILE_NAME, JobFile};
pub use launcher::{Launcher, Process, Started, choose_launcher, start};
pub use work_area::{DiskChoice, WorkArea, copy_test_source, plan_work_area};
