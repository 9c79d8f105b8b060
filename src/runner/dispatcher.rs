//! The dispatcher: the loop that carries out a pass over a run (spec §7.7), the I/O around
//! its rules (`pass.rs`). It lists and registers a test's items when the rules say so,
//! launches ready items within the job limits, learns of completions from executor exits
//! (local launches) and from the database (other launchers, earlier runners), and writes
//! what the rules decide.
//!
//! Work is driven by change: a record that changes marks the tests and items waiting on it
//! for another look, so a run of many items costs little per completion.

use super::area_share::AreaShare;
use super::context::RunContext;
use super::forking::{Forks, item_of};
use super::launching::{LaunchItem, launch};
use super::nodes::{Phase, Records, TestNode};
use super::options::PassRules;
use super::pass::{Pass, Step};
use super::progress::Progress;
use super::recording::Recording;
use super::skip::skip_reason;
use super::slurm_jobs::{Replaces, SlurmJobs, signalled};
use crate::db::{RecordState, StatusChange, Store};
use crate::environ;
use crate::error::Result;
use crate::launch::ssh_pool::{Choice, HostPool, SshSettings};
use crate::launch::{Answer, Launcher, Process, choose_launcher};
use crate::model::{State, Status, TestId};
use crate::plan::Selection;
use crate::recorder::TcpOptions;
use crate::sys;
use crate::testdef::{Item, Items, TestDef, item_info};
use std::collections::{BTreeSet, HashMap};
use std::process::Child;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often launched tests the runner cannot see exit are read from the database.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// How long the loop sleeps when only executor exits can wake it.
const IDLE_WAIT: Duration = Duration::from_millis(250);
/// How often the whole run is read again, for changes made by other processes.
const REFRESH_EVERY: Duration = Duration::from_secs(2);
/// How often executors of this host are checked for being alive.
const LIVENESS_EVERY: Duration = Duration::from_secs(1);
/// How long a LAUNCHED test may lack an executor pid before it counts as lost.
const LOST_LAUNCH: i64 = 10;
/// Seconds beyond `[server] connect-wait` an executor started over ssh has to record its
/// start.
const SSH_START_MARGIN: i64 = 60;
/// How long an interrupted runner waits for its tests to stop.
const STOP_WAIT: Duration = Duration::from_secs(20);
/// How many records of one test the pass names when the re-run rules keep them from running.
const NOTES_PER_TEST: usize = 5;

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PassEnd {
    /// Everything was decided (and, when waiting, finished).
    Finished,
    /// Ctrl-C or a termination signal.
    Interrupted,
    /// Another runner took the run over: this one launches nothing more and leaves the
    /// tests it launched to that runner.
    TakenOver,
}

/// Comments of tests a kill request ended without their executor.
const KILLED_GONE: &str = "Killed on request (KILLREQ); the executor is gone";
const KILLED_UNSTARTED: &str = "Kill requested before the test started";

enum Event {
    Exited {
        test: usize,
        item: usize,
        code: i32,
        local: bool,
    },
    Fork(Answer),
    /// A test's write through the recorder freed its job slot: time to launch.
    SlotFreed,
}

/// One pass over a run.
pub(super) struct Dispatcher<'c, 'a> {
    ctx: &'c RunContext<'a>,
    /// The rules and the picture of the run.
    pass: Pass,
    /// Each test's definition (same order as the pass's tests).
    defs: Vec<TestDef>,
    events: Receiver<Event>,
    sender: Sender<Event>,
    unwaited: Vec<(usize, usize, Child, bool)>,
    forks: Forks,
    recording: Recording,
    progress: Progress,
    next_launch: Option<Instant>,
    next_poll: Instant,
    next_refresh: Instant,
    next_liveness: Instant,
    item_env: Vec<String>,
    interrupted: Option<Instant>,
    interrupts_seen: usize,
    /// When the job slots were last found all taken (none freed since, as far as known).
    full_since: Option<Instant>,
    /// Other runners in the area, and the lock that keeps `max_concurrent_jobs` with them.
    area_share: AreaShare,
    /// The reasons of failed launches already said.
    launch_errors: BTreeSet<String>,
    /// Tests of this area that wait for this run, as its `[subrun]` (see nested.rs).
    waiting_parents: Vec<TestId>,
    /// The Slurm jobs of launched tests.
    slurm: SlurmJobs,
    /// The hosts of ssh pools, with their loads.
    ssh_hosts: HostPool,
    /// `[ssh]`.
    ssh_settings: SshSettings,
    /// A test went to Slurm or an ssh pool: the pass stays until every test ends, as the
    /// runner is their server (see docs/farm.md).
    farm_launched: bool,
    /// Tests started over ssh (followed until their executor starts).
    ssh_launched: std::collections::HashSet<TestId>,
}

