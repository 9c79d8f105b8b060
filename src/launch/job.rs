//! The job a launched test carries in `MT_CMDINFO` (spec §9.3): everything the executor and
//! the in-test helpers (`-step`, `-test-status`, ...) need, so they never re-plan. Encoded as
//! JSON; Megatest's own encoding is opaque to tests, which only pass the variable along.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{RunId, TestId};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The environment variable that carries a job.
pub const CMDINFO_VAR: &str = "MT_CMDINFO";

/// A test's job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Job {
    /// The area (`$MT_RUN_AREA_HOME`).
    pub toppath: PathBuf,
    /// The area's database, so the in-test helpers open it without reading the area's
    /// configs (and evaluating their Scheme) again; empty in jobs that predate it.
    pub db_path: PathBuf,
    /// The `[fields]` keys with their SQL types.
    pub keys: Vec<(String, String)>,
    /// The run's id in megatest.db.
    pub run_id: RunId,
    /// The test record's id.
    pub test_id: TestId,
    /// The test name.
    pub test_name: String,
    /// The item path (`""` for a test without items).
    pub item_path: String,
    /// The test's source directory (`tests/<name>`).
    pub testpath: PathBuf,
    /// Its run directory (link-tree path).
    pub work_area: PathBuf,
    /// The target.
    pub target: String,
    /// The run name.
    pub runname: String,
    /// The megatest executable to call back.
    pub megatest: PathBuf,
    /// The item variables, in order.
    pub itemdat: Vec<(String, String)>,
    /// The id of the test's toplevel record (the test's own id without items).
    pub toplevel_id: TestId,
    /// `[triggers]` of the testconfig: (`STATE/STATUS`, command).
    pub triggers: Vec<(String, String)>,
    /// `[waivers]`: (name, rule, file glob).
    pub waivers: Vec<(String, String, String)>,
    /// `[waiver_rules]`: (rule, command template).
    pub waiver_rules: Vec<(String, String)>,
    /// megatest.config `[testrollup]` for this test: a command whose output is the item
    /// rollup page instead of the built-in one.
    pub testrollup: Option<String>,
    /// The runner's recorder over TCP (`host:port`), for an executor, or a helper it runs,
    /// on another host.
    pub server: Option<String>,
    /// The database's host: an executor (or helper) on any other host never opens the
    /// database and records through `server`, or a long-lived server of the area, only.
    /// `None`: every host may open it (older jobs).
    pub homehost: Option<String>,
    /// How long a process on another host keeps trying to reach a server, in seconds.
    pub server_wait: u64,
}

impl Job {
    /// The `MT_CMDINFO` value.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a job always serializes")
    }

    /// Reads an `MT_CMDINFO` value.
    pub fn decode(text: &str) -> Result<Job> {
        serde_json::from_str(text).map_err(|e| {
            Error::of(
                ErrorKind::NotInTest,
                format!("{CMDINFO_VAR} is not a megatest job: {e}"),
            )
        })
    }

    /// The job of the test this process runs inside; `what` names the command that needs it.
    pub fn from_env(what: &str) -> Result<Job> {
        match crate::environ::var(CMDINFO_VAR) {
            Some(text) if !text.is_empty() => Job::decode(&text),
            _ => Err(Error::of(
                ErrorKind::NotInTest,
                format!("{what} works only inside a running test: {CMDINFO_VAR} is not set"),
            )
            .note(
                "test steps run with MT_CMDINFO set; call this from a step, runscript or trigger",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let job = Job {
            run_id: RunId(3),
            test_id: TestId(7),
            test_name: "t".into(),
            item_path: "a/b".into(),
            ..Job::default()
        };
        assert_eq!(Job::decode(&job.encode()).unwrap(), job);
        assert_eq!(
            Job::decode("nonsense").unwrap_err().exit_code(),
            crate::error::exit_code::NOT_IN_TEST
        );
        let partial = Job::decode(r#"{"run_id": 1}"#).unwrap();
        assert_eq!(partial.run_id, RunId(1));
    }
}
