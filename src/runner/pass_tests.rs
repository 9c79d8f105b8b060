//! The dispatch rules in memory: a small simulated shell carries out the pass's steps on a
//! map of records (as the database would, with the toplevel rollup), with no database, no
//! process and no file.

use super::*;
use crate::model::TestId;
use crate::model::{ItemState, rollup_toplevel};
use crate::testdef::{ItemMap, Modes};

/// A record as the database would hold it.
fn record(id: i64, test: &str, item: &str, state: State, status: Status) -> RecordState {
    RecordState {
        id: TestId(id),
        testname: test.into(),
        item_path: item.into(),
        state,
        status,
        host: "n/a".into(),
        pid: 0,
        event_time: 0,
        run_duration: 0,
    }
}

/// One test of a simulated run: its waitons (by index), modes, priority and items.
struct Spec {
    name: &'static str,
    waitons: Vec<usize>,
    itemmap: Option<&'static str>,
    modes: &'static str,
    priority: i64,
    items: Vec<&'static str>,
}

fn spec(name: &'static str) -> Spec {
    Spec {
        name,
        waitons: Vec::new(),
        itemmap: None,
        modes: "",
        priority: 0,
        items: Vec::new(),
    }
}

impl Spec {
    fn on(mut self, waitons: &[usize]) -> Self {
        self.waitons = waitons.to_vec();
        self
    }
    fn modes(mut self, modes: &'static str) -> Self {
        self.modes = modes;
        self
    }
    fn priority(mut self, priority: i64) -> Self {
        self.priority = priority;
        self
    }
    fn items(mut self, items: &[&'static str]) -> Self {
        self.items = items.to_vec();
        self
    }
    fn itemmap(mut self, rules: &'static str) -> Self {
        self.itemmap = Some(rules);
        self
    }
}

/// The shell of the tests: carries out steps, keeps what was written and said.
struct Sim {
    pass: Pass,
    items: Vec<Vec<&'static str>>,
    next_id: i64,
    /// `test/item STATE/STATUS` of every write, in order.
    writes: Vec<String>,
    /// Notes said by Keep steps.
    notes: Vec<String>,
    /// Processes alive on this host.
    alive: Vec<u32>,
}

const HOST: &str = "here";

impl Sim {
    /// A run of `specs`; test `t` has toplevel record `t + 1`; `records` were there before.
    fn new(specs: Vec<Spec>, records: Vec<RecordState>, rules: PassRules) -> Sim {
        let mut all = Records::default();
        for (t, s) in specs.iter().enumerate() {
            all.put(record(
                t as i64 + 1,
                s.name,
                "",
                State::NotStarted,
                Status::NotApplicable,
            ));
        }
        for r in records {
            all.put(r);
        }
        let items = specs.iter().map(|s| s.items.clone()).collect();
        let nodes = specs
            .into_iter()
            .enumerate()
            .map(|(t, s)| {
                let map = s.itemmap.map(|r| ItemMap::parse(r).unwrap());
                let maps = s.waitons.iter().map(|_| map.clone()).collect();
                TestNode::new(
                    s.name.into(),
                    s.waitons,
                    maps,
                    Modes::from_words(s.modes),
                    s.priority,
                    None,
                    TestId(t as i64 + 1),
                )
            })
            .collect();
        let patterns = TestPatterns::parse("%").unwrap();
        Sim {
            pass: Pass::new(nodes, all, rules, patterns, HOST.into()),
            items,
            next_id: 1000,
            writes: Vec::new(),
            notes: Vec::new(),
            alive: Vec::new(),
        }
    }

    fn plain(specs: Vec<Spec>) -> Sim {
        Sim::new(specs, Vec::new(), PassRules::default())
    }

    fn t(&self, name: &str) -> usize {
        self.pass.by_name[name]
    }

    fn item(&self, name: &str, path: &str) -> (usize, usize) {
        let t = self.t(name);
        (t, self.pass.tests[t].item(path).unwrap())
    }

    fn phase(&self, name: &str, path: &str) -> Phase {
        let (t, i) = self.item(name, path);
        self.pass.tests[t].items[i].phase
    }