impl<'c, 'a> Dispatcher<'c, 'a> {
    /// Prepares a pass over the tests of `selection`; registers their toplevel records.
    pub(super) fn new(
        ctx: &'c RunContext<'a>,
        selection: Selection,
        rules: PassRules,
    ) -> Result<Self> {
        let names: Vec<String> = selection.defs.keys().cloned().collect();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
        let ids = ctx.store.register_tests(ctx.run_id, &pairs)?;
        let mut tests = Vec::with_capacity(names.len());
        let mut defs = Vec::with_capacity(names.len());
        for ((name, def), toplevel_id) in selection.defs.into_iter().zip(ids) {
            let waiton_names = selection.waitons.get(&name).cloned().unwrap_or_default();
            let waitons: Vec<usize> = waiton_names
                .iter()
                .filter_map(|w| index.get(w.as_str()).copied())
                .collect();
            let itemmaps = waiton_names
                .iter()
                .map(|w| def.itemmap_for(w))
                .collect::<Result<Vec<_>>>()?;
            tests.push(TestNode::new(
                name,
                waitons,
                itemmaps,
                def.modes()?,
                def.priority(),
                def.jobgroup(),
                toplevel_id,
            ));
            defs.push(def);
        }
        let mut records = Records::default();
        ctx.store.for_each_run_record(ctx.run_id, |record| {
            records.put(record);
        })?;
        let (sender, events) = mpsc::channel();
        let now = Instant::now();
        Ok(Dispatcher {
            progress: Progress::new(&ctx.target_text(), &ctx.runname),
            pass: Pass::new(tests, records, rules, selection.patterns, ctx.host.clone()),
            defs,
            ctx,
            events,
            sender,
            unwaited: Vec::new(),
            forks: Forks::new(ctx.settings.fork_launch),
            recording: Recording::new(ctx.settings.record_via_runner, tcp_options(ctx)),
            next_launch: None,
            next_poll: now,
            next_refresh: now + REFRESH_EVERY,
            next_liveness: now,
            item_env: Vec::new(),
            interrupted: None,
            interrupts_seen: sys::interrupts(),
            full_since: None,
            area_share: AreaShare::new(ctx.store, ctx.run_id),
            waiting_parents: super::nested::waiting_parents_in(ctx.store.path()),
            launch_errors: BTreeSet::new(),
            slurm: SlurmJobs::default(),
            ssh_hosts: HostPool::default(),
            ssh_settings: SshSettings::read(&ctx.area.config),
            farm_launched: false,
            ssh_launched: std::collections::HashSet::new(),
        })
    }

    /// Runs the pass to its end.
    pub(super) fn run(mut self) -> Result<PassEnd> {
        let result = self.run_loop();
        if matches!(result, Ok(PassEnd::Finished)) {
            let bound = Duration::from_secs(self.ctx.settings.server.wait.min(60));
            self.recording.let_remote_clients_finish(bound);
        }
        self.progress.finish();
        self.clear_item_env();
        result
    }

    fn run_loop(&mut self) -> Result<PassEnd> {
        loop {
            if self.check_interrupts()? {
                return Ok(PassEnd::Interrupted);
            }
            if self
                .ctx
                .lease_lost
                .load(std::sync::atomic::Ordering::SeqCst)
            {
                return Ok(PassEnd::TakenOver);
            }
            self.drain_events(Duration::ZERO)?;
            self.poll_if_due()?;
            self.evaluate_dirty()?;
            self.launch_ready()?;
            self.evaluate_dirty()?;
            // A launch delay that ran out with nothing ready holds nothing back: left set,
            // the wait below would be zero (a busy loop) and a stalled pass never ends.
            if self.pass.ready_is_empty() && self.next_launch.is_some_and(|at| Instant::now() >= at)
            {
                self.next_launch = None;
            }
            if self.interrupted.is_some() {
                if self.pass.flights == 0
                    || self.interrupted.is_some_and(|at| at.elapsed() > STOP_WAIT)
                {
                    return Ok(PassEnd::Interrupted);
                }
            } else if self.pass.finished()
                && !self.slurm.settling(&self.pass.records.by_id)
                && !(self.farm_launched && self.pass.flights > 0)
            {
                return Ok(PassEnd::Finished);
            } else if self.pass.stalled() && self.next_launch.is_none() {
                self.discard_stalled()?;
                continue;
            }
            self.progress.bar(
                self.pass.done_items,
                self.pass.total_items,
                self.pass.flights,
            );
            let timeout = self.wait_timeout();
            self.drain_events(timeout)?;
        }
    }

    fn wait_timeout(&self) -> Duration {
        let mut wait = if self.pass.polled.is_empty()
            && self.pass.ready_is_empty()
            && self.unwaited.is_empty()
        {
            IDLE_WAIT
        } else {
            POLL_EVERY
        };
        if let Some(at) = self.next_launch {
            wait = wait.min(at.saturating_duration_since(Instant::now()));
        }
        wait
    }

    // ----- events and records -----

