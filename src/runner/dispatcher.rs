//! The dispatcher: one loop that owns a pass over a run (spec §7.7). It expands tests into
//! items when their prerequisites allow, launches ready items by priority within the job
//! limits, learns of completions from executor exits (local launches) and from the database
//! (other launchers, earlier runners), and decides blocked tests.
//!
//! Work is driven by change: a record that changes marks the tests and items waiting on it
//! for another look, so a run of many items costs little per completion.

use super::area_share::AreaShare;
use super::context::RunContext;
use super::forking::{Forks, item_of};
use super::launching::{LaunchItem, launch};
use super::nodes::{ItemNode, Phase, Records, Stage, TestNode, View, completed_ok};
use super::options::{Decision, PassRules};
use super::progress::Progress;
use super::recording::Recording;
use super::skip::skip_reason;
use crate::db::{RecordState, StatusChange, Store};
use crate::environ;
use crate::error::Result;
use crate::launch::{Answer, Process, choose_launcher};
use crate::model::{State, Status};
use crate::plan::{Selection, Verdict, Waiton, evaluate};
use crate::select::TestPatterns;
use crate::sys;
use crate::testdef::{Item, Items, TestDef, item_info};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap, HashMap};
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
/// How long an interrupted runner waits for its tests to stop.
const STOP_WAIT: Duration = Duration::from_secs(20);
/// How many records of one test the pass names when the re-run rules keep them from running.
const NOTES_PER_TEST: usize = 5;

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassEnd {
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

#[derive(PartialEq, Eq)]
struct ReadyEntry {
    priority: i64,
    order: Reverse<u64>,
    test: usize,
    item: usize,
}

impl Ord for ReadyEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.priority, self.order).cmp(&(other.priority, other.order))
    }
}

impl PartialOrd for ReadyEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One pass over a run.
pub struct Dispatcher<'c, 'a> {
    ctx: &'c RunContext<'a>,
    rules: PassRules,
    patterns: TestPatterns,
    tests: Vec<TestNode>,
    by_name: HashMap<String, usize>,
    records: Records,
    ready: BinaryHeap<ReadyEntry>,
    order: u64,
    dirty_tests: BTreeSet<usize>,
    dirty_items: BTreeSet<(usize, usize)>,
    events: Receiver<Event>,
    sender: Sender<Event>,
    unwaited: Vec<(usize, usize, Child, bool)>,
    forks: Forks,
    recording: Recording,
    polled: BTreeSet<(usize, usize)>,
    waiting_tests: usize,
    pending_items: usize,
    flights: usize,
    done_items: usize,
    total_items: usize,
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
}

impl<'c, 'a> Dispatcher<'c, 'a> {
    /// Prepares a pass over the tests of `selection`; registers their toplevel records.
    pub fn new(ctx: &'c RunContext<'a>, selection: Selection, rules: PassRules) -> Result<Self> {
        let names: Vec<String> = selection.defs.keys().cloned().collect();
        let by_name: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
        let ids = ctx.store.register_tests(ctx.run_id, &pairs)?;
        let mut tests = Vec::with_capacity(names.len());
        for ((name, def), toplevel_id) in selection.defs.into_iter().zip(ids) {
            let waiton_names = selection.waitons.get(&name).cloned().unwrap_or_default();
            let waitons: Vec<usize> = waiton_names
                .iter()
                .filter_map(|w| by_name.get(w).copied())
                .collect();
            let itemmaps = waiton_names
                .iter()
                .map(|w| def.itemmap_for(w))
                .collect::<Result<Vec<_>>>()?;
            tests.push(TestNode {
                modes: def.modes()?,
                priority: def.priority(),
                jobgroup: def.jobgroup(),
                name,
                def,
                waitons,
                itemmaps,
                toplevel_id,
                stage: Stage::Waiting,
                items: Vec::new(),
                item_index: HashMap::new(),
                active: 0,
                ok_item: false,
                dependents: Vec::new(),
                dirs_set: false,
                kept: 0,
                waiting_on: Vec::new(),
            });
        }
        for t in 0..tests.len() {
            for w in tests[t].waitons.clone() {
                tests[w].dependents.push(t);
            }
        }
        let mut records = Records::default();
        for record in ctx.store.run_records(ctx.run_id)? {
            records.put(record);
        }
        let (sender, events) = mpsc::channel();
        let now = Instant::now();
        let count = tests.len();
        Ok(Dispatcher {
            progress: Progress::new(&ctx.target_text(), &ctx.runname),
            ctx,
            rules,
            patterns: selection.patterns,
            dirty_tests: (0..count).collect(),
            tests,
            by_name,
            records,
            ready: BinaryHeap::new(),
            order: 0,
            dirty_items: BTreeSet::new(),
            events,
            sender,
            unwaited: Vec::new(),
            forks: Forks::new(ctx.settings.fork_launch),
            recording: Recording::new(ctx.settings.record_via_runner),
            polled: BTreeSet::new(),
            waiting_tests: count,
            pending_items: 0,
            flights: 0,
            done_items: 0,
            total_items: 0,
            next_launch: None,
            next_poll: now,
            next_refresh: now + REFRESH_EVERY,
            next_liveness: now,
            item_env: Vec::new(),
            interrupted: None,
            interrupts_seen: sys::interrupts(),
            full_since: None,
            area_share: AreaShare::new(ctx.store, ctx.run_id),
            launch_errors: BTreeSet::new(),
        })
    }