    /// A write the dispatcher decided, kept in `writes`, then applied.
    fn write(&mut self, id: TestId, state: State, status: Status) {
        let old = &self.pass.records.by_id[&id];
        self.writes.push(format!(
            "{}/{} {state}/{status}",
            old.testname, old.item_path
        ));
        self.apply(id, state, status);
    }

    /// A write as the database makes it: the record, then its toplevel rolled up, both
    /// taken in by the pass.
    fn apply(&mut self, id: TestId, state: State, status: Status) {
        let old = self.pass.records.by_id[&id].clone();
        let written = RecordState {
            state,
            status,
            ..old.clone()
        };
        self.pass.absorb(written.clone());
        if old.item_path.is_empty() {
            return;
        }
        let t = self.t(&old.testname);
        let others: Vec<ItemState> = self.pass.tests[t]
            .items
            .iter()
            .filter(|n| n.id != id)
            .map(|n| {
                let r = &self.pass.records.by_id[&n.id];
                ItemState {
                    state: r.state.clone(),
                    status: r.status.clone(),
                }
            })
            .collect();
        let changed = ItemState {
            state: written.state,
            status: written.status,
        };
        let top = rollup_toplevel(&changed, &others);
        let top_id = self.pass.tests[t].toplevel_id;
        let top_record = RecordState {
            state: top.state,
            status: top.status,
            ..self.pass.records.by_id[&top_id].clone()
        };
        self.pass.absorb(top_record);
    }

    /// Carries out every step the pass asks for.
    fn settle(&mut self) {
        while let Some(step) = self.pass.next_step() {
            self.carry_out(step);
        }
    }

    fn carry_out(&mut self, step: Step) {
        match step {
            Step::Expand(t) => {
                let paths = self.items[t].clone();
                let (list, ids): (Vec<Item>, Vec<TestId>) = if paths.is_empty() {
                    (vec![item("")], vec![self.pass.tests[t].toplevel_id])
                } else {
                    let list = self
                        .pass
                        .select_items(t, paths.iter().map(|p| item(p)).collect());
                    let name = self.pass.tests[t].name.clone();
                    let ids = list
                        .iter()
                        .map(
                            |it| match self.pass.records.get(&name, &it.path).map(|r| r.id) {
                                Some(id) => id,
                                None => {
                                    self.next_id += 1;
                                    let id = self.next_id;
                                    self.pass.records.put(record(
                                        id,
                                        &name,
                                        &it.path,
                                        State::NotStarted,
                                        Status::NotApplicable,
                                    ));
                                    TestId(id)
                                }
                            },
                        )
                        .collect();
                    (list, ids)
                };
                self.pass.expanded(t, list, ids);
            }
            Step::Close { t, write } => {
                if let Some((status, _)) = write {
                    self.write(self.pass.tests[t].toplevel_id, State::NotStarted, status);
                }
                self.pass.close(t);
            }
            Step::Block { t, i, write } => {
                if let Some((status, _)) = write {
                    self.write(self.pass.tests[t].items[i].id, State::NotStarted, status);
                }
                self.pass.set_phase(t, i, Phase::Done);
            }
            Step::Keep { t, i, note } => {
                self.notes.push(note);
                self.pass.set_phase(t, i, Phase::Done);
            }
            Step::CheckKilled { t, i, pid } if self.alive.contains(&pid) => {
                self.pass.set_phase(t, i, Phase::Launched { local: false });
            }
            Step::EndKilled { t, i } | Step::CheckKilled { t, i, .. } => {
                self.write(
                    self.pass.tests[t].items[i].id,
                    State::Killed,
                    Status::Killed,
                );
                self.pass.set_phase(t, i, Phase::Done);
            }
        }
    }

    /// One launch round of `slots`: launches every ready item it gives (as `test/item`,
    /// recorded LAUNCHED), or sets aside those `waits` names; then looks at what changed.
    fn round(&mut self, slots: i64, waits: &[&str]) -> Vec<String> {
        let mut launched = Vec::new();
        let mut round = self.pass.begin_round(slots);
        while let Some((t, i)) = self.pass.next_ready(&mut round) {
            let node = &self.pass.tests[t];
            let name = format!("{}/{}", node.name, node.items[i].path);
            if waits.contains(&name.as_str()) {
                round.wait();
                continue;
            }
            let id = node.items[i].id;
            self.pass.set_phase(t, i, Phase::Launched { local: true });
            round.launched();
            launched.push(name);
            self.apply(id, State::Launched, Status::NotApplicable);
        }
        self.pass.end_round(round);
        self.settle();
        launched
    }

