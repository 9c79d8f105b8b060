//! The state/status write at the heart of a test's life (spec §6.3, §8.1): the record, the
//! toplevel record of an itemized test rolled up from its items, and the run's `run_stats`
//! counts, in the caller's transaction. Its cost does not grow with the number of items.

use super::store::now;
use super::test_records::StatusChange;
use crate::model::{ItemState, RunId, State, Status, TestId, rollup_toplevel};
use rusqlite::{Connection, OptionalExtension};

/// What a write changes besides state and status.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Extra<'a> {
    /// The new comment.
    pub comment: Option<&'a str>,
    /// The new `uname` (the executor's start, the runner's launch), which decides whether the
    /// record counts in `run_stats`.
    pub uname: Option<&'a str>,
}

/// A record's columns that the write reads first.
struct Before {
    run_id: RunId,
    testname: String,
    item_path: String,
    state: Option<State>,
    status: Option<Status>,
    uname: Option<String>,
}

/// `run_stats` counts the records that were executed (their `uname` is known) and are not
/// DELETED, as [`refresh_run_stats`] does.
fn counted(uname: Option<&str>, state: Option<&State>) -> bool {
    uname.is_some_and(|u| u != "n/a") && state.is_some_and(|s| *s != State::Deleted)
}

/// Sets state and/or status (and what `extra` gives) of a record and rolls its toplevel up;
/// returns every record written.
pub(crate) fn set_and_roll_up(
    c: &Connection,
    test_id: TestId,
    state: Option<&State>,
    status: Option<&Status>,
    extra: Extra<'_>,
) -> rusqlite::Result<Vec<StatusChange>> {
    let mut changes = set_and_roll_up_through(c, test_id, &[(state, status)], extra)?;
    Ok(changes.pop().unwrap_or_default())
}

/// [`set_and_roll_up`] for several writes in a row in one transaction: only the last reaches
/// the database (nobody can see the others), but the changes of each come back, in order, as
/// if each had been written (their triggers fire). `extra` goes with the first.
pub(crate) fn set_and_roll_up_through(
    c: &Connection,
    test_id: TestId,
    writes: &[(Option<&State>, Option<&Status>)],
    extra: Extra<'_>,
) -> rusqlite::Result<Vec<Vec<StatusChange>>> {
    let before = c
        .prepare_cached(
            "SELECT run_id, testname, item_path, state, status, uname FROM tests WHERE id=?1",
        )?
        .query_row([test_id], |r| {
            Ok(Before {
                run_id: r.get(0)?,
                testname: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                item_path: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                state: r.get(3)?,
                status: r.get(4)?,
                uname: r.get(5)?,
            })
        })?;
    let (mut new_state, mut new_status) = (before.state.clone(), before.status.clone());
    let mut steps = Vec::with_capacity(writes.len());
    for (state, status) in writes {
        new_state = state.cloned().or(new_state);
        new_status = status.cloned().or(new_status);
        steps.push(ItemState {
            state: new_state.clone().unwrap_or_else(|| State::parse("")),
            status: new_status.clone().unwrap_or_else(|| Status::parse("")),
        });
    }
    c.prepare_cached(
        "UPDATE tests SET state=coalesce(?1,state), status=coalesce(?2,status), comment=coalesce(?3,comment), uname=coalesce(?4,uname) WHERE id=?5",
    )?
    .execute((&new_state, &new_status, extra.comment, extra.uname, test_id))?;
    let new_uname = extra.uname.map(str::to_string).or(before.uname.clone());
    count_move(
        c,
        before.run_id,
        counted(before.uname.as_deref(), before.state.as_ref())
            .then(|| pair(&before.state, &before.status)),
        counted(new_uname.as_deref(), new_state.as_ref()).then(|| pair(&new_state, &new_status)),
    )?;
    let change = |test_id: TestId, item_path: &str, item: &ItemState| StatusChange {
        test_id,
        run_id: before.run_id,
        testname: before.testname.clone(),
        item_path: item_path.to_string(),
        state: item.state.clone(),
        status: item.status.clone(),
    };
    if before.item_path.is_empty() {
        return Ok(steps
            .iter()
            .map(|item| vec![change(test_id, "", item)])
            .collect());
    }
    let others = other_item_states(c, before.run_id, &before.testname, test_id)?;
    let tops: Vec<ItemState> = steps
        .iter()
        .map(|item| rollup_toplevel(item, &others))
        .collect();
    let top_id = write_toplevel(c, &before, tops.last())?;
    Ok(steps
        .iter()
        .zip(&tops)
        .map(|(item, top)| {
            vec![
                change(test_id, &before.item_path, item),
                change(top_id, "", top),
            ]
        })
        .collect())
}

