//! `-kill-run -target T -runname R [-testpatt P]` (the manual's use modes; 1.65 itself had
//! only `-set-state-status KILLREQ`): the runner of each selected run, when it runs on this
//! host, is interrupted as by Ctrl-C (it stops launching and asks its tests to stop), and
//! every selected test still launched or running gets `KILLREQ`, which its executor obeys.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::TestFilter;
use crate::error::Result;
use crate::model::{State, Status};
use crate::output::stdout;
use crate::writer::{TriggerTable, Writer};

/// The states a kill request reaches.
const RUNNING: &[State] = &[State::Launched, State::RemoteHostStart, State::Running];

/// Stops the selected runs.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (runs, patterns) = session.required_selectors("-kill-run", false)?;
    let filter = TestFilter {
        patterns,
        ..TestFilter::default()
    };
    let triggers = TriggerTable::reading_testconfigs(
        session.area()?.top.clone(),
        session.area()?.config.pairs("triggers"),
    );
    let host = crate::sys::host_name();
    let store = session.store()?;
    let writer = Writer::new(store, &triggers);
    for run in store.runs(&runs)? {
        let name = format!("{}/{}", run.target(), run.runname());
        if let Some(owner) = crate::runner::live_owner(store, run.id())? {
            if owner.host == host && crate::sys::signal_process(owner.pid, libc::SIGINT) {
                stdout::print(&format!(
                    "{name}: asked its runner (pid {}) to stop\n",
                    owner.pid
                ));
            } else {
                crate::warn!(
                    "{name}: its runner is {}; stop it there (Ctrl-C or kill -INT)",
                    crate::runner::describe_owner(&owner)
                );
            }
        }
        let mut asked = 0;
        for test in store.tests_for_run(run.id(), &filter)? {
            let set = writer.set_state_status_if_in(
                test.id(),
                RUNNING,
                Some(&State::KillReq),
                Some(&Status::NotApplicable),
            )?;
            asked += usize::from(set.is_some());
        }
        stdout::print(&format!(
            "{name}: {asked} running test(s) asked to stop (KILLREQ)\n"
        ));
    }
    Ok(Flow::Continue)
}