    /// Test `name`'s item `path` ended with `status` (its executor wrote COMPLETED).
    fn finish(&mut self, name: &str, path: &str, status: Status) {
        let (t, i) = self.item(name, path);
        let id = self.pass.tests[t].items[i].id;
        self.write(id, State::Completed, status);
        self.pass.set_phase(t, i, Phase::Done);
        self.settle();
    }

    /// Runs everything ready to its end with `status`, round by round, until nothing runs.
    fn run_all(&mut self, status: &dyn Fn(&str) -> Status) -> Vec<String> {
        let mut order = Vec::new();
        loop {
            self.settle();
            let launched = self.round(100, &[]);
            if launched.is_empty() {
                return order;
            }
            for name in launched {
                let (test, path) = name.split_once('/').unwrap();
                self.finish(test, path, status(test));
                order.push(name);
            }
        }
    }
}

fn item(path: &str) -> Item {
    Item::bare(path)
}

// ----- priority and job slots -----

#[test]
fn higher_priority_launches_first() {
    let mut sim = Sim::plain(vec![
        spec("low").priority(1),
        spec("high").priority(9),
        spec("mid").priority(5),
    ]);
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["high/", "mid/", "low/"]);
}

#[test]
fn equal_priorities_launch_in_the_order_found_ready() {
    let mut sim = Sim::plain(vec![spec("t").items(&["a", "b", "c", "d"])]);
    sim.settle();
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["t/a", "t/b", "t/c", "t/d"]);
}

#[test]
fn a_round_launches_no_more_than_its_free_slots() {
    let mut sim = Sim::plain(vec![spec("t").items(&["1", "2", "3", "4", "5"])]);
    sim.settle();
    assert_eq!(sim.round(2, &[]), ["t/1", "t/2"]);
    assert_eq!(sim.pass.flights, 2);
    assert_eq!(
        sim.round(0, &[]),
        Vec::<String>::new(),
        "no slot, no launch"
    );
    assert_eq!(sim.round(2, &[]), ["t/3", "t/4"], "the next in order");
}

#[test]
fn an_item_that_must_wait_keeps_its_place_for_the_next_round() {
    let mut sim = Sim::plain(vec![spec("grouped").priority(9), spec("free").priority(1)]);
    sim.settle();
    // Its job group is full: the round goes on with the others, and it is first next time.
    assert_eq!(sim.round(5, &["grouped/"]), ["free/"]);
    assert_eq!(sim.round(5, &[]), ["grouped/"]);
}

#[test]
fn a_held_round_launches_nothing_more() {
    let mut sim = Sim::plain(vec![spec("t").items(&["1", "2"])]);
    sim.settle();
    let mut round = sim.pass.begin_round(5);
    assert!(sim.pass.next_ready(&mut round).is_some());
    round.hold();
    assert!(sim.pass.next_ready(&mut round).is_none());
    sim.pass.end_round(round);
    assert_eq!(sim.round(5, &[]), ["t/1", "t/2"], "the held item went back");
}

#[test]
fn an_item_not_launched_uses_no_slot() {
    let mut sim = Sim::plain(vec![spec("t").items(&["1", "2"])]);
    sim.settle();
    let mut round = sim.pass.begin_round(1);
    let (t, i) = sim.pass.next_ready(&mut round).unwrap();
    sim.pass.set_phase(t, i, Phase::Done);
    round.passed();
    assert!(
        sim.pass.next_ready(&mut round).is_some(),
        "the slot is still free"
    );
    assert_eq!(round.slots(), 1);
}

// ----- waiton modes -----

