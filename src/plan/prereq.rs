//! Whether a test or item may run given its waitons (spec §7.2, §7.3): met, wait, or never
//! (PREQ_FAIL when a waiton failed, PREQ_DISCARDED when a waiton never ran).
//!
//! Upstream records are judged only once the upstream node is *settled* in this pass (ran to
//! an end, was skipped, or was decided not to run), so a stale record from an earlier pass
//! never releases or condemns a test early.

use crate::model::{State, Status};
use crate::testdef::{ItemMap, Modes};

/// The outcome of a prerequisite check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every waiton is satisfied.
    Met,
    /// Something upstream has not finished yet.
    Wait,
    /// A waiton never ran (it was blocked, had no items, ...): PREQ_DISCARDED.
    Discard,
    /// A waiton failed: PREQ_FAIL.
    Fail,
}

/// A record upstream as the check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream<'a> {
    /// Its state.
    pub state: &'a State,
    /// Its status.
    pub status: &'a Status,
    /// Whether this pass is done with it.
    pub settled: bool,
}

/// What the check needs to know about the tests waited on.
pub trait Board {
    /// The record of `test`/`item` (`""` for the toplevel), if registered.
    fn upstream(&self, test: &str, item: &str) -> Option<Upstream<'_>>;
    /// Whether every node of `test` is settled in this pass.
    fn test_settled(&self, test: &str) -> bool;
    /// Whether some settled item of `test` completed with an OK status.
    fn any_item_ok(&self, test: &str) -> bool;
}

/// One waiton of the test being checked, with the item map towards it.
pub struct Waiton<'a> {
    /// The test waited on.
    pub name: &'a str,
    /// Maps the waiting item's path to the waiton's.
    pub itemmap: Option<&'a ItemMap>,
}

fn ok_completion(up: &Upstream<'_>, any_status: bool) -> bool {
    *up.state == State::Completed && (any_status || up.status.is_ok())
}

