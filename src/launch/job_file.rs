//! The file a launch hands to `megatest -execute FILE`: the test's job and everything the
//! executor needs to run it without reading the area's configs again (ARCHITECTURE.md
//! decision 4). It lives in the test's run directory, so launchers that run the executor on
//! another host only need the shared disk.

use crate::error::{Error, ErrorKind, Result};
use crate::launch::job::Job;
use crate::testdef::Step;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Name of the job file in a test's run directory.
pub const JOB_FILE_NAME: &str = ".megatest-job.json";

/// A launched test's job file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct JobFile {
    /// What goes into `MT_CMDINFO` for the in-test helpers.
    pub job: Job,
    /// The link tree root (`MT_LINKTREE`).
    pub linktree: PathBuf,
    /// The area name (`MT_TESTSUITENAME`).
    pub area_name: String,
    /// What the runner exported or unset (config exports, target keys, per-test variables).
    pub environment: Vec<(String, Option<String>)>,
    /// runconfigs `default` then target values, unevaluated (the executor shell-evaluates them).
    pub runconfig: Vec<(String, String)>,
    /// `-setvars` pairs.
    pub setvars: Vec<(String, String)>,
    /// megatest.config `[env-override]`, as stored.
    pub env_override: Vec<(String, String)>,
    /// `[pre-launch-env-vars]` as evaluated at launch, exported again for the ezsteps.
    pub pre_launch_env: Vec<(String, String)>,
    /// The runscript, resolved.
    pub runscript: Option<String>,
    /// The ezsteps, in order.
    pub steps: Vec<Step>,
    /// Run-time limit in seconds.
    pub runtimelim: Option<u64>,
    /// `<area>:<test>:<item>`.
    pub signature: String,
    /// `-debug` to pass on.
    pub debug: Option<String>,
    /// The runner's recorder (an abstract Unix socket name) that takes the executor's
    /// database writes, when the runner offers one.
    pub recorder: Option<String>,
}

impl JobFile {
    /// Writes the file into `dir`; returns its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(JOB_FILE_NAME);
        let text = serde_json::to_string(self).expect("a job file always serializes");
        std::fs::write(&path, text).map_err(|e| {
            Error::new(format!(
                "cannot write the job file `{}`: {e}",
                path.display()
            ))
        })?;
        Ok(path)
    }

    /// Reads a job file.
    pub fn read(path: &Path) -> Result<JobFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot read the job file `{}` given with -execute: {}",
                    path.display(),
                    crate::sys::io_reason(&e)
                ),
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::new(format!(
                "`{}` is not a megatest job file: {e}",
                path.display()
            ))
        })
    }
}