#[test]
fn a_normal_waiton_waits_until_its_test_has_settled() {
    let mut sim = Sim::plain(vec![spec("a").items(&["1", "2"]), spec("b").on(&[0])]);
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["a/1", "a/2"]);
    sim.finish("a", "1", Status::Pass);
    assert_eq!(sim.pass.tests[1].stage, Stage::Waiting, "a/2 still runs");
    sim.finish("a", "2", Status::Pass);
    assert_eq!(sim.pass.tests[1].stage, Stage::Expanded);
    assert_eq!(sim.round(10, &[]), ["b/"]);
}

#[test]
fn a_failed_waiton_ends_its_dependents_with_preq_fail() {
    let mut sim = Sim::plain(vec![spec("a"), spec("b").on(&[0]), spec("c").on(&[1])]);
    let order = sim.run_all(&|_| Status::Fail);
    assert_eq!(order, ["a/"]);
    assert_eq!(
        sim.writes,
        [
            "a/ COMPLETED/FAIL",
            "b/ NOT_STARTED/PREQ_FAIL",
            "c/ NOT_STARTED/PREQ_DISCARDED",
        ],
        "b's waiton failed; c's waiton never ran"
    );
    assert!(sim.pass.finished());
}

#[test]
fn a_warning_check_waived_or_skip_satisfies_a_waiton() {
    for status in [Status::Warn, Status::Check, Status::Waived, Status::Skip] {
        let mut sim = Sim::plain(vec![spec("a"), spec("b").on(&[0])]);
        let order = sim.run_all(&|t| {
            if t == "a" {
                status.clone()
            } else {
                Status::Pass
            }
        });
        assert_eq!(order, ["a/", "b/"], "{status}");
    }
}

#[test]
fn toplevel_mode_runs_after_its_waiton_ends_whatever_its_status() {
    let mut sim = Sim::plain(vec![spec("a"), spec("b").on(&[0]).modes("toplevel")]);
    let order = sim.run_all(&|t| if t == "a" { Status::Fail } else { Status::Pass });
    assert_eq!(order, ["a/", "b/"]);
}

#[test]
fn itemwait_items_run_as_their_own_item_upstream_passes() {
    let mut sim = Sim::plain(vec![
        spec("a").items(&["1", "2"]),
        spec("b").on(&[0]).modes("itemwait").items(&["1", "2"]),
    ]);
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["a/1", "a/2"]);
    assert_eq!(
        sim.pass.tests[1].stage,
        Stage::Expanded,
        "expanded once a started"
    );
    sim.finish("a", "2", Status::Pass);
    assert_eq!(sim.round(10, &[]), ["b/2"], "b/1 still waits for a/1");
    assert_eq!(sim.phase("b", "1"), Phase::Pending);
}

#[test]
fn itemwait_blocks_only_the_items_whose_upstream_item_failed() {
    let mut sim = Sim::plain(vec![
        spec("a").items(&["1", "2"]),
        spec("b").on(&[0]).modes("itemwait").items(&["1", "2"]),
    ]);
    let order = sim.run_all(&|_| Status::Pass);
    assert_eq!(order.len(), 4);
    let mut sim = Sim::plain(vec![
        spec("a").items(&["1", "2"]),
        spec("b").on(&[0]).modes("itemwait").items(&["1", "2"]),
    ]);
    sim.settle();
    sim.round(10, &[]);
    sim.finish("a", "1", Status::Fail);
    sim.finish("a", "2", Status::Pass);
    assert_eq!(sim.phase("b", "1"), Phase::Done);
    assert!(
        sim.writes
            .contains(&"b/1 NOT_STARTED/PREQ_FAIL".to_string())
    );
    assert_eq!(sim.round(10, &[]), ["b/2"]);
}

#[test]
fn an_itemmap_maps_an_item_to_the_upstream_item_it_waits_for() {
    let mut sim = Sim::plain(vec![
        spec("a").items(&["1", "2"]),
        spec("b")
            .on(&[0])
            .modes("itemwait")
            .itemmap("^x/ ")
            .items(&["x/1", "x/2"]),
    ]);
    sim.settle();
    sim.round(10, &[]);
    sim.finish("a", "1", Status::Pass);
    assert_eq!(sim.round(10, &[]), ["b/x/1"], "x/1 maps to 1");
    assert_eq!(sim.phase("b", "x/2"), Phase::Pending);
}

