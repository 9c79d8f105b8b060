//! Reboots (spec §8.3): where a run stands when a case asks for a reboot, kept in the
//! area's megatest.db (`metadat` variable `utah-resume:RUNLIST`, one per runlist) so that the
//! same `utah` command run again, or `utah --resume`, continues the same run and report with
//! the next case; and the reboot command, from `$UTAH_REBOOT_CMD` or megatest.config's
//! `[utah] reboot-cmd`.

use super::engine::Position;
use crate::area::Area;
use crate::db::Store;
use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};

/// The `metadat` variables holding runs to resume: this, then the runlist's path.
const PREFIX: &str = "utah-resume:";
/// The environment variable naming the reboot command.
pub const REBOOT_ENV: &str = "UTAH_REBOOT_CMD";

/// A run stopped for a reboot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    /// The runlist, absolute.
    pub runlist: String,
    /// The Megatest run.
    pub run_id: i64,
    /// Its target.
    pub target: String,
    /// Its name.
    pub runname: String,
    /// The work area.
    pub work: String,
    /// The next case's repetition, suite and index.
    pub repetition: u64,
    /// See [`Position`].
    pub suite: usize,
    /// See [`Position`].
    pub case: usize,
    /// The report so far, as JSON.
    pub report: String,
    /// The suites that were fetched, in order (the position's suite is among these).
    pub suites: Vec<String>,
    /// How many of the report's commands came from the `-o` file (`-a`): not this run's.
    pub earlier: usize,
    /// `-o`, when given.
    pub output: Option<String>,
    /// With `-a -f text`: the text the `-o` file had before the run.
    pub text_before: Option<String>,
}

impl Saved {
    /// Where to go on.
    pub fn position(&self) -> Position {
        Position {
            repetition: self.repetition,
            suite: self.suite,
            case: self.case,
        }
    }

    /// Keeps it in the area's database.
    pub fn save(&self, store: &Store) -> Result<()> {
        let text = serde_json::to_string(self).map_err(|e| {
            Error::of(
                ErrorKind::Internal,
                format!("cannot save the run's place: {e}"),
            )
        })?;
        store.set_var(&format!("{PREFIX}{}", self.runlist), &text)
    }

    /// The runs waiting in the area's database, for `runlist` or (none) for any. One that
    /// cannot be read (saved by another version) is dropped with a warning: its records stay.
    pub fn load(store: &Store, runlist: Option<&str>) -> Result<Vec<Saved>> {
        let prefix = format!("{PREFIX}{}", runlist.unwrap_or(""));
        let mut found = Vec::new();
        for (var, text) in store.vars_with_prefix(&prefix)? {
            if runlist.is_some() && var != prefix {
                continue;
            }
            match serde_json::from_str(&text) {
                Ok(saved) => found.push(saved),
                Err(e) => {
                    crate::warn!(
                        "the UTAH run saved for a reboot in {var} cannot be read ({e}); it is dropped, its records stay"
                    );
                    store.clear_var(&var)?;
                }
            }
        }
        Ok(found)
    }

    /// Forgets the run saved for `runlist`.
    pub fn clear(store: &Store, runlist: &str) -> Result<()> {
        store.clear_var(&format!("{PREFIX}{runlist}"))
    }
}

/// The reboot command: `$UTAH_REBOOT_CMD`, else `[utah] reboot-cmd` of megatest.config.
pub fn reboot_command(area: &Area) -> Option<String> {
    crate::environ::var(REBOOT_ENV)
        .or_else(|| area.config.get("utah", "reboot-cmd").map(str::to_string))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}
