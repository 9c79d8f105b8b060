//! The rules of a pass, without its I/O: the tests and items with their phases, the records
//! as last seen, the ready queue by priority, and what must be looked at again when a record
//! changes. The dispatcher (`dispatcher.rs`) feeds it records and the results of what it
//! asked for; it answers with the next [`Step`] to carry out. Nothing here reads the
//! database, starts a process or touches a file, so its rules are tested in memory.

use super::nodes::{ItemNode, Phase, Records, Stage, TestNode, View, completed_ok};
use super::options::{Decision, PassRules};
use crate::db::RecordState;
use crate::model::{State, Status, TestId, full_test_name};
use crate::plan::{Verdict, Waiton, evaluate};
use crate::select::TestPatterns;
use crate::testdef::Item;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};

/// Comment of a test that waited on tests which can no longer run.
pub(super) const STALLED_COMMENT: &str = "Failed to run: waited on tests that can no longer run";

#[derive(Debug, PartialEq, Eq)]
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

/// What the dispatcher must carry out next: each needs I/O, and ends with a call back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// The toplevel stage of test `t` is met: list its items (re-reading a dynamic
    /// testconfig), register them, then [`Pass::expanded`] (or [`Pass::close`]).
    Expand(usize),
    /// Test `t` will not run: write `write` (state `NOT_STARTED`) to its toplevel record when
    /// given, then [`Pass::close`].
    Close {
        /// The test.
        t: usize,
        /// The status and comment to write.
        write: Option<(Status, &'static str)>,
    },
    /// Item `i` of test `t` will not run: write `write` (state `NOT_STARTED`) to its record
    /// when given, then set it [`Phase::Done`].
    Block {
        /// The test.
        t: usize,
        /// The item.
        i: usize,
        /// The status and comment to write.
        write: Option<(Status, &'static str)>,
    },
    /// The re-run rules keep item `i` of test `t` as it is: say `note`, then set it
    /// [`Phase::Done`].
    Keep {
        /// The test.
        t: usize,
        /// The item.
        i: usize,
        /// Why.
        note: String,
    },
    /// Item `i` of test `t` was asked to stop (`KILLREQ`) and never launched: end it
    /// `KILLED`, then set it [`Phase::Done`].
    EndKilled {
        /// The test.
        t: usize,
        /// The item.
        i: usize,
    },
    /// Item `i` of test `t` was asked to stop and was launched from this host by process
    /// `pid`: if that process is gone, as [`Step::EndKilled`]; else it still runs (set it
    /// [`Phase::Launched`] `{ local: false }`).
    CheckKilled {
        /// The test.
        t: usize,
        /// The item.
        i: usize,
        /// The process that ran it.
        pid: u32,
    },
}

/// What the blocked verdict writes: (status, comment).
pub(super) fn blocked_status(verdict: Verdict) -> (Status, &'static str) {
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

/// What is evaluated next: a test's toplevel stage, or one item.
#[derive(Debug, Clone, Copy)]
enum Todo {
    Test(usize),
    Item(usize, usize),
}

/// One pass's picture of the run and its rules.
pub(super) struct Pass {
    /// The tests, by index.
    pub tests: Vec<TestNode>,
    /// Test name → index.
    pub by_name: HashMap<String, usize>,
    /// The run's records as last read or written.
    pub records: Records,
    rules: PassRules,
    patterns: TestPatterns,
    /// This host's name (a `KILLREQ` record launched from here may be checked).
    host: String,
    ready: BinaryHeap<ReadyEntry>,
    order: u64,
    dirty_tests: BTreeSet<usize>,
    dirty_items: BTreeSet<(usize, usize)>,
    todo: VecDeque<Todo>,
    /// Items launched by someone else, followed through the database.
    pub polled: BTreeSet<(usize, usize)>,
    /// Tests whose toplevel stage is not decided yet.
    pub waiting_tests: usize,
    /// Items waiting for prerequisites or in the ready queue.
    pub pending_items: usize,
    /// Items launched and not done.
    pub flights: usize,
    /// Items done.
    pub done_items: usize,
    /// Items known.
    pub total_items: usize,
    /// Tests that settled whose rollup page is due (itemized tests this pass launched).
    settled_pages: Vec<usize>,
}

impl Pass {
    /// A pass over `tests` (their waitons and dependents linked), with the run's records.
    pub(super) fn new(
        mut tests: Vec<TestNode>,
        records: Records,
        rules: PassRules,
        patterns: TestPatterns,
        host: String,
    ) -> Pass {
        for t in 0..tests.len() {
            for w in tests[t].waitons.clone() {
                tests[w].dependents.push(t);
            }
        }
        let by_name = tests
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        let count = tests.len();
        Pass {
            tests,
            by_name,
            records,
            rules,
            patterns,
            host,
            ready: BinaryHeap::new(),
            order: 0,
            dirty_tests: (0..count).collect(),
            dirty_items: BTreeSet::new(),
            todo: VecDeque::new(),
            polled: BTreeSet::new(),
            waiting_tests: count,
            pending_items: 0,
            flights: 0,
            done_items: 0,
            total_items: 0,
            settled_pages: Vec::new(),
        }
    }

    /// The re-run rules of the pass.
    pub(super) fn rules(&self) -> &PassRules {
        &self.rules
    }

    // ----- the records -----

    /// Takes in a record read or written; the record as kept when its state or status
    /// changed. An item launched elsewhere whose record is no longer active is done.
    pub(super) fn absorb(&mut self, record: RecordState) -> Option<&RecordState> {
        let id = record.id;
        let testname = record.testname.clone();
        let item_path = record.item_path.clone();
        let active = record.state.is_active();
        let ok = completed_ok(&record);
        self.records.put(record)?;
        if let Some(&t) = self.by_name.get(&testname) {
            if let Some(i) = self.tests[t].item(&item_path) {
                let launched_elsewhere =
                    self.tests[t].items[i].phase == Phase::Launched { local: false };
                if launched_elsewhere && !active {
                    self.set_phase(t, i, Phase::Done);
                }
            }
            self.touch(t, &item_path, ok);
        }
        self.records.by_id.get(&id)
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

    // ----- phases -----

    /// Moves item `i` of test `t` to `phase`, keeping the counts; a test whose last item is
    /// done settles.
    pub(super) fn set_phase(&mut self, t: usize, i: usize, phase: Phase) {
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
    /// this pass launched has its rollup page due.
    fn settle(&mut self, t: usize) {
        if self.tests[t].dirs_set {
            self.settled_pages.push(t);
        }
        for d in self.tests[t].dependents.clone() {
            self.dirty_tests.insert(d);
        }
    }

    /// The tests whose rollup page is due since last asked.
    pub(super) fn take_settled_pages(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.settled_pages)
    }

    /// Closes test `t`'s toplevel stage: nothing (more) of it runs in this pass.
    pub(super) fn close(&mut self, t: usize) {
        self.tests[t].stage = Stage::Closed;
        self.waiting_tests -= 1;
        self.settle(t);
    }

    /// Whether the re-run rules would run the record `id` of test `t` (a record not seen
    /// yet would run).
    pub(super) fn would_run(&self, t: usize, id: TestId) -> bool {
        self.records.by_id.get(&id).is_none_or(|r| {
            self.rules.decide(&self.tests[t].name, &r.state, &r.status) == Decision::Run
        })
    }

    // ----- expansion -----

    /// The items of test `t` the pass's test patterns select.
    pub(super) fn select_items(&self, t: usize, list: Vec<Item>) -> Vec<Item> {
        let name = &self.tests[t].name;
        list.into_iter()
            .filter(|item| self.patterns.matches(name, &item.path))
            .collect()
    }

    /// Test `t`'s items are listed and registered (`ids`, same order) and their records
    /// taken in: they wait for their prerequisites.
    pub(super) fn expanded(&mut self, t: usize, list: Vec<Item>, ids: Vec<TestId>) {
        let node = &mut self.tests[t];
        node.set_items(
            list.into_iter()
                .zip(ids)
                .map(|(item, id)| ItemNode {
                    path: item.path,
                    vars: item.vars,
                    id,
                    phase: Phase::Pending,
                    seen: None,
                })
                .collect(),
        );
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
    }

    // ----- decisions -----

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

    /// Whether something is left to look at.
    pub(super) fn has_dirty(&self) -> bool {
        !self.todo.is_empty() || !self.dirty_tests.is_empty() || !self.dirty_items.is_empty()
    }

    /// The next thing to carry out, after looking at what changed; `None` when nothing is left
    /// to decide for now. Items found ready go to the ready queue, items launched elsewhere
    /// are followed, without a step.
    pub(super) fn next_step(&mut self) -> Option<Step> {
        loop {
            if self.todo.is_empty() {
                if self.dirty_tests.is_empty() && self.dirty_items.is_empty() {
                    return None;
                }
                let tests = std::mem::take(&mut self.dirty_tests);
                let items = std::mem::take(&mut self.dirty_items);
                self.todo.extend(tests.into_iter().map(Todo::Test));
                self.todo
                    .extend(items.into_iter().map(|(t, i)| Todo::Item(t, i)));
            }
            let todo = self.todo.pop_front().expect("refilled above");
            let step = match todo {
                Todo::Test(t) => match self.tests[t].stage {
                    Stage::Waiting => self.evaluate_toplevel(t),
                    Stage::Expanded => {
                        let pending: Vec<Todo> = (0..self.tests[t].items.len())
                            .filter(|&i| self.tests[t].items[i].phase == Phase::Pending)
                            .map(|i| Todo::Item(t, i))
                            .collect();
                        for todo in pending.into_iter().rev() {
                            self.todo.push_front(todo);
                        }
                        None
                    }
                    Stage::Closed => None,
                },
                Todo::Item(t, i) => {
                    if self.tests[t].stage == Stage::Expanded
                        && self.tests[t].items[i].phase == Phase::Pending
                    {
                        self.evaluate_item(t, i)
                    } else {
                        None
                    }
                }
            };
            if step.is_some() {
                return step;
            }
        }
    }

    fn evaluate_toplevel(&self, t: usize) -> Option<Step> {
        match self.verdict(t, None) {
            Verdict::Wait => None,
            Verdict::Met => Some(Step::Expand(t)),
            blocked => {
                let id = self.tests[t].toplevel_id;
                let write = self.would_run(t, id).then(|| blocked_status(blocked));
                Some(Step::Close { t, write })
            }
        }
    }

    fn evaluate_item(&mut self, t: usize, i: usize) -> Option<Step> {
        let node = &self.tests[t];
        let verdict = if node.modes.per_item() {
            self.verdict(t, Some(&node.items[i].path))
        } else {
            Verdict::Met
        };
        let id = node.items[i].id;
        match verdict {
            Verdict::Wait => None,
            Verdict::Met => {
                let full = full_test_name(&node.name, &node.items[i].path);
                let record = self.records.by_id.get(&id);
                let decision = record.map_or(Decision::Run, |r| {
                    self.rules.decide(&full, &r.state, &r.status)
                });
                let seen = record.map(|r| (r.state.clone(), r.status.clone()));
                let killed = record
                    .filter(|r| r.state == State::KillReq)
                    .map(|r| (r.host.clone(), r.pid));
                match decision {
                    Decision::Run => {
                        self.tests[t].items[i].seen = seen;
                        self.order += 1;
                        self.ready.push(ReadyEntry {
                            priority: self.tests[t].priority,
                            order: Reverse(self.order),
                            test: t,
                            item: i,
                        });
                        self.set_phase(t, i, Phase::Ready);
                        None
                    }
                    Decision::AlreadyRunning => match killed {
                        // Asked to stop before it was ever launched: nothing to wait for.
                        Some((host, _)) if host == "n/a" => Some(Step::EndKilled { t, i }),
                        Some((host, pid)) if host == self.host => {
                            if pid <= 0 {
                                Some(Step::EndKilled { t, i })
                            } else {
                                Some(Step::CheckKilled {
                                    t,
                                    i,
                                    pid: pid as u32,
                                })
                            }
                        }
                        _ => {
                            self.set_phase(t, i, Phase::Launched { local: false });
                            None
                        }
                    },
                    Decision::Keep(note) => Some(Step::Keep { t, i, note }),
                }
            }
            blocked => {
                let write = self.would_run(t, id).then(|| blocked_status(blocked));
                Some(Step::Block { t, i, write })
            }
        }
    }

    // ----- the end of a pass -----

    /// Nothing waits any more (and, when the pass waits, nothing runs).
    pub(super) fn finished(&self) -> bool {
        self.waiting_tests == 0
            && self.pending_items == 0
            && (!self.rules.wait || self.flights == 0)
    }

    /// Something waits, but nothing runs, nothing is ready and nothing is left to look at:
    /// what waits can never run.
    pub(super) fn stalled(&self) -> bool {
        (self.waiting_tests > 0 || self.pending_items > 0)
            && self.ready.is_empty()
            && self.flights == 0
            && !self.has_dirty()
    }

    /// What a stalled pass discards, in order: each test still waiting to be expanded
    /// ([`Step::Close`]) and each item still pending ([`Step::Block`]), written
    /// `NOT_STARTED/PREQ_DISCARDED` when the re-run rules would have run them.
    pub(super) fn stalled_steps(&self) -> Vec<Step> {
        let discarded = (Status::PreqDiscarded, STALLED_COMMENT);
        let mut steps = Vec::new();
        for (t, node) in self.tests.iter().enumerate() {
            match node.stage {
                Stage::Waiting => steps.push(Step::Close {
                    t,
                    write: self
                        .would_run(t, node.toplevel_id)
                        .then(|| discarded.clone()),
                }),
                Stage::Expanded => {
                    for (i, item) in node.items.iter().enumerate() {
                        if item.phase == Phase::Pending {
                            steps.push(Step::Block {
                                t,
                                i,
                                write: self.would_run(t, item.id).then(|| discarded.clone()),
                            });
                        }
                    }
                }
                Stage::Closed => {}
            }
        }
        steps
    }

    // ----- launching -----

    /// Whether nothing is in the ready queue.
    pub(super) fn ready_is_empty(&self) -> bool {
        self.ready.is_empty()
    }

    /// Starts a launch round with `slots` free job slots (`max_concurrent_jobs` less what
    /// runs in the area).
    pub(super) fn begin_round(&self, slots: i64) -> Round {
        Round {
            slots,
            aside: Vec::new(),
            current: None,
            held: false,
        }
    }

    /// The next ready item of the round, highest priority first, then first found ready;
    /// `None` when the round has no slot left, was held, or nothing is ready.
    pub(super) fn next_ready(&mut self, round: &mut Round) -> Option<(usize, usize)> {
        round.current = None;
        if round.slots <= 0 || round.held {
            return None;
        }
        while let Some(entry) = self.ready.pop() {
            if self.tests[entry.test].items[entry.item].phase == Phase::Ready {
                let picked = (entry.test, entry.item);
                round.current = Some(entry);
                return Some(picked);
            }
        }
        None
    }

    /// Ends the round: the items set aside go back to the ready queue in their order.
    pub(super) fn end_round(&mut self, round: Round) {
        self.ready.extend(round.aside);
    }
}

/// One launch round: the free slots, the item being launched, and the items that must wait
/// for the next round. Each item [`Pass::next_ready`] gives ends one of four ways.
#[derive(Debug)]
pub(super) struct Round {
    slots: i64,
    aside: Vec<ReadyEntry>,
    current: Option<ReadyEntry>,
    held: bool,
}

impl Round {
    /// Free job slots left.
    pub(super) fn slots(&self) -> i64 {
        self.slots
    }

    /// The item was launched: one slot fewer.
    pub(super) fn launched(&mut self) {
        self.current = None;
        self.slots -= 1;
    }

    /// The item was not launched and needs no slot (skipped, or changed meanwhile).
    pub(super) fn passed(&mut self) {
        self.current = None;
    }

    /// The item waits for the next round (its job group is full, an exclusive instance
    /// runs).
    pub(super) fn wait(&mut self) {
        if let Some(entry) = self.current.take() {
            self.aside.push(entry);
        }
    }

    /// No more launches this round (the load is too high, a launch delay); the item, if
    /// not launched, waits for the next.
    pub(super) fn hold(&mut self) {
        self.wait();
        self.held = true;
    }
}

#[cfg(test)]
#[path = "pass_tests.rs"]
mod tests;
