//! The Scheme API through the binary: every rmt procedure from a `-load` script after two real
//! runs, its printed results checked against megatest.db; a Scheme trigger in a real run;
//! `MT_RUNSCRIPT`; `(exit N)` and errors.

use crate::harness::Area;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// An area with a passing test, an itemized test with one failing item, and a failing test
/// (waiting on the first) whose Scheme trigger records what it saw.
fn api_area() -> Area {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\nlinktree #{mtrah links}\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file(
            "tests/alpha/testconfig",
            "[ezsteps]\nok echo fine #{scheme (string-intersperse (rmt:get-keys) \"+\")}\n\n[test_meta]\nauthor ann\ntags quick,smoke\njobgroup g1\n",
        )
        .file(
            "tests/beta/testconfig",
            "[items]\nN 1 2\n\n[ezsteps]\nchk test $N = 1\n\n[test_meta]\ntags smoke\n",
        )
        .file(
            "tests/gamma/testconfig",
            "[requirements]\nwaiton alpha\n\n[ezsteps]\nbad exit 1\n\n[triggers]\nCOMPLETED/FAIL (lambda (test-id rundir key)\n   (rmt:set-var (conc \"trigger-\" test-id) key)\n   (system (conc \"echo \" key \" > \" rundir \"/scheme-trigger.txt\")))\n",
        );
    for runname in ["r1", "r2"] {
        area.megatest(&["-run", "-target", "linux", "-runname", runname, "-run-wait"])
            .run()
            .success();
    }
    area
}

/// (id, testname, item_path, state, status) of a test record.
type Row = (i64, String, String, String, String);

fn db(area: &Area) -> Connection {
    Connection::open(area.path().join("megatest.db")).unwrap()
}

