//! Every API procedure: its name, its parameters and doc string (shown by `help`), and the
//! Rust function behind it.

use super::args::Args;
use super::context::{ApiContext, with_store};
use super::value::Value;
use super::{meta, runs, stats, steps_data, tests};
use crate::db::Store;
use crate::error::Result;

/// The Rust side of a procedure.
pub(super) type Handler = fn(&Args<'_>, &Store, &ApiContext) -> Result<Value>;

/// One API procedure.
pub struct Procedure {
    /// The Scheme name.
    pub name: &'static str,
    /// The parameters, as a call shows them.
    pub params: &'static str,
    /// What it returns or does.
    pub doc: &'static str,
    /// The implementation.
    pub handler: Handler,
}

macro_rules! procedures {
    ($(($name:literal, $params:literal, $doc:literal, $handler:path)),* $(,)?) => {
        /// The API, in the order of spec §16.2.
        pub static PROCEDURES: &[Procedure] = &[
            $(Procedure { name: $name, params: $params, doc: $doc, handler: $handler }),*
        ];
    };
}

procedures![
    (
        "rmt:get-keys",
        "",
        "The [fields] key names, in order: (\"platform\" \"variant\").",
        runs::get_keys
    ),
    (
        "rmt:get-key-val-pairs",
        "run-id",
        "The run's target as ((key value) ...); '() when there is no such run.",
        runs::get_key_val_pairs
    ),
    (
        "rmt:get-key-vals",
        "run-id",
        "The run's key values, in key order; '() when there is no such run.",
        runs::get_key_vals
    ),
    (
        "rmt:get-target",
        "run-id",
        "The run's target, \"a/b\" (-na- for a missing value); \"\" when there is no such run.",
        runs::get_target
    ),
    (
        "rmt:get-targets",
        "",
        "#(keys (#(v1 v2 ...) ...)): the distinct targets of runs not deleted.",
        runs::get_targets
    ),
    (
        "rmt:get-runs",
        "runpatt count offset keypatts",
        "Header/rows of runs whose name matches runpatt (comma list, % or * wildcards) and keys match keypatts ((\"key\" \"patt\") ...); header = keys + id runname state status owner event_time; count/offset (or #f) pick the newest; rows oldest first.",
        runs::get_runs
    ),
    (
        "rmt:get-runs-by-patt",
        "keys runnamepatt targpatt offset limit fields last-update",
        "Header/rows of runs matching a run name pattern and a target pattern (\"a/%\"); the keys, then fields (#f = id runname state status owner event_time); last-update (epoch or #f) keeps newer runs; oldest first, offset and limit counted from the oldest.",
        runs::get_runs_by_patt
    ),
    (
        "mt:get-runs-by-patt",
        "keys runnamepatt targpatt",
        "Like rmt:get-runs-by-patt, every matching run.",
        runs::mt_get_runs_by_patt
    ),
    (
        "rmt:get-run-info",
        "run-id",
        "#(header row): row is a vector of keys + id runname state status owner event_time comment fail_count pass_count contour (#f when there is no such run, or it is deleted).",
        runs::get_run_info
    ),
    (
        "rmt:get-run-name-from-id",
        "run-id",
        "The run's name, or #f.",
        runs::get_run_name_from_id
    ),
    (
        "rmt:get-all-run-ids",
        "",
        "Ids of the runs not deleted, newest first.",
        runs::get_all_run_ids
    ),
    (
        "rmt:get-num-runs",
        "runpatt",
        "How many runs (not deleted) have a name LIKE runpatt.",
        runs::get_num_runs
    ),
    (
        "rmt:register-run",
        "keyvals runname state status user contour",
        "Creates the run (or finds it) for keyvals ((\"key\" \"value\") ...) and sets its state and status; returns its id.",
        runs::register_run
    ),
    (
        "rmt:get-run-status",
        "run-id",
        "The run's status; \"n/a\" when there is no such run.",
        runs::get_run_status
    ),
    (
        "rmt:set-run-status",
        "run-id status [msg: comment]",
        "Sets the run's status (and comment).",
        runs::set_run_status
    ),
    (
        "rmt:lock/unlock-run",
        "run-id lock unlock user",
        "Locks the run against removal, or unlocks it when only unlock is #t.",
        runs::lock_unlock_run
    ),
    (
        "rmt:delete-run",
        "run-id",
        "Marks the run deleted; its tests become DELETED, their steps and data are removed.",
        runs::delete_run
    ),
    (
        "rmt:get-tests-for-run",
        "run-id testpatt states statuses offset limit not-in sort-by sort-order qryvals last-update mode",
        "Test records of a run: testpatt as -testpatt; states/statuses lists ('() = any), not-in #t inverts them; sort-by 'testname 'event_time 'statestatus 'rundir (by its length) or SQL; sort-order \"ASC\"/\"DESC\"; DELETED tests only when last-update is given.",
        tests::get_tests_for_run
    ),
    (
        "mt:get-tests-for-run",
        "run-id testpatt states statuses [not-in: #t] [sort-by: 'event_time] [sort-order: \"ASC\"] [last-update: #f]",
        "Like rmt:get-tests-for-run with keywords; not-in defaults to #t, sort-by to 'event_time.",
        tests::mt_get_tests_for_run
    ),
    (
        "rmt:get-tests-for-runs-mindata",
        "run-ids testpatt states statuses not-in",
        "#(id run_id testname state status event_time item_path) of the tests of these runs (#f = every run).",
        tests::get_tests_for_runs_mindata
    ),
    (
        "rmt:get-test-id",
        "run-id testname item-path",
        "The test's id, or #f.",
        tests::get_test_id
    ),
    (
        "rmt:get-test-info-by-id",
        "run-id test-id",
        "The test record, or #f.",
        tests::get_test_info_by_id
    ),
    (
        "rmt:get-testinfo-state-status",
        "run-id test-id",
        "A test record with only id, run_id, testname, state, status and item_path read (the other fields hold -1, \"\" or \"-\" as in Megatest), or #f.",
        tests::get_testinfo_state_status
    ),
    (
        "rmt:test-get-rundir-from-test-id",
        "run-id test-id",
        "The test's run directory (its link tree path), or #f.",
        tests::get_rundir
    ),
    (
        "rmt:register-test",
        "run-id testname item-path",
        "Adds the test as NOT_STARTED/n/a unless it exists; returns its id.",
        tests::register_test
    ),
    (
        "rmt:test-set-state-status",
        "run-id test-id state status comment",
        "Sets state, status and comment (#f leaves one as it is), without rolling up items; fires triggers.",
        tests::test_set_state_status
    ),
    (
        "rmt:set-state-status-and-roll-up-items",
        "run-id test-name-or-id item-path state status comment",
        "Sets a test's state and status, rolls its items up into the toplevel and fires triggers; the second argument may be a test id.",
        tests::set_state_status_and_roll_up_items
    ),
    (
        "mt:test-set-state-status-by-id",
        "run-id test-id state status comment",
        "Sets state and status with the item rollup and triggers; #t.",
        tests::mt_test_set_state_status_by_id
    ),
    (
        "rmt:set-tests-state-status",
        "run-id testnames curr-state curr-status new-state new-status",
        "Sets new-state/new-status on the tests whose name is LIKE one of testnames and whose state and status are curr-state/curr-status (#f = any); returns the toplevel ids written.",
        tests::set_tests_state_status
    ),
    (
        "rmt:delete-test-records",
        "run-id test-id",
        "Marks the test DELETED/n/a, and its steps and data DELETED.",
        tests::delete_test_records
    ),
    (
        "rmt:test-toplevel-num-items",
        "run-id testname",
        "How many items (not deleted) the test has.",
        tests::toplevel_num_items
    ),
    (
        "rmt:get-steps-for-test",
        "run-id test-id",
        "#(id test_id stepname state status event_time logfile comment) of each step, oldest first.",
        steps_data::get_steps_for_test
    ),
    (
        "rmt:teststep-set-status!",
        "run-id test-id stepname state status comment logfile",
        "Records a step's state and status.",
        steps_data::teststep_set_status
    ),
    (
        "rmt:read-test-data",
        "run-id test-id category-patt",
        "#(id test_id category variable value expected tol units comment status type) of each value whose category is LIKE category-patt.",
        steps_data::read_test_data
    ),
    (
        "rmt:csv->test-data",
        "run-id test-id csv",
        "Loads values from CSV lines (category,variable,value,expected,tol,units,comment,status,type), without rolling up.",
        steps_data::csv_to_test_data
    ),
    (
        "rmt:test-data-rollup",
        "run-id test-id status",
        "Rolls the test's values up into its status (FAIL when a value failed).",
        steps_data::test_data_rollup
    ),
    (
        "rmt:test-set-log!",
        "run-id test-id logfile",
        "Sets the test's final log file.",
        steps_data::test_set_log
    ),
    (
        "rmt:get-prereqs-not-met",
        "run-id waitons testname itempath [mode: '(normal)] [itemmaps: #f]",
        "The prerequisites of testname/itempath that are not finished with PASS, WARN, WAIVED or SKIP: test records, or names of tests not yet registered.",
        stats::get_prereqs_not_met
    ),
    (
        "rmt:get-count-tests-running",
        "run-id",
        "Tests running in all runs (run-id is ignored, as in Megatest).",
        stats::count_running
    ),
    (
        "rmt:get-count-tests-running-for-run-id",
        "run-id",
        "Tests running in this run.",
        stats::count_running_for_run
    ),
    (
        "rmt:get-count-tests-running-in-jobgroup",
        "run-id jobgroup",
        "Tests of this job group running in all runs.",
        stats::count_running_in_jobgroup
    ),
    (
        "rmt:get-raw-run-stats",
        "run-id",
        "((state status count) ...) of the run's tests, counted now.",
        stats::raw_run_stats
    ),
    (
        "rmt:get-main-run-stats",
        "run-id",
        "((state status count) ...) from the run_stats table.",
        stats::main_run_stats
    ),
    (
        "rmt:get-run-stats",
        "",
        "((runname state-or-status count) ...) for every run (the status for COMPLETED tests), then (\"Totals\" x n) rows.",
        stats::run_stats
    ),
    (
        "rmt:get-previous-test-run-record",
        "run-id testname itempath",
        "The same test in the newest other run of the same target, or #f.",
        stats::previous_test_run_record
    ),
    (
        "rmt:get-matching-previous-test-run-records",
        "run-id testname itempath",
        "The newest record per test/item in the other runs of the same target (testname and itempath are LIKE patterns).",
        stats::matching_previous_records
    ),
    (
        "rmt:find-and-mark-incomplete",
        "run-id ovr-deadtime",
        "Marks tests whose executor stopped reporting (spec §8.4) INCOMPLETE/DEAD; returns how many.",
        stats::find_and_mark_incomplete
    ),
    (
        "rmt:get-var",
        "var",
        "A value of the metadat table (numeric text as a number), or #f.",
        meta::get_var
    ),
    (
        "rmt:set-var",
        "var value",
        "Stores a value in the metadat table.",
        meta::set_var
    ),
    (
        "rmt:del-var",
        "var",
        "Removes a value from the metadat table.",
        meta::del_var
    ),
    (
        "rmt:get-tests-tags",
        "",
        "Tag -> list of test names, from test_meta (a hash table).",
        meta::get_tests_tags
    ),
    (
        "rmt:testmeta-get-record",
        "testname",
        "#(id testname author owner description reviewed iterated avg_runtime avg_disk tags jobgroup), or #f.",
        meta::testmeta_get_record
    ),
    (
        "rmt:general-call",
        "'stmt run-id params ...",
        "Runs one of Megatest's named statements: 'set-test-comment (comment test-id), 'test-set-log (logfile test-id), 'update-run-duration (duration test-id), 'register-test (run-id testname item-path), 'set-test-start-time (test-id), 'test_data-pf-rollup (test-id).",
        meta::general_call
    ),
];

/// The procedure called `name`.
pub fn find(name: &str) -> Option<&'static Procedure> {
    PROCEDURES.iter().find(|p| p.name == name)
}

/// Calls `name` with `values`: on the installed area's database, or, in a process on
/// another host than the database's, through its server.
pub fn call(name: &str, values: &[Value]) -> Result<Value> {
    let procedure = find(name)
        .ok_or_else(|| crate::error::Error::new(format!("`{name}` is not an API procedure")))?;
    if let Some(result) = super::context::call_remote(procedure.name, values) {
        return result;
    }
    let args = Args::new(procedure.name, values);
    with_store(|store, ctx| (procedure.handler)(&args, store, ctx))
}

/// Calls `name` with `values` on `store` (a server answering a process on another host);
/// returns the value and the records it changed, whose triggers fire in that process.
pub fn call_on(
    store: &Store,
    name: &str,
    values: &[Value],
) -> Result<(Value, Vec<crate::db::StatusChange>)> {
    let procedure = find(name)
        .ok_or_else(|| crate::error::Error::new(format!("`{name}` is not an API procedure")))?;
    let args = Args::new(procedure.name, values);
    super::context::with_given_store(store, |store, ctx| (procedure.handler)(&args, store, ctx))
}