    /// Runs the pass to its end.
    pub fn run(mut self) -> Result<PassEnd> {
        let result = self.run_loop();
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
            if self.interrupted.is_some() {
                if self.flights == 0 || self.interrupted.is_some_and(|at| at.elapsed() > STOP_WAIT)
                {
                    return Ok(PassEnd::Interrupted);
                }
            } else if self.finished() {
                return Ok(PassEnd::Finished);
            } else if self.stalled() {
                self.discard_stalled()?;
                continue;
            }
            self.progress
                .bar(self.done_items, self.total_items, self.flights);
            let timeout = self.wait_timeout();
            self.drain_events(timeout)?;
        }
    }

    fn finished(&self) -> bool {
        self.waiting_tests == 0
            && self.pending_items == 0
            && (!self.rules.wait || self.flights == 0)
    }

    fn stalled(&self) -> bool {
        (self.waiting_tests > 0 || self.pending_items > 0)
            && self.ready.is_empty()
            && self.flights == 0
            && self.dirty_tests.is_empty()
            && self.dirty_items.is_empty()
            && self.next_launch.is_none()
    }

    fn wait_timeout(&self) -> Duration {
        let mut wait =
            if self.polled.is_empty() && self.ready.is_empty() && self.unwaited.is_empty() {
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
                    exited.push((*t, *i, crate::shell::status_code(status), *local));
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
                let id = self.tests[t].items[i].id;
                let comment = format!("Launch failed: {message}");
                self.end_with(id, (State::Incomplete, Status::Fail), &comment)?;
                self.set_phase(t, i, Phase::Done);
            }
            Answer::Gone => {
                for (t, i) in self.forks.lost() {
                    if matches!(self.tests[t].items[i].phase, Phase::Launched { .. }) {
                        self.set_phase(t, i, Phase::Launched { local: false });
                    }
                }
            }
        }
        Ok(())
    }

    /// An executor (local) or a launcher ended.
    fn on_exit(&mut self, t: usize, i: usize, code: i32, local: bool) -> Result<()> {
        let id = self.tests[t].items[i].id;
        self.refresh(&[id, self.tests[t].toplevel_id])?;
        let record = self.records.by_id.get(&id).cloned();
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
            for record in self.store().run_records(self.ctx.run_id)? {
                self.absorb(record);
            }
        } else if now >= self.next_poll && !self.polled.is_empty() {
            self.next_poll = now + POLL_EVERY;
            let ids: Vec<i64> = self
                .polled
                .iter()
                .map(|&(t, i)| self.tests[t].items[i].id)
                .collect();
            self.refresh(&ids)?;
        }
        if now >= self.next_liveness && !self.polled.is_empty() {
            self.next_liveness = now + LIVENESS_EVERY;
            self.check_liveness()?;
        }
        Ok(())
    }

    /// Executors of this host that died without finishing their test (an earlier runner's
    /// launches, found after a restart).
    fn check_liveness(&mut self) -> Result<()> {
        let now = crate::db::now();
        let lost: Vec<i64> = self
            .polled
            .iter()
            .filter_map(|&(t, i)| self.records.by_id.get(&self.tests[t].items[i].id))
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
            let state = self.records.by_id.get(&id).map(|r| r.state.clone());
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
    fn refresh(&mut self, ids: &[i64]) -> Result<()> {
        self.recording.settle_for(ids);
        for record in self.ctx.store.records(ids)? {
            self.absorb(record);
        }
        Ok(())
    }

    /// Writes a state/status (with rollup), fires triggers, and takes in the result.
    fn write(
        &mut self,
        id: i64,
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
        let ids: Vec<i64> = changes.iter().map(|c| c.test_id).collect();
        self.refresh(&ids)
    }

    /// [`Self::write`] of both a state and a status, with a comment.
    fn end_with(&mut self, id: i64, (state, status): (State, Status), comment: &str) -> Result<()> {
        self.write(id, Some(state), Some(status), Some(comment))
    }

    /// Takes in a record read from the database.
    fn absorb(&mut self, record: RecordState) {
        if self.records.put(record.clone()).is_none() {
            return;
        }
        self.progress.changed(&record);
        let Some(&t) = self.by_name.get(&record.testname) else {
            return;
        };
        if let Some(&i) = self.tests[t].item_index.get(&record.item_path) {
            let launched_elsewhere =
                self.tests[t].items[i].phase == Phase::Launched { local: false };
            if launched_elsewhere && !record.state.is_active() {
                self.set_phase(t, i, Phase::Done);
            }
        }
        self.touch(t, &record.item_path, completed_ok(&record));
    }

    /// Marks what waits on `t`/`item` for another look.
    fn touch(&mut self, t: usize, item: &str, ok: bool) {
        for d in self.tests[t].dependents.clone() {
            let dep = &self.tests[d];
            match dep.stage {
                Stage::Waiting => {
                    self.dirty_tests.insert(d);
                }
                Stage::Expanded if dep.modes.per_item() => {
                    if item.is_empty() || (ok && dep.modes.itemmatch) {
                        self.dirty_tests.insert(d);
                        continue;
                    }
                    for (w, map) in dep.waitons.iter().zip(&dep.waiting_on) {
                        if *w == t {
                            for &i in map.get(item).into_iter().flatten() {
                                self.dirty_items.insert((d, i));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn set_phase(&mut self, t: usize, i: usize, phase: Phase) {
        let old = self.tests[t].items[i].phase;
        if old == phase {
            return;
        }
        match old {
            Phase::Pending | Phase::Ready => self.pending_items -= 1,
            Phase::Launched { .. } => self.flights -= 1,
            Phase::Done => self.done_items -= 1,
        }
        match phase {
            Phase::Pending | Phase::Ready => self.pending_items += 1,
            Phase::Launched { .. } => self.flights += 1,
            Phase::Done => self.done_items += 1,
        }
        if phase == (Phase::Launched { local: false }) {
            self.polled.insert((t, i));
        } else {
            self.polled.remove(&(t, i));
        }
        self.tests[t].items[i].phase = phase;
        if phase == Phase::Done {
            let id = self.tests[t].items[i].id;
            let ok = self.records.by_id.get(&id).is_some_and(completed_ok);
            let node = &mut self.tests[t];
            node.ok_item |= ok;
            node.active -= 1;
            let path = node.items[i].path.clone();
            let settled = node.active == 0;
            self.touch(t, &path, ok);
            if settled {
                self.settle(t);
            }
        }
    }

    /// The test is settled: everything waiting on it looks again, and an itemized test that
    /// ran gets its rollup page (once, rather than after every item as Megatest does).
    fn settle(&mut self, t: usize) {
        let node = &self.tests[t];
        if node.dirs_set {
            let job = crate::job::Job {
                run_id: self.ctx.run_id,
                test_name: node.name.clone(),
                ..crate::job::Job::default()
            };
            if let Err(e) = crate::report::write_rollup(self.ctx.store, &job) {
                crate::warn!("{}", e.message);
            }
        }
        for d in self.tests[t].dependents.clone() {
            self.dirty_tests.insert(d);
        }
    }

    // ----- decisions -----

    fn evaluate_dirty(&mut self) -> Result<()> {
        while !self.dirty_tests.is_empty() || !self.dirty_items.is_empty() {
            let tests = std::mem::take(&mut self.dirty_tests);
            let items = std::mem::take(&mut self.dirty_items);
            for t in tests {
                match self.tests[t].stage {
                    Stage::Waiting => self.evaluate_toplevel(t)?,
                    Stage::Expanded => {
                        for i in 0..self.tests[t].items.len() {
                            if self.tests[t].items[i].phase == Phase::Pending {
                                self.evaluate_item(t, i)?;
                            }
                        }
                    }
                    Stage::Closed => {}
                }
            }
            for (t, i) in items {
                if self.tests[t].stage == Stage::Expanded
                    && self.tests[t].items[i].phase == Phase::Pending
                {
                    self.evaluate_item(t, i)?;
                }
            }
        }
        Ok(())
    }

    fn verdict(&self, t: usize, item: Option<&str>) -> Verdict {
        let node = &self.tests[t];
        let waitons: Vec<Waiton<'_>> = node
            .waitons
            .iter()
            .zip(&node.itemmaps)
            .map(|(&w, map)| Waiton {
                name: &self.tests[w].name,
                itemmap: map.as_ref(),
            })
            .collect();
        let view = View {
            tests: &self.tests,
            by_name: &self.by_name,
            records: &self.records,
        };
        evaluate(node.modes, &waitons, item, &view)
    }

    fn evaluate_toplevel(&mut self, t: usize) -> Result<()> {
        match self.verdict(t, None) {
            Verdict::Wait => Ok(()),
            Verdict::Met => self.expand(t),
            blocked => {
                let (status, comment) = blocked_status(blocked);
                self.close(t, Some((status, comment)))
            }
        }
    }

    /// Closes a test's toplevel stage, writing `(status, comment)` to its toplevel record
    /// when the re-run rules would have run it.
    fn close(&mut self, t: usize, outcome: Option<(Status, &str)>) -> Result<()> {
        if let Some((status, comment)) = outcome {
            let id = self.tests[t].toplevel_id;
            if self.would_run(t, id) {
                self.write(id, Some(State::NotStarted), Some(status), Some(comment))?;
            }
        }
        self.tests[t].stage = Stage::Closed;
        self.waiting_tests -= 1;
        self.settle(t);
        Ok(())
    }

    /// Says why a record is not started, as Megatest's NOTE does; a test's items after the
    /// first [`NOTES_PER_TEST`] are summed up in one line (`-debug 1` lists them all).
    fn note_kept(&mut self, t: usize, note: &str) {
        let node = &mut self.tests[t];
        node.kept += 1;
        if self.rules.notes && node.kept <= NOTES_PER_TEST {
            crate::log::emit(format_args!("NOTE: {note}"));
            return;
        }
        if self.rules.notes && node.kept == NOTES_PER_TEST + 1 {
            crate::log::emit(format_args!(
                "NOTE: Not starting further items of test {} either (-debug 1 lists them)",
                node.name
            ));
        }
        crate::debug!(1, "NOTE: {note}");
    }

    fn would_run(&self, t: usize, id: i64) -> bool {
        self.records.by_id.get(&id).is_none_or(|r| {
            self.rules.decide(&self.tests[t].name, &r.state, &r.status) == Decision::Run
        })
    }

    /// The toplevel stage is met: list the items and register them.
    fn expand(&mut self, t: usize) -> Result<()> {
        if self.tests[t].def.dynamic {
            self.set_item_env(t, "", &[]);
            let (name, dir) = (self.tests[t].name.clone(), self.tests[t].def.dir.clone());
            self.tests[t].def = TestDef::read(&name, &dir, &self.ctx.area.top)?;
            // Items computed now (`[system ...]`, `#{shell ...}`) are checked now: a value
            // that would put a run directory outside the area ends this test, not the run.
            if let Err(error) = self.tests[t].def.check_items() {
                crate::log::emit(format_args!("{error}"));
                let comment = error.message.clone();
                return self.close(t, Some((Status::Abort, &comment)));
            }
        }
        let name = self.tests[t].name.clone();
        let list: Vec<Item> = match self.tests[t].def.items() {
            Items::None => vec![Item {
                path: String::new(),
                vars: Vec::new(),
            }],
            Items::List(list) if list.is_empty() => {
                return self.close(
                    t,
                    Some((
                        Status::ZeroItems,
                        "No items: [items] or [itemstable] gave an empty list",
                    )),
                );
            }
            Items::List(list) => list
                .into_iter()
                .filter(|item| self.patterns.matches(&name, &item.path))
                .collect(),
        };
        if list.is_empty() {
            return self.close(t, None);
        }
        let ids = if list.len() == 1 && list[0].path.is_empty() {
            vec![self.tests[t].toplevel_id]
        } else {
            let pairs: Vec<(&str, &str)> = list
                .iter()
                .map(|i| (name.as_str(), i.path.as_str()))
                .collect();
            self.ctx.store.register_tests(self.ctx.run_id, &pairs)?
        };
        for record in self.ctx.store.records(&ids)? {
            self.records.put(record);
        }
        let node = &mut self.tests[t];
        node.items = list
            .into_iter()
            .zip(ids)
            .map(|(item, id)| ItemNode {
                path: item.path,
                vars: item.vars,
                id,
                phase: Phase::Pending,
                seen: None,
            })
            .collect();
        node.item_index = node
            .items
            .iter()
            .enumerate()
            .map(|(i, n)| (n.path.clone(), i))
            .collect();
        node.active = node.items.len();
        if node.modes.per_item() {
            node.waiting_on = node
                .itemmaps
                .iter()
                .map(|map| {
                    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
                    for (i, item) in node.items.iter().enumerate() {
                        let mapped = map
                            .as_ref()
                            .map_or_else(|| item.path.clone(), |m| m.apply(&item.path));
                        index.entry(mapped).or_default().push(i);
                    }
                    index
                })
                .collect();
        }
        node.stage = Stage::Expanded;
        let count = node.items.len();
        self.pending_items += count;
        self.total_items += count;
        self.waiting_tests -= 1;
        self.dirty_tests.insert(t);
        Ok(())
    }

    fn evaluate_item(&mut self, t: usize, i: usize) -> Result<()> {
        let node = &self.tests[t];
        let verdict = if node.modes.per_item() {
            self.verdict(t, Some(&node.items[i].path))
        } else {
            Verdict::Met
        };
        let id = node.items[i].id;
        match verdict {
            Verdict::Wait => Ok(()),
            Verdict::Met => {
                let full = crate::model::full_test_name(&node.name, &node.items[i].path);
                let record = self.records.by_id.get(&id);
                let decision = record.map_or(Decision::Run, |r| {
                    self.rules.decide(&full, &r.state, &r.status)
                });
                let seen = record.map(|r| (r.state.clone(), r.status.clone()));
                match decision {
                    Decision::Run => {
                        self.tests[t].items[i].seen = seen;
                        let node = &self.tests[t];
                        self.order += 1;
                        self.ready.push(ReadyEntry {
                            priority: node.priority,
                            order: Reverse(self.order),
                            test: t,
                            item: i,
                        });
                        self.set_phase(t, i, Phase::Ready);
                    }
                    Decision::AlreadyRunning if record.is_some_and(|r| self.never_ran(r)) => {
                        // Asked to stop before it was ever launched: nothing to wait for.
                        self.end_killed(id, KILLED_UNSTARTED)?;
                        self.set_phase(t, i, Phase::Done);
                    }
                    Decision::AlreadyRunning => {
                        self.set_phase(t, i, Phase::Launched { local: false })
                    }
                    Decision::Keep(note) => {
                        self.note_kept(t, &note);
                        self.set_phase(t, i, Phase::Done);
                    }
                }
                Ok(())
            }
            blocked => {
                if self.would_run(t, id) {
                    let (status, comment) = blocked_status(blocked);
                    self.write(id, Some(State::NotStarted), Some(status), Some(comment))?;
                }
                self.set_phase(t, i, Phase::Done);
                Ok(())
            }
        }
    }

    /// A kill request fulfilled: nothing of the test runs (any more).
    fn end_killed(&mut self, id: i64, comment: &str) -> Result<()> {
        self.end_with(id, (State::Killed, Status::Killed), comment)
    }

    /// A `KILLREQ` record with no executor behind it: never launched (no host), or launched
    /// from this host by a process that is gone.
    fn never_ran(&self, record: &RecordState) -> bool {
        record.state == State::KillReq
            && (record.host == "n/a"
                || (record.host == self.ctx.host
                    && (record.pid <= 0 || !sys::process_exists(record.pid as u32))))
    }

    /// Nothing runs and nothing can become ready: whatever still waits is discarded.
    fn discard_stalled(&mut self) -> Result<()> {
        crate::warn!("tests are waiting on tests that can no longer run; they are discarded");
        let comment = "Failed to run: waited on tests that can no longer run";
        for t in 0..self.tests.len() {
            match self.tests[t].stage {
                Stage::Waiting => self.close(t, Some((Status::PreqDiscarded, comment)))?,
                Stage::Expanded => {
                    for i in 0..self.tests[t].items.len() {
                        if self.tests[t].items[i].phase == Phase::Pending {
                            let id = self.tests[t].items[i].id;
                            if self.would_run(t, id) {
                                self.end_with(
                                    id,
                                    (State::NotStarted, Status::PreqDiscarded),
                                    comment,
                                )?;
                            }
                            self.set_phase(t, i, Phase::Done);
                        }
                    }
                }
                Stage::Closed => {}
            }
        }
        Ok(())
    }

    // ----- launching -----

    fn launch_ready(&mut self) -> Result<()> {
        if self.ready.is_empty() || self.interrupted.is_some() {
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
        let mut slots = settings.max_jobs - self.store().count_running()?;
        self.full_since = (slots <= 0).then(Instant::now);
        let mut aside = Vec::new();
        while slots > 0 {
            let Some(entry) = self.ready.pop() else { break };
            let (t, i) = (entry.test, entry.item);
            if self.tests[t].items[i].phase != Phase::Ready {
                continue;
            }
            if !self.resources_allow(t, i)? {
                aside.push(entry);
                continue;
            }
            if let Some(maxload) = settings.maxload
                && too_loaded(maxload)
            {
                crate::debug!(
                    1,
                    "load is above [jobtools] maxload; waiting {:?}",
                    settings.waitdelay
                );
                aside.push(entry);
                self.next_launch = Some(Instant::now() + settings.waitdelay);
                break;
            }
            if self.launch_one(t, i)? {
                slots -= 1;
                if !settings.launch_delay.is_zero() {
                    self.next_launch = Some(Instant::now() + settings.launch_delay);
                    break;
                }
            }
        }
        if slots <= 0 {
            // Filled by these launches: the same as having counted them.
            self.full_since.get_or_insert_with(Instant::now);
        }
        self.ready.extend(aside);
        if area_lock.shared {
            // The launches are in the database before the next runner counts.
            self.recording.settle();
        }
        drop(area_lock);
        Ok(())
    }

    /// Job groups and exclusive mode.
    fn resources_allow(&self, t: usize, i: usize) -> Result<bool> {
        let node = &self.tests[t];
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
        let id = self.tests[t].items[i].id;
        self.refresh(&[id])?;
        let Some(record) = self.records.by_id.get(&id).cloned() else {
            return Ok(true);
        };
        let now = (record.state.clone(), record.status.clone());
        if self.tests[t].items[i]
            .seen
            .as_ref()
            .is_none_or(|seen| *seen == now)
        {
            return Ok(true);
        }
        let full = crate::model::full_test_name(&self.tests[t].name, &self.tests[t].items[i].path);
        match &record.state {
            State::KillReq => {
                self.end_killed(id, KILLED_UNSTARTED)?;
                self.set_phase(t, i, Phase::Done);
            }
            state if state.is_running() => {
                self.set_phase(t, i, Phase::Launched { local: false });
                self.polled.insert((t, i));
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
    fn launch_one(&mut self, t: usize, i: usize) -> Result<bool> {
        if !self.still_launchable(t, i)? {
            return Ok(false);
        }
        let (path, vars, id) = {
            let item = &self.tests[t].items[i];
            (item.path.clone(), item.vars.clone(), item.id)
        };
        self.set_item_env(t, &path, &vars);
        let reread;
        let def = if self.tests[t].def.dynamic {
            reread = TestDef::read(
                &self.tests[t].name,
                &self.tests[t].def.dir,
                &self.ctx.area.top,
            )?;
            &reread
        } else {
            &self.tests[t].def
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
        let item = LaunchItem {
            def,
            path: &path,
            vars: &vars,
            id,
            toplevel_id: self.tests[t].toplevel_id,
            set_toplevel_dirs: !path.is_empty() && !self.tests[t].dirs_set,
        };
        let local =
            choose_launcher(&self.ctx.area.config, &def.name, &path).is_ok_and(|l| l.is_local());
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
        let launched = match launch(self.ctx, &item, &self.rules, fork, &self.recording) {
            Ok(launched) => launched,
            Err(error) => return self.launch_failed(t, i, &error).map(|()| false),
        };
        if !path.is_empty() {
            self.tests[t].dirs_set = true;
        }
        match launched.process {
            Process::Spawned(child) => self.watch(t, i, child, launched.local),
            Process::Forked => self.forks.sent(t, i),
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
            self.polled.insert((t, i));
        }
        if let Some(seq) = launched.posted {
            // Taken in as written rather than read back, which would wait for the commit.
            self.recording.posted(id, seq);
            if let Some(mut record) = self.records.by_id.get(&id).cloned() {
                record.state = State::Launched;
                record.status = Status::NotApplicable;
                record.host = self.ctx.host.clone();
                record.pid = 0;
                record.event_time = crate::db::now();
                record.run_duration = 0;
                self.absorb(record);
            }
        } else {
            self.refresh(&[id, self.tests[t].toplevel_id])?;
        }
        Ok(true)
    }

    /// A launch that failed (no usable disk, a full one, a launcher that cannot start): the
    /// item ends `INCOMPLETE/FAIL` with the reason, said once per reason on stderr, and the
    /// run goes on with the others.
    fn launch_failed(&mut self, t: usize, i: usize, error: &crate::error::Error) -> Result<()> {
        let id = self.tests[t].items[i].id;
        if self.launch_errors.insert(error.message.clone()) {
            crate::log::emit(format_args!("{}", crate::error::render(error).trim_end()));
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
                    let code = child.wait().map_or(-1, crate::shell::status_code);
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
        environ::set("MT_TEST_NAME", &self.tests[t].name);
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
            self.flights,
            if self.flights == 1 { "" } else { "s" }
        );
        let running: Vec<i64> = self
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
                .records
                .by_id
                .get(&id)
                .is_some_and(|r| r.state.is_active())
            {
                self.write(id, Some(State::KillReq), None, None)?;
            }
        }
        Ok(false)
    }
}

fn blocked_status(verdict: Verdict) -> (Status, &'static str) {
    match verdict {
        Verdict::Fail => (
            Status::PreqFail,
            "Failed to run due to failed prerequisites",
        ),
        _ => (
            Status::PreqDiscarded,
            "Failed to run due to prior failed prerequisites",
        ),
    }
}

/// Spec §2.4: the 1-minute load above `maxload` per CPU, or a jump of more than a CPU's worth
/// over the 5-minute load.
fn too_loaded(maxload: f64) -> bool {
    let cpus = sys::cpu_count() as f64;
    sys::load_average().is_some_and(|[one, five, _]| one > maxload * cpus || one - five > cpus)
}