    fn drain_events(&mut self, timeout: Duration) -> Result<()> {
        let mut first = if timeout.is_zero() {
            self.events.try_recv().ok()
        } else {
            self.events.recv_timeout(timeout).ok()
        };
        while let Some(event) = first.take().or_else(|| self.events.try_recv().ok()) {
            // Every event may have freed a job slot.
            self.full_since = None;
            match event {
                Event::Exited {
                    test,
                    item,
                    code,
                    local,
                } => self.on_exit(test, item, code, local)?,
                Event::Fork(answer) => self.on_fork_answer(answer)?,
                Event::SlotFreed => {}
            }
        }
        let mut exited = Vec::new();
        self.unwaited
            .retain_mut(|(t, i, child, local)| match child.try_wait() {
                Ok(Some(status)) => {
                    exited.push((*t, *i, crate::sys::shell::status_code(status), *local));
                    false
                }
                Ok(None) => true,
                Err(_) => {
                    exited.push((*t, *i, -1, *local));
                    false
                }
            });
        for (t, i, code, local) in exited {
            self.on_exit(t, i, code, local)?;
        }
        Ok(())
    }

    /// What the fork helper reports about the executors it forked.
    fn on_fork_answer(&mut self, answer: Answer) -> Result<()> {
        match answer {
            Answer::Exited { token, code } => {
                let (t, i) = item_of(token);
                self.forks.ended(t, i);
                self.on_exit(t, i, code, true)?;
            }
            Answer::Failed { token, message } => {
                let (t, i) = item_of(token);
                self.forks.ended(t, i);
                let id = self.pass.tests[t].items[i].id;
                let comment = format!("Launch failed: {message}");
                self.end_with(id, (State::Incomplete, Status::Fail), &comment)?;
                self.set_phase(t, i, Phase::Done);
            }
            Answer::Gone => {
                for (t, i) in self.forks.lost() {
                    if matches!(self.pass.tests[t].items[i].phase, Phase::Launched { .. }) {
                        self.set_phase(t, i, Phase::Launched { local: false });
                    }
                }
            }
        }
        Ok(())
    }

    /// An executor (local) or a launcher ended.
    fn on_exit(&mut self, t: usize, i: usize, code: i32, local: bool) -> Result<()> {
        let id = self.pass.tests[t].items[i].id;
        self.refresh(&[id, self.pass.tests[t].toplevel_id])?;
        let record = self.pass.records.by_id.get(&id).cloned();
        let still_active = record.as_ref().is_some_and(|r| r.state.is_active());
        if local {
            if record.as_ref().is_some_and(|r| r.state == State::KillReq) {
                // Asked to stop, and nothing runs any more: the request is done.
                self.end_killed(id, KILLED_GONE)?;
            } else if still_active {
                let comment = format!(
                    "The executor ended (exit code {code}) before the test finished; see mt_launch.log"
                );
                self.end_with(id, (State::Incomplete, Status::Dead), &comment)?;
            }
            self.set_phase(t, i, Phase::Done);
        } else if code != 0 && record.is_some_and(|r| r.state == State::Launched) {
            let comment = format!(
                "The launcher exited with {code} before the test started; see mt_launch.log"
            );
            self.end_with(id, (State::Incomplete, Status::Fail), &comment)?;
            self.set_phase(t, i, Phase::Done);
        }
        Ok(())
    }

    fn poll_if_due(&mut self) -> Result<()> {
        let now = Instant::now();
        if now >= self.next_refresh {
            self.next_refresh = now + REFRESH_EVERY;
            self.next_poll = now + POLL_EVERY;
            let store = self.store();
            store.for_each_run_record(self.ctx.run_id, |record| self.absorb(record))?;
        } else if now >= self.next_poll && !self.pass.polled.is_empty() {
            self.next_poll = now + POLL_EVERY;
            // An item's executor rolls its toplevel up: read that record too, or a waiter
            // would judge the items by a toplevel as it was before them.
            let mut ids: Vec<TestId> = Vec::new();
            let mut toplevels = std::collections::BTreeSet::new();
            for &(t, i) in &self.pass.polled {
                let test = &self.pass.tests[t];
                ids.push(test.items[i].id);
                if !test.items[i].path.is_empty() {
                    toplevels.insert(test.toplevel_id);
                }
            }
            ids.extend(toplevels);
            self.refresh(&ids)?;
        }
        if now >= self.next_liveness && !self.pass.polled.is_empty() {
            self.next_liveness = now + LIVENESS_EVERY;
            self.check_liveness()?;
        }
        if (!self.pass.polled.is_empty() || self.slurm.settling(&self.pass.records.by_id))
            && self.slurm.due(now)
        {
            self.follow_slurm()?;
        }
        Ok(())
    }

