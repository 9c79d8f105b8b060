//! The dispatcher's picture of a run: one node per test (its toplevel stage) and one per item,
//! each in a phase, plus a cache of the run's records as the database last showed them.

use super::key_index::KeyIndex;
use crate::db::RecordState;
use crate::model::{State, Status, TestId};
use crate::plan::{Board, Upstream};
use crate::testdef::{ItemMap, ItemVars, Modes};
use std::collections::HashMap;

/// Where an item is in this pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for its prerequisites.
    Pending,
    /// Prerequisites met, in the launch queue.
    Ready,
    /// Running; `local` when this runner's child is the executor.
    Launched {
        /// Whether the runner sees the executor's exit.
        local: bool,
    },
    /// Finished, skipped, or decided not to run.
    Done,
}

/// Where a test's toplevel stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Waiting for the prerequisites that allow its items to be listed.
    Waiting,
    /// Its items are known.
    Expanded,
    /// Nothing (more) to run: blocked, zero items, or no item selected.
    Closed,
}

/// One item (or the test itself when it has no items).
#[derive(Debug, Clone)]
pub(super) struct ItemNode {
    /// The item path (`""` for a test without items).
    pub path: String,
    /// The item variables.
    pub vars: ItemVars,
    /// Its record.
    pub id: TestId,
    /// Its phase.
    pub phase: Phase,
    /// The state and status its record had when it was found ready: a different record at
    /// launch time means someone else (an operator, another runner) changed it meanwhile.
    pub seen: Option<(State, Status)>,
}

/// One test of the run.
pub(super) struct TestNode {
    /// The test name.
    pub name: String,
    /// Indexes of the tests it waits on.
    pub waitons: Vec<usize>,
    /// The item map towards each waiton (same order).
    pub itemmaps: Vec<Option<ItemMap>>,
    /// Its modes.
    pub modes: Modes,
    /// `[requirements] priority`.
    pub priority: i64,
    /// `[test_meta] jobgroup`.
    pub jobgroup: Option<String>,
    /// The toplevel record.
    pub toplevel_id: TestId,
    /// The toplevel stage.
    pub stage: Stage,
    /// The items, once expanded.
    pub items: Vec<ItemNode>,
    /// Item path → index in `items` (through [`TestNode::item`]).
    pub item_index: KeyIndex<usize>,
    /// Items not done yet.
    pub active: usize,
    /// Whether a done item completed with an OK status.
    pub ok_item: bool,
    /// Indexes of the tests waiting on this one.
    pub dependents: Vec<usize>,
    /// Whether the toplevel record's directories were set.
    pub dirs_set: bool,
    /// Records the re-run rules kept from running in this pass.
    pub kept: usize,
    /// Per waiton: the waiton's item path → items of this test waiting on it.
    pub waiting_on: Vec<HashMap<String, Vec<usize>>>,
}

impl TestNode {
    /// A test waiting for its prerequisites, with its waitons (indexes) and the item map
    /// towards each.
    pub(super) fn new(
        name: String,
        waitons: Vec<usize>,
        itemmaps: Vec<Option<ItemMap>>,
        modes: Modes,
        priority: i64,
        jobgroup: Option<String>,
        toplevel_id: TestId,
    ) -> TestNode {
        TestNode {
            name,
            waitons,
            itemmaps,
            modes,
            priority,
            jobgroup,
            toplevel_id,
            stage: Stage::Waiting,
            items: Vec::new(),
            item_index: KeyIndex::default(),
            active: 0,
            ok_item: false,
            dependents: Vec::new(),
            dirs_set: false,
            kept: 0,
            waiting_on: Vec::new(),
        }
    }

    /// The index of the item at `path`.
    pub(super) fn item(&self, path: &str) -> Option<usize> {
        self.item_index.get(path, |i| self.items[i].path.as_str())
    }

    /// Sets the items and indexes them by path.
    pub(super) fn set_items(&mut self, items: Vec<ItemNode>) {
        self.items = items;
        let items = &self.items;
        let mut index = KeyIndex::default();
        index.reserve(items.len(), |i: usize| items[i].path.as_str());
        for (i, item) in items.iter().enumerate() {
            index.insert(item.path.as_str(), i, |j| items[j].path.as_str());
        }
        self.item_index = index;
    }

    /// Whether this pass is done with the test.
    pub(super) fn settled(&self) -> bool {
        match self.stage {
            Stage::Waiting => false,
            Stage::Expanded => self.active == 0,
            Stage::Closed => true,
        }
    }
}

/// The run's records, as last read or written.
#[derive(Default)]
pub(super) struct Records {
    /// By id.
    pub by_id: HashMap<TestId, RecordState>,
    /// (test, item path) → id, read from `by_id`'s records.
    by_name: KeyIndex<TestId>,
}

impl Records {
    /// Stores a record; returns the previous (state, status) when it changed them.
    pub(super) fn put(&mut self, record: RecordState) -> Option<Option<(State, Status)>> {
        let id = record.id;
        let change = match self.by_id.entry(id) {
            std::collections::hash_map::Entry::Occupied(mut kept) => {
                let old = kept.insert(record);
                let new = kept.get();
                (old.state != new.state || old.status != new.status)
                    .then_some(Some((old.state, old.status)))
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(record);
                Some(None)
            }
        };
        let by_id = &self.by_id;
        let name = |id: TestId| {
            let r = &by_id[&id];
            (r.testname.as_str(), r.item_path.as_str())
        };
        self.by_name.insert(name(id), id, name);
        change
    }

    /// A record by test and item.
    pub(super) fn get(&self, test: &str, item: &str) -> Option<&RecordState> {
        let id = self.by_name.get((test, item), |id| {
            let r = &self.by_id[&id];
            (r.testname.as_str(), r.item_path.as_str())
        })?;
        self.by_id.get(&id)
    }
}

/// The tests of the pass with their records, as the prerequisite check sees them.
pub(super) struct View<'a> {
    /// The tests.
    pub tests: &'a [TestNode],
    /// Test name → index.
    pub by_name: &'a HashMap<String, usize>,
    /// The records.
    pub records: &'a Records,
}

impl Board for View<'_> {
    fn upstream(&self, test: &str, item: &str) -> Option<Upstream<'_>> {
        let record = self.records.get(test, item)?;
        let settled = match self.by_name.get(test).map(|&t| &self.tests[t]) {
            None => true,
            Some(node) if item.is_empty() => node.settled(),
            Some(node) => node
                .item(item)
                .is_none_or(|i| node.items[i].phase == Phase::Done),
        };
        Some(Upstream {
            state: &record.state,
            status: &record.status,
            settled,
        })
    }

    fn test_settled(&self, test: &str) -> bool {
        self.by_name
            .get(test)
            .is_none_or(|&t| self.tests[t].settled())
    }

    fn any_item_ok(&self, test: &str) -> bool {
        self.by_name
            .get(test)
            .is_some_and(|&t| self.tests[t].ok_item)
    }
}

/// Whether a record completed with a status that satisfies waitons.
pub(super) fn completed_ok(record: &RecordState) -> bool {
    record.state == State::Completed && record.status.is_ok()
}