fn pair(state: &Option<State>, status: &Option<Status>) -> (State, Status) {
    (
        state.clone().unwrap_or_else(|| State::parse("")),
        status.clone().unwrap_or_else(|| Status::parse("")),
    )
}

/// Writes the toplevel record of `item`'s test (created when missing) with the rolled-up
/// state and status `top`; returns its id.
fn write_toplevel(
    c: &Connection,
    item: &Before,
    top: Option<&ItemState>,
) -> rusqlite::Result<TestId> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO tests (run_id, testname, item_path, state, status, event_time) VALUES (?1, ?2, '', 'NOT_STARTED', 'n/a', ?3)",
    )?
    .execute((item.run_id, &item.testname, now()))?;
    let (top_id, top_state, top_status, top_uname): (TestId, Option<State>, Option<Status>, Option<String>) = c
        .prepare_cached(
            "SELECT id, state, status, uname FROM tests WHERE run_id=?1 AND testname=?2 AND item_path=''",
        )?
        .query_row((item.run_id, &item.testname), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let Some(top) = top else {
        return Ok(top_id);
    };
    if top_state.as_ref() != Some(&top.state) || top_status.as_ref() != Some(&top.status) {
        c.prepare_cached("UPDATE tests SET state=?1, status=?2 WHERE id=?3")?
            .execute((&top.state, &top.status, top_id))?;
        let uname = top_uname.as_deref();
        count_move(
            c,
            item.run_id,
            counted(uname, top_state.as_ref()).then(|| pair(&top_state, &top_status)),
            counted(uname, Some(&top.state)).then(|| (top.state.clone(), top.status.clone())),
        )?;
    }
    Ok(top_id)
}

/// The distinct (state, status) pairs of the items of a test other than `except`, DELETED
/// ones left out. A walk over the covering rollup index, one probe per pair, so that a test of
/// ten thousand items costs what a test of ten does.
fn other_item_states(
    c: &Connection,
    run_id: RunId,
    testname: &str,
    except: TestId,
) -> rusqlite::Result<Vec<ItemState>> {
    let mut same_state = c.prepare_cached(
        "SELECT state, status FROM tests WHERE run_id=?1 AND testname=?2 AND state=?3 AND status>?4 ORDER BY status LIMIT 1",
    )?;
    let mut next_state = c.prepare_cached(
        "SELECT state, status FROM tests WHERE run_id=?1 AND testname=?2 AND state>?3 ORDER BY state, status LIMIT 1",
    )?;
    let mut held_by_other_item = c.prepare_cached(
        "SELECT 1 FROM tests WHERE run_id=?1 AND testname=?2 AND state=?3 AND status=?4 AND item_path != '' AND id != ?5 LIMIT 1",
    )?;
    let mut found = Vec::new();
    // NULL states sort first and are skipped, like the NULL and '' statuses below them (a
    // NULL status is read as '').
    let pair = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(State, Status)> {
        Ok((
            r.get(0)?,
            r.get::<_, Option<Status>>(1)?
                .unwrap_or_else(|| Status::parse("")),
        ))
    };
    let mut at: Option<(State, Status)> = None;
    loop {
        let next: Option<(State, Status)> = match &at {
            None => next_state
                .query_row((run_id, testname, ""), pair)
                .optional()?,
            Some((state, status)) => {
                match same_state
                    .query_row((run_id, testname, state, status), pair)
                    .optional()?
                {
                    Some(p) => Some(p),
                    None => next_state
                        .query_row((run_id, testname, state), pair)
                        .optional()?,
                }
            }
        };
        let Some((state, status)) = next else {
            return Ok(found);
        };
        if state != State::Deleted
            && held_by_other_item.exists((run_id, testname, &state, &status, except))?
        {
            found.push(ItemState {
                state: state.clone(),
                status: status.clone(),
            });
        }
        at = Some((state, status));
    }
}