#[test]
fn itemmatch_is_satisfied_by_any_passing_upstream_item() {
    let mut sim = Sim::plain(vec![
        spec("a").items(&["1", "2"]),
        spec("b").on(&[0]).modes("itemmatch").items(&["p", "q"]),
    ]);
    sim.settle();
    sim.round(10, &[]);
    sim.finish("a", "2", Status::Pass);
    assert_eq!(sim.round(10, &[]), ["b/p", "b/q"]);
}

// ----- re-run rules -----

fn done_before(test: &str, id: i64, status: Status) -> RecordState {
    record(id, test, "", State::Completed, status)
}

#[test]
fn a_test_that_passed_earlier_is_kept_with_a_note() {
    let mut sim = Sim::new(
        vec![spec("a")],
        vec![done_before("a", 1, Status::Pass)],
        PassRules::default(),
    );
    sim.settle();
    assert!(sim.round(10, &[]).is_empty());
    assert_eq!(sim.notes.len(), 1);
    assert!(sim.notes[0].contains("-rerun"), "{}", sim.notes[0]);
    assert!(sim.pass.finished());
}

#[test]
fn rerun_runs_the_statuses_it_names_only() {
    let rules = PassRules {
        rerun: Some(vec![Status::Fail]),
        ..PassRules::default()
    };
    let mut sim = Sim::new(
        vec![spec("failed"), spec("passed")],
        vec![
            done_before("failed", 1, Status::Fail),
            done_before("passed", 2, Status::Pass),
        ],
        rules,
    );
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["failed/"]);
}

#[test]
fn force_runs_what_ended_whatever_its_status() {
    let rules = PassRules {
        force: true,
        ..PassRules::default()
    };
    let mut sim = Sim::new(
        vec![spec("a")],
        vec![done_before("a", 1, Status::Pass)],
        rules,
    );
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["a/"]);
}

#[test]
fn incomplete_and_not_started_records_run_again() {
    let mut sim = Sim::new(
        vec![spec("dead"), spec("fresh")],
        vec![
            record(1, "dead", "", State::Incomplete, Status::Dead),
            record(2, "fresh", "", State::NotStarted, Status::NotApplicable),
        ],
        PassRules::default(),
    );
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["dead/", "fresh/"]);
}

#[test]
fn a_blocked_test_is_written_only_when_it_would_have_run() {
    let mut sim = Sim::new(
        vec![spec("a"), spec("b").on(&[0])],
        vec![done_before("b", 2, Status::Pass)],
        PassRules::default(),
    );
    sim.run_all(&|_| Status::Fail);
    assert_eq!(sim.writes, ["a/ COMPLETED/FAIL"], "b keeps its PASS");
}

// ----- kill requests and tests run by others -----

#[test]
fn a_kill_request_on_a_test_never_launched_ends_it_killed() {
    let mut sim = Sim::new(
        vec![spec("a")],
        vec![record(1, "a", "", State::KillReq, Status::NotApplicable)],
        PassRules::default(),
    );
    sim.settle();
    assert_eq!(sim.writes, ["a/ KILLED/KILLED"]);
    assert!(sim.pass.finished());
}

#[test]
fn a_kill_request_on_a_test_launched_here_depends_on_its_process() {
    let killreq = |pid| RecordState {
        host: HOST.into(),
        pid,
        ..record(1, "a", "", State::KillReq, Status::NotApplicable)
    };
    let mut sim = Sim::new(vec![spec("a")], vec![killreq(4242)], PassRules::default());
    sim.alive.push(4242);
    sim.settle();
    assert_eq!(sim.phase("a", ""), Phase::Launched { local: false });
    assert!(sim.writes.is_empty(), "its executor is still there");
    let mut sim = Sim::new(vec![spec("a")], vec![killreq(4242)], PassRules::default());
    sim.settle();
    assert_eq!(sim.writes, ["a/ KILLED/KILLED"], "its executor is gone");
}

