//! Fetching a suite into the work area (spec §2.3): `dev` copies, `git` clones, `bzr`
//! branches and `bzr-export` exports, with Breezy's `brz` (or `bzr`) found on PATH. A
//! relative local location is the runlist's directory's. A failure is an outcome (the
//! report's `testsuite_fetch` entry), never a crash.

use super::command::{Outcome, run};
use super::runlist::{FetchMethod, SuiteEntry};
use crate::environ::env_file::sh_quote;
use std::path::Path;

/// The command that fetches `suite` into `work/<name>`, run in `work`, and the location it
/// used (resolved when local).
pub fn fetch_command(suite: &SuiteEntry, runlist_dir: &Path) -> Result<String, String> {
    let location = resolve(&suite.location, suite.method, runlist_dir);
    let dest = sh_quote(&suite.name);
    Ok(match suite.method {
        FetchMethod::Dev => format!("cp -r {} {dest}", sh_quote(&location)),
        FetchMethod::Git => {
            let git = which::which("git").map_err(|_| "git is not on PATH".to_string())?;
            format!(
                "{} clone --quiet {} {dest}",
                sh_quote(&git.display().to_string()),
                sh_quote(&location)
            )
        }
        FetchMethod::Bzr | FetchMethod::BzrExport => {
            let bzr = which::which("brz")
                .or_else(|_| which::which("bzr"))
                .map_err(|_| "neither brz (Breezy) nor bzr is on PATH".to_string())?;
            let bzr = sh_quote(&bzr.display().to_string());
            if suite.method == FetchMethod::Bzr {
                format!("{bzr} branch --quiet {} {dest}", sh_quote(&location))
            } else {
                format!("{bzr} export {dest} {}", sh_quote(&location))
            }
        }
    })
}

/// The directory a `dev` suite is copied from (its files are the ones to name in messages).
pub fn dev_source(suite: &SuiteEntry, runlist_dir: &Path) -> Option<std::path::PathBuf> {
    (suite.method == FetchMethod::Dev)
        .then(|| resolve(&suite.location, suite.method, runlist_dir).into())
}

/// A location as the fetch uses it: a relative path that exists beside the runlist is taken
/// from there (for `dev`, always).
fn resolve(location: &str, method: FetchMethod, runlist_dir: &Path) -> String {
    let path = Path::new(location);
    let remote = location.contains("://") || location.starts_with("lp:") || location.contains('@');
    if path.is_absolute() || (remote && method != FetchMethod::Dev) {
        return location.to_string();
    }
    let beside = runlist_dir.join(path);
    if method == FetchMethod::Dev || beside.exists() {
        // `./` and `x/../` go: the copy is of the directory itself.
        return crate::sys::normalize(&beside.display().to_string());
    }
    location.to_string()
}

/// Fetches `suite` into `work/<name>`; the outcome of the fetch command (a failure when the
/// program is missing or the destination exists).
pub fn fetch(suite: &SuiteEntry, runlist_dir: &Path, work: &Path) -> Outcome {
    let dest = work.join(&suite.name);
    let refuse = |why: String| Outcome {
        returncode: 1,
        stdout: String::new(),
        stderr: format!("utah: {why}\n"),
        started: std::time::SystemTime::now(),
        duration: std::time::Duration::ZERO,
        timed_out: false,
        interrupted: false,
    };
    if let (Some(source), Ok(work_real)) = (dev_source(suite, runlist_dir), work.canonicalize())
        && let Ok(source_real) = source.canonicalize()
        && work_real.starts_with(&source_real)
    {
        return refuse(format!(
            "the work area {} is inside the suite it copies ({}); run utah from another directory or give --start-dir",
            work.display(),
            source.display()
        ));
    }
    if dest.exists() {
        return refuse(format!(
            "{} exists already; a suite is fetched into a new directory",
            dest.display()
        ));
    }
    match fetch_command(suite, runlist_dir) {
        Ok(command) => {
            let mut outcome = run(&command, work, 0, None);
            if outcome.ok() && !dest.is_dir() {
                outcome.returncode = 1;
                outcome.stderr.push_str(&format!(
                    "utah: the fetch made no directory {}\n",
                    dest.display()
                ));
            }
            outcome
        }
        Err(why) => refuse(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_locations_are_the_runlists() {
        assert_eq!(
            resolve("./basic", FetchMethod::Dev, Path::new("/x/ex1")),
            "/x/ex1/basic"
        );
        assert_eq!(resolve("/abs", FetchMethod::Dev, Path::new("/x")), "/abs");
        assert_eq!(
            resolve("lp:foo", FetchMethod::Bzr, Path::new("/x")),
            "lp:foo"
        );
    }
}