    /// Asks Slurm about the launched tests' jobs (see slurm_jobs.rs) and ends the tests whose
    /// job ended first.
    fn follow_slurm(&mut self) -> Result<()> {
        let polled: Vec<((usize, usize), TestId)> = self
            .pass
            .polled
            .iter()
            .map(|&(t, i)| ((t, i), self.pass.tests[t].items[i].id))
            .collect();
        self.slurm.adopt(self.ctx.store, &polled)?;
        let endings = self.slurm.check(&self.pass.records.by_id);
        if endings.is_empty() {
            return Ok(());
        }
        // The executor may have written its own end meanwhile.
        let ids: Vec<TestId> = endings.iter().map(|e| e.id).collect();
        self.refresh(&ids)?;
        for ending in endings {
            let record = self.pass.records.by_id.get(&ending.id);
            let applies = record.is_some_and(|r| match ending.replaces {
                Replaces::Running => r.state.is_active(),
                Replaces::Signalled => signalled(r),
            });
            if applies {
                self.end_with(ending.id, ending.outcome, &ending.comment)?;
            }
            if ending.replaces == Replaces::Running {
                self.set_phase(ending.at.0, ending.at.1, Phase::Done);
            }
        }
        Ok(())
    }

    /// Executors of this host that died without finishing their test (an earlier runner's
    /// launches, found after a restart).
    fn check_liveness(&mut self) -> Result<()> {
        let now = crate::db::now();
        // An executor started over ssh says it started within the time it may take to
        // reach the runner; one that did not never will (its host, directory or program).
        let start_limit = self.ctx.settings.server.wait as i64 + SSH_START_MARGIN;
        let records = &self.pass.records.by_id;
        // Only tests not started yet are watched here.
        self.ssh_launched
            .retain(|id| records.get(id).is_some_and(|r| r.state == State::Launched));
        let silent: Vec<TestId> = self
            .ssh_launched
            .iter()
            .filter(|id| {
                records
                    .get(id)
                    .is_some_and(|r| now - r.event_time > start_limit)
            })
            .copied()
            .collect();
        for id in silent {
            self.ssh_launched.remove(&id);
            self.refresh(&[id])?;
            if self
                .pass
                .records
                .by_id
                .get(&id)
                .is_some_and(|r| r.state == State::Launched)
            {
                let comment = format!(
                    "The executor started over ssh did not begin within {start_limit} s; see mt_launch.log"
                );
                self.end_with(id, (State::Incomplete, Status::Dead), &comment)?;
            }
        }
        let lost: Vec<TestId> = self
            .pass
            .polled
            .iter()
            .filter_map(|&(t, i)| self.pass.records.by_id.get(&self.pass.tests[t].items[i].id))
            .filter(|r| r.state.is_active() && r.host == self.ctx.host)
            .filter(|r| {
                if r.pid > 0 {
                    !sys::process_exists(r.pid as u32)
                } else {
                    r.state == State::Launched && now - r.event_time > LOST_LAUNCH
                }
            })
            .map(|r| r.id)
            .collect();
        if lost.is_empty() {
            return Ok(());
        }
        self.refresh(&lost)?;
        for id in lost {
            let state = self.pass.records.by_id.get(&id).map(|r| r.state.clone());
            if state == Some(State::KillReq) {
                self.end_killed(id, KILLED_GONE)?;
            } else if state.is_some_and(|s| s.is_active()) {
                self.end_with(
                    id,
                    (State::Incomplete, Status::Dead),
                    "The executor is gone; the test did not finish",
                )?;
            }
        }
        Ok(())
    }