/// Takes a record out of its run's counts in `run_stats`, as it becomes DELETED (which is not
/// counted): one row changed, where recounting the run reads every record.
pub(crate) fn uncount(c: &Connection, test_id: TestId) -> rusqlite::Result<()> {
    let (run_id, uname, state, status): (RunId, Option<String>, Option<State>, Option<Status>) = c
        .prepare_cached("SELECT run_id, uname, state, status FROM tests WHERE id=?1")?
        .query_row([test_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    if counted(uname.as_deref(), state.as_ref()) {
        count_move(c, run_id, Some(pair(&state, &status)), None)?;
    }
    Ok(())
}

/// Moves one record's count in `run_stats` from one (state, status) to another (`None`:
/// not counted there).
fn count_move(
    c: &Connection,
    run_id: RunId,
    from: Option<(State, Status)>,
    to: Option<(State, Status)>,
) -> rusqlite::Result<()> {
    if from == to {
        return Ok(());
    }
    if let Some((state, status)) = from {
        c.prepare_cached(
            "UPDATE run_stats SET count=count-1 WHERE run_id=?1 AND state=?2 AND status=?3",
        )?
        .execute((run_id, &state, &status))?;
        c.prepare_cached(
            "DELETE FROM run_stats WHERE run_id=?1 AND state=?2 AND status=?3 AND count<=0",
        )?
        .execute((run_id, &state, &status))?;
    }
    if let Some((state, status)) = to {
        let bumped = c
            .prepare_cached(
                "UPDATE run_stats SET count=count+1 WHERE run_id=?1 AND state=?2 AND status=?3",
            )?
            .execute((run_id, &state, &status))?;
        if bumped == 0 {
            c.prepare_cached(
                "INSERT INTO run_stats (run_id, state, status, count) VALUES (?1, ?2, ?3, 1)",
            )?
            .execute((run_id, &state, &status))?;
        }
    }
    Ok(())
}

/// Recomputes a run's `run_stats` from the tests that were executed, for the writes that
/// change many records at once.
pub(crate) fn refresh_run_stats(c: &Connection, run_id: RunId) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM run_stats WHERE run_id=?1")?
        .execute([run_id])?;
    c.prepare_cached(
        "INSERT INTO run_stats (run_id, state, status, count) SELECT run_id, state, status, count(*) FROM tests WHERE run_id=?1 AND uname != 'n/a' AND state != 'DELETED' GROUP BY state, status",
    )?
    .execute([run_id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: &[State] = &[
        State::NotStarted,
        State::Launched,
        State::Running,
        State::Completed,
        State::Killed,
        State::Deleted,
    ];
    const STATUSES: &[Status] = &[
        Status::NotApplicable,
        Status::Pass,
        Status::Fail,
        Status::Warn,
        Status::Check,
    ];

    fn database() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&c, &[("sysname".into(), "TEXT".into())]).unwrap();
        for test in ["a", "b"] {
            for item in ["", "1", "2", "3", "4/x", "5"] {
                c.execute(
                    "INSERT INTO tests (run_id, testname, item_path, state, status) VALUES (1, ?1, ?2, 'NOT_STARTED', 'n/a')",
                    (test, item),
                )
                .unwrap();
            }
        }
        c
    }

    fn rows(c: &Connection, sql: &str) -> Vec<(String, String, i64)> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// `run_stats` of run 1 against a recount of its records.
    fn assert_counts_are_right(c: &Connection, when: &str) {
        let counts = rows(
            c,
            "SELECT state, status, count FROM run_stats WHERE run_id=1 ORDER BY state, status",
        );
        let recount = rows(
            c,
            "SELECT state, status, count(*) FROM tests WHERE run_id=1 AND uname != 'n/a' AND state != 'DELETED' GROUP BY state, status ORDER BY state, status",
        );
        assert_eq!(counts, recount, "run_stats {when}");
    }

    /// The rollup the slow way: every other item's state, grouped.
    fn expected_toplevel(c: &Connection, id: TestId) -> ItemState {
        let (test, state, status): (String, String, String) = c
            .query_row(
                "SELECT testname, state, status FROM tests WHERE id=?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let others: Vec<ItemState> = rows(
            c,
            &format!(
                "SELECT state, status, 0 FROM tests WHERE run_id=1 AND testname='{test}' AND item_path != '' AND id != {id} AND state != 'DELETED' GROUP BY state, status"
            ),
        )
        .into_iter()
        .map(|(s, t, _)| ItemState::new(&s, &t))
        .collect();
        rollup_toplevel(&ItemState::new(&state, &status), &others)
    }

    #[test]
    fn counts_and_rollups_match_a_full_recount_after_every_write() {
        let c = database();
        let ids: Vec<TestId> = rows(
            &c,
            "SELECT CAST(id AS TEXT), '', 0 FROM tests WHERE item_path != '' ORDER BY id",
        )
        .into_iter()
        .map(|(id, _, _)| TestId(id.parse().unwrap()))
        .collect();
        // A fixed pseudo-random walk over states, statuses and unames.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..400 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let id = ids[(seed % ids.len() as u64) as usize];
            let state = &STATES[((seed >> 8) % STATES.len() as u64) as usize];
            let status = &STATUSES[((seed >> 16) % STATUSES.len() as u64) as usize];
            let uname = match (seed >> 24) % 3 {
                0 => Some("n/a"),
                1 => Some("Linux x"),
                _ => None,
            };
            let extra = Extra {
                uname,
                ..Extra::default()
            };
            let keep_state = (seed >> 30).is_multiple_of(4);
            let changes =
                set_and_roll_up(&c, id, (!keep_state).then_some(state), Some(status), extra)
                    .unwrap();
            assert_counts_are_right(&c, &format!("after write {step}"));
            let top = &changes[1];
            let expected = expected_toplevel(&c, id);
            assert_eq!(
                (top.state.as_str(), top.status.as_str()),
                (expected.state.as_str(), expected.status.as_str()),
                "toplevel after write {step}"
            );
            let stored: (String, String) = c
                .query_row(
                    "SELECT state, status FROM tests WHERE id=?1",
                    [top.test_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(
                stored,
                (expected.state.to_string(), expected.status.to_string())
            );
        }
    }

    #[test]
    fn a_record_uncounted_as_it_is_deleted_keeps_run_stats_right() {
        let c = database();
        let ids: Vec<TestId> = c
            .prepare("SELECT id FROM tests WHERE run_id=1")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (n, id) in ids.iter().enumerate() {
            let uname = ["Linux x", "n/a"][n % 2];
            let extra = Extra {
                uname: Some(uname),
                ..Extra::default()
            };
            set_and_roll_up(&c, *id, Some(&State::Completed), Some(&Status::Pass), extra).unwrap();
        }
        for id in ids.iter().step_by(2) {
            uncount(&c, *id).unwrap();
            c.execute(
                "UPDATE tests SET state='DELETED', status='n/a' WHERE id=?1",
                [*id],
            )
            .unwrap();
            assert_counts_are_right(&c, &format!("after deleting {id:?}"));
        }
    }

    #[test]
    fn an_item_with_no_status_does_not_stop_its_siblings_writes() {
        let c = database();
        c.execute("UPDATE tests SET status=NULL WHERE id=4", [])
            .unwrap();
        let changes = set_and_roll_up(
            &c,
            TestId(3),
            Some(&State::Completed),
            Some(&Status::Pass),
            Extra::default(),
        )
        .unwrap();
        assert_eq!(changes[0].status, Status::Pass);
    }

    /// Every record and count, to compare two databases.
    fn snapshot(c: &Connection) -> Vec<(String, String, i64)> {
        let mut all = rows(
            c,
            "SELECT testname || '/' || item_path, state || '/' || status || '/' || coalesce(uname,''), 0 FROM tests ORDER BY id",
        );
        all.extend(rows(
            c,
            "SELECT state, status, count FROM run_stats ORDER BY run_id, state, status",
        ));
        all
    }

    #[test]
    fn writes_in_a_row_leave_what_one_at_a_time_leaves() {
        let (one_by_one, through) = (database(), database());
        for c in [&one_by_one, &through] {
            let launched = (Some(&State::Launched), Some(&Status::NotApplicable));
            set_and_roll_up(c, TestId(3), launched.0, launched.1, Extra::default()).unwrap();
            let passed = (Some(&State::Completed), Some(&Status::Pass));
            set_and_roll_up(c, TestId(4), passed.0, passed.1, Extra::default()).unwrap();
        }
        let extra = Extra {
            uname: Some("Linux x"),
            ..Extra::default()
        };
        let writes = [
            (Some(&State::RemoteHostStart), Some(&Status::NotApplicable)),
            (Some(&State::Running), None),
        ];
        let expected: Vec<Vec<StatusChange>> = writes
            .iter()
            .enumerate()
            .map(|(i, (state, status))| {
                let extra = if i == 0 { extra } else { Extra::default() };
                set_and_roll_up(&one_by_one, TestId(3), *state, *status, extra).unwrap()
            })
            .collect();
        let got = set_and_roll_up_through(&through, TestId(3), &writes, extra).unwrap();
        assert_eq!(got, expected);
        assert_eq!(
            got[0][1].state,
            State::RemoteHostStart,
            "the toplevel passed by it"
        );
        assert_eq!(snapshot(&through), snapshot(&one_by_one));
    }
}
