//! `-lock` and `-unlock`: runs matching the target and run name; a locked run is left alone
//! by `-remove-runs` and `-set-state-status`. Unlocking asks first, on the terminal, or
//! reads the answer from stdin when it is not one.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::environ::user_name;
use crate::error::Result;
use std::io::{BufRead, IsTerminal, Write};

fn confirm(question: &str) -> bool {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{question} (y/n) ");
        let _ = std::io::stderr().flush();
    }
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).unwrap_or(0) == 0 {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn set_lock(session: &mut Session, lock: bool) -> Result<Flow> {
    let what = if lock { "-lock" } else { "-unlock" };
    let (selector, _) = session.required_selectors(what, false)?;
    let store = session.store()?;
    for run in store.runs(&selector)? {
        if !lock && !confirm(&format!("Do you really wish to unlock run {}?", run.id())) {
            crate::warn!("run {}/{} stays locked", run.target(), run.runname());
            continue;
        }
        store.set_run_lock(run.id(), lock, &user_name())?;
    }
    Ok(Flow::Continue)
}

/// Locks runs.
pub(crate) fn lock(session: &mut Session) -> Result<Flow> {
    set_lock(session, true)
}

/// Unlocks runs, asking first.
pub(crate) fn unlock(session: &mut Session) -> Result<Flow> {
    set_lock(session, false)
}