/// The verdict for a test's toplevel stage (`item` = None: may its items be expanded?) or
/// for one of its items.
pub fn evaluate(
    modes: Modes,
    waitons: &[Waiton<'_>],
    item: Option<&str>,
    board: &impl Board,
) -> Verdict {
    waitons
        .iter()
        .map(|w| one_waiton(modes, w, item, board))
        .max()
        .unwrap_or(Verdict::Met)
}

fn one_waiton(modes: Modes, w: &Waiton<'_>, item: Option<&str>, board: &impl Board) -> Verdict {
    let top = board.upstream(w.name, "");
    let settled = board.test_settled(w.name);
    if !modes.per_item() {
        return whole_test(modes.toplevel, top, settled);
    }
    let Some(item) = item else {
        // Items may be expanded as soon as the waiton has started (or ended).
        return match top {
            Some(up) if up.state.has_ended() || up.state.is_running() => Verdict::Met,
            _ if settled => Verdict::Discard,
            _ => Verdict::Wait,
        };
    };
    // The matching item decides, as in 1.65's `db:get-prereqs-not-met`: a toplevel that
    // looks OK says nothing about this item (its rollup may count CHECK as OK). Only a
    // waiton without that item is judged as a whole.
    if modes.itemmatch && board.any_item_ok(w.name) {
        return Verdict::Met;
    }
    let mapped = w
        .itemmap
        .map_or_else(|| item.to_string(), |m| m.apply(item));
    let wait_for_more = modes.itemmatch && !settled;
    match board.upstream(w.name, &mapped) {
        Some(up) if !up.settled => Verdict::Wait,
        Some(up) if ok_completion(&up, modes.toplevel) => Verdict::Met,
        Some(_) if wait_for_more => Verdict::Wait,
        Some(up) if up.state.has_ended() => Verdict::Fail,
        Some(up) if matches!(up.state, State::NotStarted | State::Deleted) => Verdict::Discard,
        Some(_) => Verdict::Wait,
        None if !settled => Verdict::Wait,
        None => whole_test(modes.toplevel, top, true),
    }
}

/// Normal and toplevel modes: the waiton's toplevel record once the waiton is settled.
fn whole_test(toplevel_mode: bool, top: Option<Upstream<'_>>, settled: bool) -> Verdict {
    if !settled {
        return Verdict::Wait;
    }
    match top {
        Some(up) if ok_completion(&up, toplevel_mode) => Verdict::Met,
        Some(up) if up.state.has_ended() => {
            if toplevel_mode {
                Verdict::Met
            } else {
                Verdict::Fail
            }
        }
        _ => Verdict::Discard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Fake {
        records: HashMap<(String, String), (State, Status, bool)>,
    }

    impl Fake {
        fn with(
            mut self,
            test: &str,
            item: &str,
            state: &str,
            status: &str,
            settled: bool,
        ) -> Self {
            self.records.insert(
                (test.into(), item.into()),
                (State::parse(state), Status::parse(status), settled),
            );
            self
        }
    }

    impl Board for Fake {
        fn upstream(&self, test: &str, item: &str) -> Option<Upstream<'_>> {
            self.records.get(&(test.to_string(), item.to_string())).map(
                |(state, status, settled)| Upstream {
                    state,
                    status,
                    settled: *settled,
                },
            )
        }
        fn test_settled(&self, test: &str) -> bool {
            self.records
                .iter()
                .filter(|((t, _), _)| t == test)
                .all(|(_, (_, _, s))| *s)
        }
        fn any_item_ok(&self, test: &str) -> bool {
            self.records.iter().any(|((t, i), (state, status, s))| {
                t == test && !i.is_empty() && *s && *state == State::Completed && status.is_ok()
            })
        }
    }

    fn on(name: &str) -> Vec<Waiton<'_>> {
        vec![Waiton {
            name,
            itemmap: None,
        }]
    }

    fn modes(words: &str) -> Modes {
        Modes::from_words(words)
    }

    #[test]
    fn an_item_is_judged_by_its_own_prerequisite_item() {
        // b's toplevel looks settled and OK (its rollup), but b/2 never ran: c/2 may not.
        let board = Fake::default()
            .with("b", "", "COMPLETED", "PASS", true)
            .with("b", "1", "COMPLETED", "PASS", true)
            .with("b", "2", "NOT_STARTED", "PREQ_FAIL", true);
        let itemwait = modes("itemwait");
        assert_eq!(
            evaluate(itemwait, &on("b"), Some("1"), &board),
            Verdict::Met
        );
        assert_eq!(
            evaluate(itemwait, &on("b"), Some("2"), &board),
            Verdict::Discard
        );
        // A waiton without that item is judged as a whole.
        assert_eq!(
            evaluate(itemwait, &on("b"), Some("3"), &board),
            Verdict::Met
        );
    }

    #[test]
    fn normal_mode() {
        let normal = modes("");
        let pass = Fake::default().with("a", "", "COMPLETED", "PASS", true);
        assert_eq!(evaluate(normal, &on("a"), None, &pass), Verdict::Met);
        let warn = Fake::default().with("a", "", "COMPLETED", "WARN", true);
        assert_eq!(
            evaluate(normal, &on("a"), None, &warn),
            Verdict::Met,
            "WARN counts as OK (source)"
        );
        let fail = Fake::default().with("a", "", "COMPLETED", "FAIL", true);
        assert_eq!(evaluate(normal, &on("a"), None, &fail), Verdict::Fail);
        let blocked = Fake::default().with("a", "", "NOT_STARTED", "PREQ_FAIL", true);
        assert_eq!(evaluate(normal, &on("a"), None, &blocked), Verdict::Discard);
        let running = Fake::default().with("a", "", "RUNNING", "n/a", false);
        assert_eq!(evaluate(normal, &on("a"), None, &running), Verdict::Wait);
        let stale = Fake::default().with("a", "", "COMPLETED", "PASS", false);
        assert_eq!(
            evaluate(normal, &on("a"), None, &stale),
            Verdict::Wait,
            "not settled in this pass"
        );
        assert_eq!(evaluate(normal, &[], None, &pass), Verdict::Met);
    }

    #[test]
    fn toplevel_mode_runs_after_failures_but_not_after_blocks() {
        let top = modes("toplevel");
        let fail = Fake::default().with("a", "", "COMPLETED", "FAIL", true);
        assert_eq!(evaluate(top, &on("a"), None, &fail), Verdict::Met);
        let killed = Fake::default().with("a", "", "KILLED", "KILLED", true);
        assert_eq!(evaluate(top, &on("a"), None, &killed), Verdict::Met);
        let zero = Fake::default().with("a", "", "NOT_STARTED", "ZERO_ITEMS", true);
        assert_eq!(evaluate(top, &on("a"), None, &zero), Verdict::Discard);
    }

    #[test]
    fn itemwait_per_item_with_map() {
        let iw = modes("itemwait");
        let board = Fake::default()
            .with("a", "", "RUNNING", "n/a", false)
            .with("a", "x", "COMPLETED", "PASS", true)
            .with("a", "y", "COMPLETED", "FAIL", true)
            .with("a", "z", "RUNNING", "n/a", false);
        assert_eq!(
            evaluate(iw, &on("a"), None, &board),
            Verdict::Met,
            "expand once a has started"
        );
        assert_eq!(evaluate(iw, &on("a"), Some("x"), &board), Verdict::Met);
        assert_eq!(evaluate(iw, &on("a"), Some("y"), &board), Verdict::Fail);
        assert_eq!(evaluate(iw, &on("a"), Some("z"), &board), Verdict::Wait);
        assert_eq!(
            evaluate(iw, &on("a"), Some("w"), &board),
            Verdict::Wait,
            "no such item yet"
        );
        let map = ItemMap::parse("^(.)/.* \\1").unwrap();
        let mapped = [Waiton {
            name: "a",
            itemmap: Some(&map),
        }];
        assert_eq!(evaluate(iw, &mapped, Some("x/deep"), &board), Verdict::Met);
        assert_eq!(evaluate(iw, &mapped, Some("y/deep"), &board), Verdict::Fail);
        let not_started = Fake::default().with("a", "", "NOT_STARTED", "n/a", false);
        assert_eq!(evaluate(iw, &on("a"), None, &not_started), Verdict::Wait);
        let never = Fake::default().with("a", "", "NOT_STARTED", "PREQ_FAIL", true);
        assert_eq!(evaluate(iw, &on("a"), None, &never), Verdict::Discard);
    }

    #[test]
    fn itemmatch_takes_any_passing_item() {
        let im = modes("itemmatch");
        let board = Fake::default()
            .with("a", "", "RUNNING", "n/a", false)
            .with("a", "x", "COMPLETED", "PASS", true)
            .with("a", "y", "COMPLETED", "FAIL", true);
        assert_eq!(evaluate(im, &on("a"), Some("y"), &board), Verdict::Met);
        assert_eq!(evaluate(im, &on("a"), Some("q"), &board), Verdict::Met);
        let none_ok = Fake::default()
            .with("a", "", "RUNNING", "n/a", false)
            .with("a", "y", "COMPLETED", "FAIL", true)
            .with("a", "z", "RUNNING", "n/a", false);
        assert_eq!(
            evaluate(im, &on("a"), Some("y"), &none_ok),
            Verdict::Wait,
            "another item may still pass"
        );
    }

    #[test]
    fn fail_beats_discard_beats_wait() {
        let board = Fake::default()
            .with("a", "", "COMPLETED", "FAIL", true)
            .with("b", "", "NOT_STARTED", "PREQ_FAIL", true)
            .with("c", "", "RUNNING", "n/a", false);
        let all = [
            Waiton {
                name: "c",
                itemmap: None,
            },
            Waiton {
                name: "b",
                itemmap: None,
            },
            Waiton {
                name: "a",
                itemmap: None,
            },
        ];
        assert_eq!(
            evaluate(Modes::default(), &all, None, &board),
            Verdict::Fail
        );
        assert_eq!(
            evaluate(Modes::default(), &all[..2], None, &board),
            Verdict::Discard
        );
        assert_eq!(
            evaluate(Modes::default(), &all[..1], None, &board),
            Verdict::Wait
        );
    }
}