#[test]
fn a_test_running_elsewhere_is_followed_until_its_record_ends() {
    let running = RecordState {
        host: "elsewhere".into(),
        pid: 7,
        ..record(1, "a", "", State::Running, Status::NotApplicable)
    };
    let mut sim = Sim::new(
        vec![spec("a"), spec("b").on(&[0])],
        vec![running],
        PassRules::default(),
    );
    sim.settle();
    assert_eq!(sim.phase("a", ""), Phase::Launched { local: false });
    assert!(sim.pass.polled.contains(&(0, 0)), "read from the database");
    assert!(sim.round(10, &[]).is_empty());
    sim.pass
        .absorb(record(1, "a", "", State::Completed, Status::Pass));
    assert_eq!(sim.phase("a", ""), Phase::Done);
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["b/"]);
}

// ----- counts and the end of a pass -----

#[test]
fn the_counts_follow_the_phases() {
    let mut sim = Sim::plain(vec![spec("t").items(&["1", "2", "3"])]);
    sim.settle();
    assert_eq!(
        (
            sim.pass.pending_items,
            sim.pass.flights,
            sim.pass.done_items
        ),
        (3, 0, 0)
    );
    sim.round(2, &[]);
    assert_eq!(
        (
            sim.pass.pending_items,
            sim.pass.flights,
            sim.pass.done_items
        ),
        (1, 2, 0)
    );
    sim.finish("t", "1", Status::Pass);
    assert_eq!(
        (
            sim.pass.pending_items,
            sim.pass.flights,
            sim.pass.done_items
        ),
        (1, 1, 1)
    );
    assert_eq!(sim.pass.total_items, 3);
}

#[test]
fn a_pass_that_waits_is_finished_only_when_nothing_runs() {
    let rules = PassRules {
        wait: true,
        ..PassRules::default()
    };
    let mut sim = Sim::new(vec![spec("a")], Vec::new(), rules);
    sim.settle();
    sim.round(1, &[]);
    assert!(!sim.pass.finished(), "a/ still runs");
    sim.finish("a", "", Status::Pass);
    assert!(sim.pass.finished());
    let mut sim = Sim::plain(vec![spec("a")]);
    sim.settle();
    sim.round(1, &[]);
    assert!(sim.pass.finished(), "without waiting, launched is enough");
}

#[test]
fn a_stalled_pass_discards_what_waits() {
    // b waits on a, which runs elsewhere and will never be seen to end by this pass.
    let mut sim = Sim::plain(vec![
        spec("a").items(&["1"]),
        spec("b").on(&[0]).modes("itemwait").items(&["1"]),
        spec("c").on(&[1]),
    ]);
    sim.settle();
    assert!(!sim.pass.stalled(), "a/1 is ready");
    sim.round(1, &[]);
    let (t, i) = sim.item("a", "1");
    sim.pass.set_phase(t, i, Phase::Done);
    sim.settle();
    assert!(sim.pass.stalled(), "b/1 waits on a/1, which never ended");
    let steps = sim.pass.stalled_steps();
    let discarded = Some((Status::PreqDiscarded, STALLED_COMMENT));
    let (bt, bi) = sim.item("b", "1");
    assert_eq!(
        steps,
        [
            Step::Block {
                t: bt,
                i: bi,
                write: discarded.clone()
            },
            Step::Close {
                t: sim.t("c"),
                write: discarded
            },
        ]
    );
}

#[test]
fn the_test_patterns_select_items() {
    let mut sim = Sim::plain(vec![spec("t").items(&["keep", "drop"])]);
    sim.pass.patterns = TestPatterns::parse("t/keep").unwrap();
    sim.settle();
    assert_eq!(sim.round(10, &[]), ["t/keep"]);
}

#[test]
fn an_itemized_test_launched_by_the_pass_has_its_rollup_page_due_once_settled() {
    let mut sim = Sim::plain(vec![spec("t").items(&["1", "2"])]);
    sim.settle();
    sim.round(10, &[]);
    sim.pass.tests[0].dirs_set = true;
    sim.finish("t", "1", Status::Pass);
    assert!(sim.pass.take_settled_pages().is_empty());
    sim.finish("t", "2", Status::Pass);
    assert_eq!(sim.pass.take_settled_pages(), [0]);
}
