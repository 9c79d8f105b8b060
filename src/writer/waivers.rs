//! Waiver propagation (spec §12): a test about to be set FAIL becomes WAIVED when the same
//! test/item of the newest earlier run of the same target was WAIVED and every `[waivers]`
//! rule holds between the two run directories.

use crate::error::Result;
use crate::launch::job::Job;
use crate::model::{State, Status};
use std::path::Path;

/// The (status, comment) to write instead of FAIL, when the waiver carries over.
pub(super) fn carried_waiver(
    previous: Option<(State, Status, String, String)>,
    job: &Job,
    comment: Option<&str>,
) -> Result<Option<String>> {
    if job.waivers.is_empty() {
        return Ok(None);
    }
    let Some((state, status, previous_comment, previous_dir)) = previous else {
        return Ok(None);
    };
    if state != State::Completed || status != Status::Waived {
        return Ok(None);
    }
    let here = &job.work_area;
    for (name, rule, glob) in &job.waivers {
        let template = match job.waiver_rules.iter().find(|(r, _)| r == rule) {
            Some((_, cmd)) => cmd.clone(),
            None if here.join(format!("{name}.logpro")).exists() => {
                "diff %file1% %file2% | logpro %waivername%.logpro %waivername%.html".to_string()
            }
            None => "diff %file1% %file2%".to_string(),
        };
        let command = template
            .replace("%file1%", &format!("{}/{glob}", here.display()))
            .replace("%file2%", &format!("{previous_dir}/{glob}"))
            .replace("%waivername%", name);
        let ok = crate::sys::shell::run_to_stderr(&command, here_or_root(here))
            .is_ok_and(|code| code == 0);
        crate::debug!(
            1,
            "waiver {name} ({command}): {}",
            if ok { "holds" } else { "fails" }
        );
        if !ok {
            return Ok(None);
        }
    }
    Ok(Some(
        comment.map(str::to_string).unwrap_or(previous_comment),
    ))
}

fn here_or_root(dir: &Path) -> &Path {
    if dir.is_dir() { dir } else { Path::new("/") }
}

/// The status and comment to write: FAIL becomes WAIVED when a waiver carries over. The
/// previous instance is looked up (by `previous`) only for a FAIL of a test with waivers.
pub(super) fn waived_status(
    previous: impl FnOnce() -> Result<Option<(State, Status, String, String)>>,
    job: &Job,
    status: Option<&Status>,
    comment: Option<&str>,
) -> Result<(Option<Status>, Option<String>)> {
    if status == Some(&Status::Fail)
        && !job.waivers.is_empty()
        && let Some(waived_comment) = carried_waiver(previous()?, job, comment)?
    {
        return Ok((Some(Status::Waived), Some(waived_comment)));
    }
    Ok((status.cloned(), comment.map(str::to_string)))
}