    /// The database with every write posted to the recorder in it, for what must come after
    /// the launches' records: writes to a record, and the counts that decide a launch. (Other
    /// reads may see a launch a moment late, as they would another runner's.)
    fn store(&self) -> &'c Store {
        self.recording.settle();
        self.ctx.store
    }

    /// Reads these records again (with their posted writes).
    fn refresh(&mut self, ids: &[TestId]) -> Result<()> {
        self.recording.settle_for(ids);
        for record in self.ctx.store.records(ids)? {
            self.absorb(record);
        }
        Ok(())
    }

    /// Writes a state/status (with rollup), fires triggers, and takes in the result.
    fn write(
        &mut self,
        id: TestId,
        state: Option<State>,
        status: Option<Status>,
        comment: Option<&str>,
    ) -> Result<()> {
        let changes: Vec<StatusChange> = self.ctx.writer(self.store()).set_state_status(
            id,
            state.as_ref(),
            status.as_ref(),
            comment,
        )?;
        let ids: Vec<TestId> = changes.iter().map(|c| c.test_id).collect();
        self.refresh(&ids)
    }

    /// [`Self::write`] of both a state and a status, with a comment.
    fn end_with(
        &mut self,
        id: TestId,
        (state, status): (State, Status),
        comment: &str,
    ) -> Result<()> {
        self.write(id, Some(state), Some(status), Some(comment))
    }

    /// Takes in a record read from the database.
    fn absorb(&mut self, record: RecordState) {
        if let Some(record) = self.pass.absorb(record) {
            self.progress.changed(record);
        }
        self.write_settled_pages();
    }

    fn set_phase(&mut self, t: usize, i: usize, phase: Phase) {
        self.pass.set_phase(t, i, phase);
        self.write_settled_pages();
    }

    /// The rollup pages of the itemized tests that settled (once per test, rather than after
    /// every item as Megatest does).
    fn write_settled_pages(&mut self) {
        for t in self.pass.take_settled_pages() {
            let name = self.pass.tests[t].name.clone();
            let job = crate::launch::job::Job {
                run_id: self.ctx.run_id,
                testrollup: super::launching::testrollup(self.ctx.area, &name),
                test_name: name,
                ..crate::launch::job::Job::default()
            };
            if let Err(e) = crate::report::write_rollup(self.ctx.store, &job) {
                crate::warn!("{}", e.message);
            }
        }
    }

    // ----- decisions -----

    /// Carries out what the rules decide until nothing is left to look at.
    fn evaluate_dirty(&mut self) -> Result<()> {
        while let Some(step) = self.pass.next_step() {
            self.write_settled_pages();
            self.carry_out(step)?;
        }
        self.write_settled_pages();
        Ok(())
    }

    fn carry_out(&mut self, step: Step) -> Result<()> {
        match step {
            Step::Expand(t) => self.expand(t),
            Step::Close { t, write } => self.close(t, write.map(|(s, c)| (s, c.to_string()))),
            Step::Block { t, i, write } => {
                if let Some((status, comment)) = write {
                    let id = self.pass.tests[t].items[i].id;
                    self.end_with(id, (State::NotStarted, status), comment)?;
                }
                self.set_phase(t, i, Phase::Done);
                Ok(())
            }
            Step::Keep { t, i, note } => {
                self.note_kept(t, &note);
                self.set_phase(t, i, Phase::Done);
                Ok(())
            }
            Step::CheckKilled { t, i, pid } if sys::process_exists(pid) => {
                self.set_phase(t, i, Phase::Launched { local: false });
                Ok(())
            }
            Step::EndKilled { t, i } | Step::CheckKilled { t, i, .. } => {
                // Asked to stop before it was ever launched (or its launcher is gone):
                // nothing to wait for.
                let id = self.pass.tests[t].items[i].id;
                self.end_killed(id, KILLED_UNSTARTED)?;
                self.set_phase(t, i, Phase::Done);
                Ok(())
            }
        }
    }

    /// Closes a test's toplevel stage, writing `write` (with state `NOT_STARTED`) to its
    /// toplevel record.
    fn close(&mut self, t: usize, write: Option<(Status, String)>) -> Result<()> {
        if let Some((status, comment)) = write {
            let id = self.pass.tests[t].toplevel_id;
            self.end_with(id, (State::NotStarted, status), &comment)?;
        }
        self.pass.close(t);
        self.write_settled_pages();
        Ok(())
    }

    /// [`Self::close`], writing `outcome` only when the re-run rules would have run the test.
    fn close_if_it_would_run(&mut self, t: usize, outcome: Option<(Status, String)>) -> Result<()> {
        let would_run = self.pass.would_run(t, self.pass.tests[t].toplevel_id);
        self.close(t, outcome.filter(|_| would_run))
    }

    /// Says why a record is not started, as Megatest's NOTE does; a test's items after the
    /// first [`NOTES_PER_TEST`] are summed up in one line (`-debug 1` lists them all).
    fn note_kept(&mut self, t: usize, note: &str) {
        let notes = self.pass.rules().notes;
        let node = &mut self.pass.tests[t];
        node.kept += 1;
        if notes && node.kept <= NOTES_PER_TEST {
            crate::output::log::emit(format_args!("NOTE: {note}"));
            return;
        }
        if notes && node.kept == NOTES_PER_TEST + 1 {
            crate::output::log::emit(format_args!(
                "NOTE: Not starting further items of test {} either (-debug 1 lists them)",
                node.name
            ));
        }
        crate::debug!(1, "NOTE: {note}");
    }

    /// The toplevel stage is met: list the items and register them.
    fn expand(&mut self, t: usize) -> Result<()> {
        if self.defs[t].dynamic {
            self.set_item_env(t, "", &[]);
            let (name, dir) = (self.pass.tests[t].name.clone(), self.defs[t].dir.clone());
            self.defs[t] = TestDef::read(&name, &dir, &self.ctx.area.top)?;
            // Items computed now (`[system ...]`, `#{shell ...}`) are checked now: a value
            // that would put a run directory outside the area ends this test, not the run.
            if let Err(error) = self.defs[t].check_items() {
                crate::output::log::emit(format_args!("{error}"));
                let comment = error.message.clone();
                return self.close_if_it_would_run(t, Some((Status::Abort, comment)));
            }
        }
        let list: Vec<Item> = match self.defs[t].items() {
            Items::None => vec![Item::bare("")],
            Items::List(list) if list.is_empty() => {
                let comment = "No items: [items] or [itemstable] gave an empty list";
                return self.close_if_it_would_run(t, Some((Status::ZeroItems, comment.into())));
            }
            Items::List(list) => self.pass.select_items(t, list),
        };
        if list.is_empty() {
            return self.close(t, None);
        }
        let ids = if list.len() == 1 && list[0].path.is_empty() {
            vec![self.pass.tests[t].toplevel_id]
        } else {
            let name = &self.pass.tests[t].name;
            let pairs: Vec<(&str, &str)> = list
                .iter()
                .map(|i| (name.as_str(), i.path.as_str()))
                .collect();
            self.ctx.store.register_tests(self.ctx.run_id, &pairs)?
        };
        for record in self.ctx.store.records(&ids)? {
            self.pass.records.put(record);
        }
        self.pass.expanded(t, list, ids);
        Ok(())
    }

    /// A kill request fulfilled: nothing of the test runs (any more).
    fn end_killed(&mut self, id: TestId, comment: &str) -> Result<()> {
        self.end_with(id, (State::Killed, Status::Killed), comment)
    }

    /// Nothing runs and nothing can become ready: whatever still waits is discarded.
    fn discard_stalled(&mut self) -> Result<()> {
        crate::warn!("tests are waiting on tests that can no longer run; they are discarded");
        for step in self.pass.stalled_steps() {
            self.carry_out(step)?;
        }
        Ok(())
    }

    // ----- launching -----

    fn launch_ready(&mut self) -> Result<()> {
        if self.pass.ready_is_empty() || self.interrupted.is_some() {
            return Ok(());
        }
        if let Some(at) = self.next_launch {
            if Instant::now() < at {
                return Ok(());
            }
            self.next_launch = None;
        }
        // Counting the area's running tests is a query: not again while nothing happened
        // that could free a slot, except now and then for other runners' tests.
        if self.full_since.is_some_and(|at| at.elapsed() < POLL_EVERY) {
            return Ok(());
        }
        // Count and launch under the area's lock (see area_share.rs).
        let area_lock = self.area_share.lock(self.ctx.store)?;
        let settings = &self.ctx.settings;
        let mut running = self.store().count_running()?;
        if !self.waiting_parents.is_empty() {
            // Tests waiting for this very run hold their slots for it.
            running -= self.store().count_running_of(&self.waiting_parents)?;
        }
        let slots = settings.max_jobs - running;
        self.full_since = (slots <= 0).then(Instant::now);
        let mut round = self.pass.begin_round(slots);
        while let Some((t, i)) = self.pass.next_ready(&mut round) {
            if !self.resources_allow(t, i)? {
                round.wait();
                continue;
            }
            let path = self.pass.tests[t].items[i].path.clone();
            let launcher = match choose_launcher(&self.ctx.area.config, &self.defs[t].name, &path) {
                Ok(launcher) => launcher,
                Err(error) => {
                    self.launch_failed(t, i, &error)?;
                    round.passed();
                    continue;
                }
            };
            let launcher = match launcher {
                Launcher::Ssh(pool) => match self.ssh_hosts.choose(&pool, &self.ssh_settings) {
                    Choice::Host(host) => Launcher::SshHost {
                        host,
                        ssh: self.ssh_settings.command.clone(),
                    },
                    Choice::Busy => {
                        crate::debug!(
                            1,
                            "every host of the ssh pool is above [jobtools] maxload; waiting {:?}",
                            settings.waitdelay
                        );
                        round.hold();
                        self.next_launch = Some(Instant::now() + settings.waitdelay);
                        break;
                    }
                    Choice::NoHost => {
                        let error = crate::error::Error::new(format!(
                            "no host of the ssh pool ({}) answers",
                            pool.join(" ")
                        ));
                        self.launch_failed(t, i, &error)?;
                        round.passed();
                        continue;
                    }
                },
                other => other,
            };
            // Batch systems and ssh pools place the job themselves; the local load is this
            // host's matter.
            let here = matches!(launcher, Launcher::Local | Launcher::Command(_));
            if here
                && let Some(maxload) = settings.maxload
                && too_loaded(maxload)
            {
                crate::debug!(
                    1,
                    "load is above [jobtools] maxload; waiting {:?}",
                    settings.waitdelay
                );
                round.hold();
                self.next_launch = Some(Instant::now() + settings.waitdelay);
                break;
            }
            if self.launch_one(t, i, launcher)? {
                round.launched();
                if !settings.launch_delay.is_zero() {
                    self.next_launch = Some(Instant::now() + settings.launch_delay);
                    round.hold();
                }
            } else {
                round.passed();
            }
        }
        if round.slots() <= 0 {
            // Filled by these launches: the same as having counted them.
            self.full_since.get_or_insert_with(Instant::now);
        }
        self.pass.end_round(round);
        if area_lock.shared {
            // The launches are in the database before the next runner counts.
            self.recording.settle();
        }
        drop(area_lock);
        Ok(())
    }

    /// Job groups and exclusive mode.
    fn resources_allow(&self, t: usize, i: usize) -> Result<bool> {
        let node = &self.pass.tests[t];
        if let Some(group) = &node.jobgroup
            && let Some(&limit) = self.ctx.settings.jobgroups.get(group)
            && self.store().count_running_in_jobgroup(group)? >= limit
        {
            return Ok(false);
        }
        let item = &node.items[i];
        if node.modes.exclusive
            && self
                .store()
                .instance_running(&node.name, &item.path, item.id)?
        {
            return Ok(false);
        }
        Ok(true)
    }

    /// The database is the truth: an item whose record changed since it was found ready
    /// (an operator's `-set-state-status`, a kill request, another runner) is not launched.
    /// True when it may be launched.
    fn still_launchable(&mut self, t: usize, i: usize) -> Result<bool> {
        let id = self.pass.tests[t].items[i].id;
        self.refresh(&[id])?;
        let Some(record) = self.pass.records.by_id.get(&id).cloned() else {
            return Ok(true);
        };
        let now = (record.state.clone(), record.status.clone());
        if self.pass.tests[t].items[i]
            .seen
            .as_ref()
            .is_none_or(|seen| *seen == now)
        {
            return Ok(true);
        }
        let full = crate::model::full_test_name(
            &self.pass.tests[t].name,
            &self.pass.tests[t].items[i].path,
        );
        match &record.state {
            State::KillReq => {
                self.end_killed(id, KILLED_UNSTARTED)?;
                self.set_phase(t, i, Phase::Done);
            }
            state if state.is_running() => {
                self.set_phase(t, i, Phase::Launched { local: false });
                self.pass.polled.insert((t, i));
            }
            State::NotStarted if record.status == Status::NotApplicable => return Ok(true),
            state => {
                let note = format!(
                    "Not starting test {full}: its record was set to state \"{state}\" and status \"{}\" while it waited",
                    record.status
                );
                self.note_kept(t, &note);
                self.set_phase(t, i, Phase::Done);
            }
        }
        Ok(false)
    }

    /// Launches (or skips) one item; true when something was launched.
    fn launch_one(&mut self, t: usize, i: usize, launcher: Launcher) -> Result<bool> {
        if !self.still_launchable(t, i)? {
            return Ok(false);
        }
        let (path, vars, id) = {
            let item = &self.pass.tests[t].items[i];
            (item.path.clone(), item.vars.pairs(&item.path), item.id)
        };
        self.set_item_env(t, &path, &vars);
        let reread;
        let def = if self.defs[t].dynamic {
            reread = TestDef::read(
                &self.pass.tests[t].name,
                &self.defs[t].dir,
                &self.ctx.area.top,
            )?;
            &reread
        } else {
            &self.defs[t]
        };
        // Only `[skip]` rules look at the database (running instances).
        let store = if def.skip().is_some() {
            self.store()
        } else {
            self.ctx.store
        };
        if let Some(reason) = skip_reason(def, store, &self.ctx.area.top, &path, id)? {
            self.end_with(id, (State::Completed, Status::Skip), &reason)?;
            self.set_phase(t, i, Phase::Done);
            return Ok(false);
        }
        let local = launcher.is_local();
        self.farm_launched |= matches!(launcher, Launcher::Slurm(_) | Launcher::SshHost { .. });
        if matches!(launcher, Launcher::SshHost { .. }) {
            self.ssh_launched.insert(id);
        }
        let item = LaunchItem {
            def,
            path: &path,
            vars: &vars,
            id,
            toplevel_id: self.pass.tests[t].toplevel_id,
            set_toplevel_dirs: !path.is_empty() && !self.pass.tests[t].dirs_set,
            launcher,
        };
        let sender = self.sender.clone();
        let fork = if local {
            self.forks
                .for_launch(&self.ctx.settings.executable, t, i, move |a| {
                    let _ = sender.send(Event::Fork(a));
                })
        } else {
            None
        };
        let sender = self.sender.clone();
        self.recording
            .server(self.ctx.store.path(), &self.ctx.keys, move || {
                let _ = sender.send(Event::SlotFreed);
            });
        let launched = match launch(self.ctx, &item, self.pass.rules(), fork, &self.recording) {
            Ok(launched) => launched,
            Err(error) => return self.launch_failed(t, i, &error).map(|()| false),
        };
        if !path.is_empty() {
            self.pass.tests[t].dirs_set = true;
        }
        match launched.process {
            Process::Spawned(child) => self.watch(t, i, child, launched.local),
            Process::Forked => self.forks.sent(t, i),
            Process::Submitted(job) => self.slurm.follow((t, i), id, job),
        }
        self.set_phase(
            t,
            i,
            Phase::Launched {
                local: launched.local,
            },
        );
        if !launched.local {
            // Launcher launches are followed through the database as well.
            self.pass.polled.insert((t, i));
        }
        if let Some(seq) = launched.posted {
            // Taken in as written rather than read back, which would wait for the commit.
            self.recording.posted(id, seq);
            if let Some(mut record) = self.pass.records.by_id.get(&id).cloned() {
                record.state = State::Launched;
                record.status = Status::NotApplicable;
                record.host = self.ctx.host.clone();
                record.pid = 0;
                record.event_time = crate::db::now();
                record.run_duration = 0;
                self.absorb(record);
            }
        } else {
            self.refresh(&[id, self.pass.tests[t].toplevel_id])?;
        }
        Ok(true)
    }

    /// A launch that failed (no usable disk, a full one, a launcher that cannot start): the
    /// item ends `INCOMPLETE/FAIL` with the reason, said once per reason on stderr, and the
    /// run goes on with the others.
    fn launch_failed(&mut self, t: usize, i: usize, error: &crate::error::Error) -> Result<()> {
        let id = self.pass.tests[t].items[i].id;
        if self.launch_errors.insert(error.message.clone()) {
            crate::output::log::emit(format_args!("{}", crate::error::render(error).trim_end()));
        }
        let comment = format!("Launch failed: {}", error.message);
        self.end_with(id, (State::Incomplete, Status::Fail), &comment)?;
        self.set_phase(t, i, Phase::Done);
        Ok(())
    }

    /// Waits for a child on a small thread that reports its exit; without a thread, the
    /// loop polls the child instead.
    fn watch(&mut self, t: usize, i: usize, child: Child, local: bool) {
        let sender = self.sender.clone();
        let shared = Arc::new(Mutex::new(Some(child)));
        let for_thread = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("child-waiter".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let taken = for_thread.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(mut child) = taken {
                    let code = child.wait().map_or(-1, crate::sys::shell::status_code);
                    let _ = sender.send(Event::Exited {
                        test: t,
                        item: i,
                        code,
                        local,
                    });
                }
            });
        if spawned.is_err()
            && let Some(child) = shared.lock().unwrap_or_else(|p| p.into_inner()).take()
        {
            self.unwaited.push((t, i, child, local));
        }
    }

    /// Exports the variables of the item about to be read or launched (spec §10.2).
    fn set_item_env(&mut self, t: usize, path: &str, vars: &[(String, String)]) {
        self.clear_item_env();
        environ::set("MT_TEST_NAME", &self.pass.tests[t].name);
        environ::set("MT_ITEMPATH", path);
        environ::set("MT_ITEM_INFO", &item_info(vars));
        for (name, value) in vars {
            environ::set(name, value);
            self.item_env.push(name.clone());
        }
    }

    fn clear_item_env(&mut self) {
        for name in self.item_env.drain(..) {
            environ::remove(&name);
        }
    }

    // ----- interruption -----

    /// Handles Ctrl-C: the first stops launching and asks running tests to stop; a second
    /// one ends the pass at once. True when the pass must end now.
    fn check_interrupts(&mut self) -> Result<bool> {
        let count = sys::interrupts();
        if count == self.interrupts_seen {
            return Ok(false);
        }
        self.interrupts_seen = count;
        self.progress.finish();
        if self.interrupted.is_some() {
            eprintln!("megatest: interrupted again; leaving the running tests as they are");
            return Ok(true);
        }
        self.interrupted = Some(Instant::now());
        eprintln!(
            "megatest: interrupted; no more tests will be launched, asking {} running test{} to stop",
            self.pass.flights,
            if self.pass.flights == 1 { "" } else { "s" }
        );
        let running: Vec<TestId> = self
            .pass
            .tests
            .iter()
            .flat_map(|n| n.items.iter())
            .filter(|item| matches!(item.phase, Phase::Launched { .. }))
            .map(|item| item.id)
            .collect();
        self.recording.settle();
        self.refresh(&running)?;
        for id in running {
            if self
                .pass
                .records
                .by_id
                .get(&id)
                .is_some_and(|r| r.state.is_active())
            {
                self.write(id, Some(State::KillReq), None, None)?;
            }
        }
        // Pending jobs have no executor to see the request.
        self.slurm.check_soon();
        Ok(false)
    }
}

/// How executors on other hosts reach this runner, when the area may launch there (see
/// `Settings::server`); `None` when it may not, or when the area's secret is unusable
/// (said once: such executors then fail to record, clearly, rather than write the
/// database over the network).
fn tcp_options(ctx: &RunContext<'_>) -> Option<TcpOptions> {
    let server = &ctx.settings.server;
    if !server.listen {
        return None;
    }
    match crate::recorder::secret::area_secret(&ctx.area.top) {
        Ok(secret) => Some(TcpOptions {
            bind: server.bind.clone(),
            advertise: server.advertise.clone(),
            secret,
            stoppable: false,
        }),
        Err(e) => {
            crate::warn!("{}", crate::error::render(&e).trim_end());
            None
        }
    }
}

/// Spec §2.4: the 1-minute load above `maxload` per CPU, or a jump of more than a CPU's worth
/// over the 5-minute load.
fn too_loaded(maxload: f64) -> bool {
    let cpus = sys::cpu_count() as f64;
    sys::load_average().is_some_and(|[one, five, _]| one > maxload * cpus || one - five > cpus)
}