fn one<T: rusqlite::types::FromSql>(c: &Connection, sql: &str) -> T {
    c.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `name => value` lines printed by the script.
fn shown(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.split_once(" => "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const SCRIPT: &str = r#"
(define (show name v) (display name) (display " => ") (write v) (newline))
(define runs (rmt:get-runs "%" #f #f '()))
(define (run-field row f) (db:get-value-by-header row (db:get-header runs) f))
(define r1 (run-field (car (db:get-rows runs)) "id"))
(define r2 (run-field (cadr (db:get-rows runs)) "id"))
(define (brief t) (list (db:test-get-fullname t) (db:test-get-state t) (db:test-get-status t)))
(show "keys" (rmt:get-keys))
(show "key-val-pairs" (rmt:get-key-val-pairs r1))
(show "key-vals" (rmt:get-key-vals r1))
(show "key-vals-missing" (rmt:get-key-vals 999))
(show "target" (rmt:get-target r1))
(show "targets" (rmt:get-targets))
(show "runs-header" (db:get-header runs))
(show "runs-names" (map (lambda (row) (run-field row "runname")) (db:get-rows runs)))
(show "runs-newest" (map (lambda (r) (vector-ref r 2)) (db:get-rows (rmt:get-runs "r%" 1 #f '(("platform" "lin%"))))))
(show "runs-by-patt" (map (lambda (r) (vector-ref r 2)) (db:get-rows (rmt:get-runs-by-patt (rmt:get-keys) "%" "linux" #f #f #f #f))))
(show "runs-by-patt-oldest" (map (lambda (r) (vector-ref r 2)) (db:get-rows (rmt:get-runs-by-patt (rmt:get-keys) "%" "linux" #f 1 #f #f))))
(show "runs-by-patt-fields" (db:get-header (rmt:get-runs-by-patt (rmt:get-keys) "r1" "%" #f #f '("runname" "owner") #f)))
(show "mt-runs-by-patt" (length (db:get-rows (mt:get-runs-by-patt (rmt:get-keys) "r2" "%"))))
(define info (rmt:get-run-info r1))
(show "run-info" (map (lambda (f) (db:get-value-by-header (vector-ref info 1) (vector-ref info 0) f)) '("platform" "runname" "id")))
(show "run-name" (rmt:get-run-name-from-id r2))
(show "run-name-missing" (rmt:get-run-name-from-id 999))
(show "all-run-ids" (rmt:get-all-run-ids))
(show "num-runs" (rmt:get-num-runs "r%"))
(define r3 (rmt:register-run '(("platform" "mac")) "r3" "new" "n/a" "tester" "c1"))
(show "registered-target" (rmt:get-target r3))
(rmt:set-run-status r3 "GOOD" msg: "all fine")
(show "run-status" (rmt:get-run-status r3))
(rmt:lock/unlock-run r3 #t #f "tester")
(define (run-state id) (let ([i (rmt:get-run-info id)]) (db:get-value-by-header (vector-ref i 1) (vector-ref i 0) "state")))
(show "run-locked" (run-state r3))
(rmt:lock/unlock-run r3 #f #t "tester")
(show "run-unlocked" (run-state r3))
(rmt:lock/unlock-run r3 #f #f "tester")
(show "run-locked-by-default" (run-state r3))
(show "missing-run" (list (rmt:get-key-val-pairs 999) (rmt:get-target 999) (rmt:get-run-status 999)))
(define tests1 (rmt:get-tests-for-run r1 "%" '() '() #f #f #f 'testname "ASC" #f #f 'normal))
(show "tests" (map brief tests1))
(show "tests-ids" (map db:test-get-id tests1))
(show "tests-fail" (map db:test-get-fullname (rmt:get-tests-for-run r1 "%" '() '("FAIL") #f #f #f 'testname "ASC" #f #f 'normal)))
(show "tests-not-fail" (map db:test-get-fullname (rmt:get-tests-for-run r1 "%" '() '("FAIL") #f #f #t 'testname "ASC" #f #f 'normal)))
(show "tests-beta-desc" (map db:test-get-fullname (rmt:get-tests-for-run r1 "beta/%" '() '() #f #f #f 'testname "DESC" #f #f 'normal)))
(show "tests-limit" (map db:test-get-fullname (rmt:get-tests-for-run r1 "%" '() '() 1 2 #f 'testname "ASC" #f #f 'normal)))
(show "mt-tests" (map db:test-get-fullname (mt:get-tests-for-run r1 "%" '() '("PASS") 'sort-by: 'testname)))
(show "mindata" (length (rmt:get-tests-for-runs-mindata #f "%" '() '() #f)))
(show "mindata-r1" (map (lambda (v) (vector-ref v 2)) (rmt:get-tests-for-runs-mindata (list r1) "alpha" '() '() #f)))
(define alpha (rmt:get-test-id r1 "alpha" ""))
(define gamma (rmt:get-test-id r1 "gamma" ""))
(show "test-id" alpha)
(show "test-id-missing" (rmt:get-test-id r1 "nosuch" ""))
(show "info-by-id" (brief (rmt:get-test-info-by-id r1 alpha)))
(show "info-missing" (rmt:get-test-info-by-id r1 99999))
(show "state-status" (let ([v (rmt:get-testinfo-state-status r1 alpha)]) (list (db:test-get-state v) (db:test-get-status v) (db:test-get-host v))))
(show "rundir" (rmt:test-get-rundir-from-test-id r1 alpha))
(define delta (rmt:register-test r3 "delta" ""))
(show "register-test" (equal? delta (rmt:get-test-id r3 "delta" "")))
(rmt:test-set-state-status r3 delta "RUNNING" #f "going")
(rmt:register-test r3 "eps" "a")
(rmt:register-test r3 "eps" "b")
(rmt:set-state-status-and-roll-up-items r3 "eps" "a" "COMPLETED" "PASS" #f)
(define epsb (rmt:get-test-id r3 "eps" "b"))
(mt:test-set-state-status-by-id r3 epsb "COMPLETED" "FAIL" "bad")
(show "eps" (map brief (rmt:get-tests-for-run r3 "eps" '() '() #f #f #f 'testname "ASC" #f #f 'normal)))
(show "set-tests" (equal? (rmt:set-tests-state-status r3 '("eps") "COMPLETED" "FAIL" "COMPLETED" "WAIVED") (list (rmt:get-test-id r3 "eps" ""))))
(show "num-items" (rmt:test-toplevel-num-items r3 "eps"))
(show "running-all" (rmt:get-count-tests-running r1))
(show "running-run" (rmt:get-count-tests-running-for-run-id r3))
(show "running-group" (rmt:get-count-tests-running-in-jobgroup r3 "g1"))
(rmt:delete-test-records r3 delta)
(show "steps" (map (lambda (s) (list (vector-ref s 2) (vector-ref s 3) (vector-ref s 4))) (rmt:get-steps-for-test r1 alpha)))
(define epsa (rmt:get-test-id r3 "eps" "a"))
(rmt:teststep-set-status! r3 epsa "manual" "COMPLETED" "PASS" "by hand" "manual.log")
(show "steps-set" (map (lambda (s) (list (vector-ref s 2) (vector-ref s 6) (vector-ref s 7))) (rmt:get-steps-for-test r3 epsa)))
(rmt:csv->test-data r3 epsa "perf,speed,10,12,2,ms\nperf,size,5,1,1\nother,x,1")
(show "data" (map (lambda (d) (list (vector-ref d 3) (vector-ref d 9))) (rmt:read-test-data r3 epsa "perf")))
(rmt:test-data-rollup r3 epsa "n/a")
(rmt:test-set-log! r3 epsa "final.html")
(show "rollup" (brief (rmt:get-test-info-by-id r3 epsa)))
(show "prereqs" (map (lambda (x) (if (vector? x) (db:test-get-fullname x) x)) (rmt:get-prereqs-not-met r1 '("alpha" "beta" "nosuch") "gamma" "" 'mode: '(normal))))
(show "prereqs-itemwait" (map (lambda (x) (if (vector? x) (db:test-get-fullname x) x)) (rmt:get-prereqs-not-met r1 '("beta") "other" "1" 'mode: '(itemwait))))
(show "raw-stats" (rmt:get-raw-run-stats r1))
(show "main-stats" (rmt:get-main-run-stats r1))
(show "run-stats" (rmt:get-run-stats))
(show "previous" (let ([p (rmt:get-previous-test-run-record r2 "alpha" "")]) (list (db:test-get-run_id p) (db:test-get-testname p))))
(show "previous-none" (rmt:get-previous-test-run-record r3 "alpha" ""))
(show "matching-previous" (sort (map (lambda (t) (conc (db:test-get-run_id t) ":" (db:test-get-fullname t))) (rmt:get-matching-previous-test-run-records r2 "beta" "%")) string<?))
(show "incomplete" (rmt:find-and-mark-incomplete r1 #f))
(rmt:set-var "answer" "42")
(rmt:set-var "word" "hello")
(show "vars" (list (rmt:get-var "answer") (rmt:get-var "word") (rmt:get-var "nosuch")))
(rmt:del-var "word")
(show "var-deleted" (rmt:get-var "word"))
(define tags (rmt:get-tests-tags))
(show "tags" (list (hash-table-ref/default tags "smoke" #f) (hash-table-ref/default tags "quick" #f)))
(show "testmeta" (let ([m (rmt:testmeta-get-record "alpha")]) (list (vector-ref m 1) (vector-ref m 2) (vector-ref m 10))))
(show "testmeta-missing" (rmt:testmeta-get-record "nosuch"))
(rmt:general-call 'set-test-comment r1 "from general-call" alpha)
(show "delete-run" (begin (rmt:delete-run r3) (rmt:get-all-run-ids)))
(show "run-info-deleted" (vector-ref (rmt:get-run-info r3) 1))
(show "toppath" (string? *toppath*))
(show "configdat" (configf:lookup *configdat* "setup" "max_concurrent_jobs"))
(show "tests-get-all" (sort (hash-table-keys (tests:get-all)) string<?))
(show "linktree" (common:get-linktree))
(show "arg" (args:get-arg "-load"))
"#;

#[test]
fn every_rmt_procedure_through_load() {
    for procedure in megatest::api::PROCEDURES {
        assert!(
            SCRIPT.contains(&format!("({} ", procedure.name))
                || SCRIPT.contains(&format!("({})", procedure.name)),
            "{} is not exercised by the script",
            procedure.name
        );
    }
    let area = api_area();
    std::fs::write(area.path().join("api.scm"), SCRIPT).unwrap();
    let out = area.megatest(&["-load", "api.scm"]).run();
    let stdout = out.success().to_string();
    let got = shown(&stdout);
    let c = db(&area);
    let r1: i64 = one(&c, "SELECT id FROM runs WHERE runname='r1'");
    let r2: i64 = one(&c, "SELECT id FROM runs WHERE runname='r2'");
    let r3: i64 = one(&c, "SELECT id FROM runs WHERE runname='r3'");
    let id = |run: i64, test: &str, item: &str| -> i64 {
        c.query_row(
            "SELECT id FROM tests WHERE run_id=?1 AND testname=?2 AND item_path=?3",
            (run, test, item),
            |r| r.get(0),
        )
        .unwrap()
    };
    let alpha = id(r1, "alpha", "");
    let mut expect: BTreeMap<&str, String> = BTreeMap::new();
    expect.insert("keys", r#"("platform")"#.into());
    expect.insert("key-val-pairs", r#"(("platform" "linux"))"#.into());
    expect.insert("key-vals", r#"("linux")"#.into());
    expect.insert("key-vals-missing", "()".into());
    expect.insert("run-locked", r#""locked""#.into());
    expect.insert("run-unlocked", r#""unlocked""#.into());
    expect.insert("run-locked-by-default", r#""locked""#.into());
    expect.insert("missing-run", r#"(() "" "n/a")"#.into());
    expect.insert("run-info-deleted", "#f".into());
    expect.insert("target", r#""linux""#.into());
    expect.insert("targets", r#"#(("platform") (#("linux")))"#.into());
    expect.insert(
        "runs-header",
        r#"("platform" "id" "runname" "state" "status" "owner" "event_time")"#.into(),
    );
    expect.insert("runs-names", r#"("r1" "r2")"#.into());
    expect.insert("runs-newest", r#"("r2")"#.into());
    expect.insert("runs-by-patt", r#"("r1" "r2")"#.into());
    expect.insert("runs-by-patt-oldest", r#"("r1")"#.into());
    expect.insert(
        "runs-by-patt-fields",
        r#"("platform" "runname" "owner")"#.into(),
    );
    expect.insert("mt-runs-by-patt", "1".into());
    expect.insert("run-info", format!(r#"("linux" "r1" {r1})"#));
    expect.insert("run-name", r#""r2""#.into());
    expect.insert("run-name-missing", "#f".into());
    expect.insert("num-runs", "2".into());
    expect.insert("registered-target", r#""mac""#.into());
    expect.insert("run-status", r#""GOOD""#.into());
    // The tests of r1, as the DB has them, in testname/item order.
    let mut stmt = c
        .prepare("SELECT id, testname, item_path, state, status FROM tests WHERE run_id=?1 ORDER BY testname, item_path")
        .unwrap();
    let rows: Vec<Row> = stmt
        .query_map([r1], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let full = |t: &str, i: &str| {
        if i.is_empty() {
            t.to_string()
        } else {
            format!("{t}/{i}")
        }
    };
    let briefs: Vec<String> = rows
        .iter()
        .map(|(_, t, i, st, ss)| format!(r#"("{}" "{st}" "{ss}")"#, full(t, i)))
        .collect();
    expect.insert("tests", format!("({})", briefs.join(" ")));
    let ids: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    expect.insert("tests-ids", format!("({})", ids.join(" ")));
    let names = |filter: &dyn Fn(&Row) -> bool| -> String {
        let n: Vec<String> = rows
            .iter()
            .filter(|r| filter(r))
            .map(|(_, t, i, _, _)| format!(r#""{}""#, full(t, i)))
            .collect();
        format!("({})", n.join(" "))
    };
    expect.insert("tests-fail", names(&|r| r.4 == "FAIL"));
    expect.insert("tests-not-fail", names(&|r| r.4 != "FAIL"));
    // `beta/%` selects the toplevel too (its item path matches `%`), as in Megatest.
    expect.insert("tests-beta-desc", r#"("beta/2" "beta/1" "beta")"#.into());
    let limited: Vec<String> = rows[1..3]
        .iter()
        .map(|(_, t, i, _, _)| format!(r#""{}""#, full(t, i)))
        .collect();
    expect.insert("tests-limit", format!("({})", limited.join(" ")));
    expect.insert("mt-tests", names(&|r| r.4 != "PASS"));
    expect.insert("mindata-r1", r#"("alpha")"#.into());
    expect.insert("test-id", alpha.to_string());
    expect.insert("test-id-missing", "#f".into());
    expect.insert("info-by-id", r#"("alpha" "COMPLETED" "PASS")"#.into());
    expect.insert("info-missing", "#f".into());
    expect.insert("state-status", r#"("COMPLETED" "PASS" "")"#.into());
    let rundir: String = one(&c, &format!("SELECT rundir FROM tests WHERE id={alpha}"));
    expect.insert("rundir", format!("{rundir:?}"));
    expect.insert("register-test", "#t".into());
    expect.insert(
        "eps",
        r#"(("eps" "COMPLETED" "FAIL") ("eps/a" "COMPLETED" "PASS") ("eps/b" "COMPLETED" "FAIL"))"#
            .into(),
    );
    expect.insert("set-tests", "#t".into());
    expect.insert("num-items", "2".into());
    expect.insert("running-all", "1".into());
    expect.insert("running-run", "1".into());
    expect.insert("running-group", "0".into());
    expect.insert("steps", r#"(("ok" "start" "-") ("ok" "end" "0"))"#.into());
    expect.insert("steps-set", r#"(("manual" "manual.log" "by hand"))"#.into());
    expect.insert("data", r#"(("size" "fail") ("speed" "pass"))"#.into());
    expect.insert("rollup", r#"("eps/a" "COMPLETED" "FAIL")"#.into());
    expect.insert("prereqs", r#"("beta" "beta/2" "nosuch")"#.into());
    expect.insert("prereqs-itemwait", "()".into());
    let mut stats = c
        .prepare("SELECT state, status, count(*) FROM tests WHERE run_id=?1 GROUP BY state, status ORDER BY state, status")
        .unwrap();
    let raw: Vec<String> = stats
        .query_map([r1], |r| {
            Ok(format!(
                r#"("{}" "{}" {})"#,
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    expect.insert("raw-stats", format!("({})", raw.join(" ")));
    expect.insert("previous", format!(r#"({r1} "alpha")"#));
    expect.insert("previous-none", "#f".into());
    expect.insert(
        "matching-previous",
        format!(r#"("{r1}:beta" "{r1}:beta/1" "{r1}:beta/2")"#),
    );
    expect.insert("incomplete", "0".into());
    expect.insert("vars", r#"(42 "hello" #f)"#.into());
    expect.insert("var-deleted", "#f".into());
    expect.insert("tags", r#"(("alpha" "beta") ("alpha"))"#.into());
    expect.insert("testmeta", r#"("alpha" "ann" "g1")"#.into());
    expect.insert("testmeta-missing", "#f".into());
    expect.insert("delete-run", format!("({r2} {r1})"));
    expect.insert("toppath", "#t".into());
    expect.insert("configdat", r#""2""#.into());
    expect.insert("tests-get-all", r#"("alpha" "beta" "gamma")"#.into());
    expect.insert(
        "linktree",
        format!("{:?}", area.path().join("links").display().to_string()),
    );
    expect.insert("arg", r#""api.scm""#.into());
    for (name, value) in &expect {
        // Sort order of the r1/r2 event times may tie; compare the sets for the id lists.
        assert_eq!(
            got.get(*name).map(String::as_str),
            Some(value.as_str()),
            "{name}\n{stdout}\n{}",
            out.stderr
        );
    }
    // What the script wrote, as the database has it.
    let (comment, state): (String, String) = c
        .query_row("SELECT comment, state FROM runs WHERE id=?1", [r3], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((comment.as_str(), state.as_str()), ("all fine", "deleted"));
    let contour: String = one(&c, &format!("SELECT contour FROM runs WHERE id={r3}"));
    assert_eq!(contour, "c1");
    let delta: String = one(
        &c,
        &format!("SELECT state FROM tests WHERE run_id={r3} AND testname='delta'"),
    );
    assert_eq!(delta, "DELETED");
    let comment: String = one(&c, &format!("SELECT comment FROM tests WHERE id={alpha}"));
    assert_eq!(comment, "from general-call");
    // The run was deleted at the end: its tests are DELETED, their fields kept.
    let (state, log): (String, String) = c
        .query_row(
            "SELECT state, final_logf FROM tests WHERE run_id=?1 AND testname='eps' AND item_path='a'",
            [r3],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((state.as_str(), log.as_str()), ("DELETED", "final.html"));
    let all_ids = got.get("all-run-ids").expect("all-run-ids printed");
    assert_eq!(all_ids, &format!("({r2} {r1})"));
    let mindata: i64 = one(
        &c,
        "SELECT count(*) FROM tests WHERE run_id IN (SELECT id FROM runs WHERE runname IN ('r1','r2'))",
    );
    // Called before run r3 had tests.
    assert_eq!(got["mindata"], mindata.to_string());
    let groups = |sql: &str| -> Vec<String> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| {
            Ok(format!(
                r#"("{}" "{}" {})"#,
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    let main = groups(&format!(
        "SELECT state, status, count FROM run_stats WHERE run_id={r1} ORDER BY state, status"
    ));
    assert_eq!(got["main-stats"], format!("({})", main.join(" ")));
    // Runs r1 and r2 as the DB has them now (r3 was changed after the call, then deleted).
    let per_run = groups(
        "SELECT r.runname, CASE WHEN t.state='COMPLETED' THEN t.status ELSE t.state END AS x, count(*) FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname IN ('r1','r2') GROUP BY r.id, x ORDER BY r.id, x",
    );
    assert!(
        got["run-stats"].starts_with(&format!("({} (\"r3\"", per_run.join(" "))),
        "{}",
        got["run-stats"]
    );
    assert!(
        got["run-stats"].contains(r#"("Totals" "PASS" 4)"#),
        "{}",
        got["run-stats"]
    );
}

#[test]
fn a_scheme_trigger_fires_in_a_real_run() {
    let area = api_area();
    let c = db(&area);
    for runname in ["r1", "r2"] {
        let (gamma, rundir): (i64, String) = c
            .query_row(
                "SELECT t.id, t.rundir FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname=?1 AND t.testname='gamma'",
                [runname],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let seen: String = one(
            &c,
            &format!("SELECT val FROM metadat WHERE var='trigger-{gamma}'"),
        );
        assert_eq!(seen, "COMPLETED/FAIL");
        let file =
            std::fs::read_to_string(std::path::Path::new(&rundir).join("scheme-trigger.txt"))
                .unwrap();
        assert_eq!(file.trim(), "COMPLETED/FAIL");
    }
    // `#{scheme}` in a testconfig reaches the API too.
    let alpha_dir: String = one(
        &c,
        "SELECT t.rundir FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname='r1' AND t.testname='alpha'",
    );
    let log = std::fs::read_to_string(std::path::Path::new(&alpha_dir).join("ok.log")).unwrap();
    assert!(log.contains("fine platform"), "{log}");
    // Passing tests fire nothing.
    let fired: i64 = one(
        &c,
        "SELECT count(*) FROM metadat WHERE var LIKE 'trigger-%'",
    );
    assert_eq!(fired, 2);
}

#[test]
fn a_write_from_scheme_fires_its_scheme_trigger_once_the_evaluation_ends() {
    let area = api_area();
    let c = db(&area);
    let (gamma, rundir): (i64, String) = c
        .query_row(
            "SELECT t.id, t.rundir FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname='r1' AND t.testname='gamma'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let run: i64 = one(&c, "SELECT id FROM runs WHERE runname='r1'");
    let marker = std::path::Path::new(&rundir).join("scheme-trigger.txt");
    std::fs::remove_file(&marker).unwrap();
    c.execute("DELETE FROM metadat WHERE var LIKE 'trigger-%'", [])
        .unwrap();
    let script = format!(
        "(define before \"defined first\")\n(rmt:test-set-state-status {run} {gamma} \"COMPLETED\" \"FAIL\" \"again\")\n(display (list before (if (rmt:get-var \"trigger-{gamma}\") \"fired\" \"not yet\")))\n(newline)\n"
    );
    std::fs::write(area.path().join("write.scm"), script).unwrap();
    let out = area.megatest(&["-load", "write.scm"]).run();
    assert!(!out.stderr.contains("internal error"), "{}", out.stderr);
    // Not yet during the evaluation that made the write, and then once.
    assert_eq!(out.success().trim(), "(defined first not yet)");
    let seen: String = one(
        &c,
        &format!("SELECT val FROM metadat WHERE var='trigger-{gamma}'"),
    );
    assert_eq!(seen, "COMPLETED/FAIL");
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap().trim(),
        "COMPLETED/FAIL"
    );
}

#[test]
fn load_exit_codes_and_errors() {
    let area = crate::harness::db_area()
        .file(
            "ok.scm",
            "(display \"hi\")\n(newline)\n(exit 7)\n(display \"never\")\n",
        )
        .file("bad.scm", "(define x 1)\n\n(car x)\n");
    let out = area.megatest(&["-load", "ok.scm"]).run();
    assert_eq!(out.code, 7, "{out:?}");
    assert_eq!(out.stdout, "hi\n");
    let out = area.megatest(&["-load", "bad.scm"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("bad.scm:3:2"), "{}", out.stderr);
    assert!(out.stderr.contains("car"), "{}", out.stderr);
    let out = area.megatest(&["-load", "missing.scm"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("missing.scm"), "{}", out.stderr);
    let out = area
        .megatest(&[])
        .env("MT_RUNSCRIPT", "yes")
        .stdin("(print (rmt:get-keys))\n(help 'rmt:get-runs)\n(exit 0)\n")
        .run();
    let stdout = out.success();
    assert!(stdout.starts_with("(platform variant)\n"), "{stdout}");
    assert!(
        stdout.contains("(rmt:get-runs runpatt count offset keypatts)\n  Header/rows"),
        "{stdout}"
    );
}
