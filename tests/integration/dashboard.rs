//! The web dashboard through the real binary, over HTTP: the Runs view against megatest.db
//! after a real run, its filters, its live version, the test panel and its files, the
//! actions, and what is refused (markup, files outside run directories, actions without the
//! token or from another origin, listeners beyond loopback).

use crate::harness::Area;
use rusqlite::Connection;
use std::io::{BufRead, BufReader};
use std::process::Child;

/// A running dashboard, stopped when dropped.
pub(crate) struct Dashboard {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dashboard {
    pub(crate) fn start(area: &Area, args: &[&str]) -> Dashboard {
        let mut all = vec!["-dashboard"];
        all.extend(args);
        let mut child = area.megatest(&all).spawn_with_output();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("dashboard: ")
            .unwrap_or_else(|| panic!("no address printed: {line:?}"))
            .to_string();
        let (base, token) = url.split_once("/?token=").unwrap();
        Dashboard {
            child,
            base: base.to_string(),
            token: token.to_string(),
        }
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        match ureq::get(&format!("{}{path}", self.base)).call() {
            Ok(r) => (r.status(), r.into_string().unwrap()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    fn post(&self, path: &str, origin: Option<&str>, form: &[(&str, &str)]) -> u16 {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let mut request = agent.post(&format!("{}{path}", self.base));
        if let Some(origin) = origin {
            request = request.set("Origin", origin);
        }
        match request.send_form(form) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{path}: {e}"),
        }
    }
}

/// An area with a passing test (which counts its runs in `good.count`), a failing one, an
/// itemized one and a slow one (a minute's sleep); all but the slow one run once, as `r1`.
pub(crate) fn area_after_a_run() -> Area {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nlinktree #{getenv MT_RUN_AREA_HOME}/links\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file(
            "tests/good/testconfig",
            "[ezsteps]\nsay echo all good; echo run >> $MT_RUN_AREA_HOME/good.count\n",
        )
        .file("tests/bad/testconfig", "[ezsteps]\nfail exit 1\n")
        .file(
            "tests/many/testconfig",
            "[items]\nN 1 2 3\n[ezsteps]\nrun echo item $N\n",
        )
        .file("tests/slow/testconfig", "[ezsteps]\nwait sleep 60\n");
    run(&area, "r1");
    area
}

/// Runs `good`, `bad` and `many` as `runname` and waits for them.
pub(crate) fn run(area: &Area, runname: &str) {
    area.megatest(&[
        "-run",
        "-target",
        "linux",
        "-runname",
        runname,
        "-testpatt",
        "good,bad,many",
        "-run-wait",
    ])
    .run()
    .success();
}

/// `(id, label)` of every record, the label as the dashboard shows it.
fn expected_cells(area: &Area) -> Vec<(i64, String)> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db.prepare("SELECT id, state, status FROM tests").unwrap();
    stmt.query_map([], |r| {
        let (id, state, status): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        Ok((id, if state == "COMPLETED" { status } else { state }))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The id and run directory of the test `good`.
fn good_record(db: &Connection) -> (i64, String) {
    db.query_row(
        "SELECT id, rundir FROM tests WHERE testname='good'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn cell_label(html: &str, id: i64) -> Option<String> {
    let at = html.find(&format!("data-id=\"{id}\">"))?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    Some(rest[start..end].to_string())
}

#[test]
fn the_runs_view_shows_every_record_as_in_the_database_and_filters_from_the_url() {
    let area = area_after_a_run();
    let d = Dashboard::start(&area, &[]);
    assert!(
        d.base.starts_with("http://127.0.0.1:"),
        "loopback by default: {}",
        d.base
    );
    let (code, page) = d.get(&format!("/?token={}", d.token));
    assert_eq!(code, 200);
    let cells = expected_cells(&area);
    assert_eq!(cells.len(), 6, "good, bad, many and its 3 items");
    for (id, label) in &cells {
        assert_eq!(
            cell_label(&page, *id).as_deref(),
            Some(label.as_str()),
            "record {id}"
        );
    }
    assert!(page.contains("FAIL") && page.contains("PASS"));
    // A filter in the URL hides what it names.
    let (_, filtered) = d.get("/?hide=PASS");
    for (id, label) in &cells {
        assert_eq!(
            cell_label(&filtered, *id).is_some(),
            label != "PASS",
            "record {id}"
        );
    }
    let (_, only_many) = d.get("/matrix?testpatt=many");
    assert!(only_many.contains("data-test=\"many\""));
    assert!(!only_many.contains("data-test=\"good\""));
    let (_, none) = d.get("/?runname=nosuchrun");
    assert!(none.contains("No run matches."));
}

#[test]
fn the_version_moves_when_the_database_changes_and_the_matrix_follows() {
    let area = area_after_a_run();
    let d = Dashboard::start(&area, &[]);
    let (_, before) = d.get("/version");
    area.megatest(&[
        "-set-state-status",
        "COMPLETED,WAIVED",
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        "bad",
    ])
    .run()
    .success();
    let (_, after) = d.get("/version");
    assert_ne!(before, after);
    let (_, matrix) = d.get("/matrix");
    let bad = expected_cells(&area)
        .into_iter()
        .find(|(_, l)| l == "WAIVED")
        .unwrap();
    assert_eq!(cell_label(&matrix, bad.0).as_deref(), Some("WAIVED"));
}

#[test]
fn the_test_panel_shows_steps_and_serves_only_its_run_directorys_files() {
    let area = area_after_a_run();
    let d = Dashboard::start(&area, &[]);
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let (id, rundir) = good_record(&db);
    let (code, panel) = d.get(&format!("/test/{id}?token={}", d.token));
    assert_eq!(code, 200);
    assert!(panel.contains("<td class=\"stepname\">say</td>"), "{panel}");
    assert!(panel.contains("say.log"), "{panel}");
    let (code, log) = d.get(&format!("/file/{id}/say.log"));
    assert_eq!((code, log.as_str()), (200, "all good\n"));
    // Outside the run directory: refused.
    std::os::unix::fs::symlink(
        area.path().join("megatest.config"),
        format!("{rundir}/escape"),
    )
    .unwrap();
    for path in [
        "..%2F..%2F..%2F..%2F..%2Fmegatest.config",
        "%2Fetc%2Fpasswd",
        "escape",
    ] {
        let (code, body) = d.get(&format!("/file/{id}/{path}"));
        assert_eq!(code, 403, "{path}: {body}");
    }
    assert_eq!(d.get(&format!("/file/{id}/nope.log")).0, 404);
}

#[test]
fn markup_from_the_database_and_logs_is_text() {
    let area = area_after_a_run();
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let (id, rundir) = good_record(&db);
    db.execute(
        "UPDATE tests SET comment='<script>alert(1)</script>', testname='<script>x</script>' WHERE id=?1",
        [id],
    )
    .unwrap();
    db.execute(
        "INSERT INTO test_steps (test_id, stepname, state, status, event_time) VALUES (?1, '<img src=x onerror=alert(2)>', 'end', '0', 0)",
        [id],
    )
    .unwrap();
    std::fs::write(format!("{rundir}/evil.log"), "<script>alert(3)</script>\n").unwrap();
    let d = Dashboard::start(&area, &[]);
    let (_, page) = d.get("/");
    let (_, panel) = d.get(&format!("/test/{id}"));
    for html in [&page, &panel] {
        assert!(
            !html.contains("<script>alert") && !html.contains("<script>x"),
            "{html}"
        );
        assert!(!html.contains("<img src=x"), "{html}");
    }
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
    assert!(panel.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let response = ureq::get(&format!("{}/file/{id}/evil.log", d.base))
        .call()
        .unwrap();
    assert_eq!(
        response.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.header("Content-Security-Policy"), Some("sandbox"));
}

#[test]
fn actions_need_the_token_and_the_dashboards_own_origin() {
    let area = area_after_a_run()
        .file("tests/good/testconfig", "[ezsteps]\nsay echo all good\n[triggers]\nCOMPLETED/WAIVED echo fired > $MT_RUN_AREA_HOME/fired; true\n");
    let d = Dashboard::start(&area, &[]);
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let id: i64 = db
        .query_row("SELECT id FROM tests WHERE testname='good'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let status = || -> String {
        db.query_row("SELECT status FROM tests WHERE id=?1", [id], |r| r.get(0))
            .unwrap()
    };
    let path = format!("/action/{id}");
    let set = [
        ("action", "set"),
        ("state", "COMPLETED"),
        ("status", "WAIVED"),
        ("comment", "looked at"),
    ];
    fn with_token<'a>(set: &[(&'a str, &'a str)], token: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut form = set.to_vec();
        form.push(("token", token));
        form
    }
    let own = d.base.clone();
    assert_eq!(d.post(&path, Some(&own), &set), 403, "no token");
    assert_eq!(
        d.post(&path, Some(&own), &with_token(&set, "guess")),
        403,
        "wrong token"
    );
    assert_eq!(
        d.post(
            &path,
            Some("http://evil.example"),
            &with_token(&set, &d.token)
        ),
        403
    );
    assert_eq!(
        d.post(&path, None, &with_token(&set, &d.token)),
        403,
        "no Origin"
    );
    assert_eq!(status(), "PASS", "nothing changed");
    // The server's own writes move the version other open views poll.
    let (_, before) = d.get("/version");
    assert_eq!(d.post(&path, Some(&own), &with_token(&set, &d.token)), 303);
    assert_eq!(status(), "WAIVED");
    assert_ne!(
        d.get("/version").1,
        before,
        "its own write changed the version"
    );
    let fired = std::fs::read_to_string(area.path().join("fired")).unwrap_or_default();
    assert_eq!(fired, "fired\n", "the test's trigger fired");
    // Kill on a finished test changes nothing; on a running one it asks it to stop.
    let kill = [("action", "kill"), ("token", d.token.as_str())];
    assert_eq!(d.post(&path, Some(&own), &kill), 303);
    assert_eq!(status(), "WAIVED");
    db.execute("UPDATE tests SET state='RUNNING' WHERE id=?1", [id])
        .unwrap();
    assert_eq!(d.post(&path, Some(&own), &kill), 303);
    let state: String = db
        .query_row("SELECT state FROM tests WHERE id=?1", [id], |r| r.get(0))
        .unwrap();
    assert_eq!(state, "KILLREQ");
}

#[test]
fn rerun_clean_and_lock_from_the_panel_work_as_the_command_line_does() {
    let area = area_after_a_run().file(
        "tests/bad/testconfig",
        "[ezsteps]\nfail echo x >> $MT_RUN_AREA_HOME/bad.count; exit 1\n",
    );
    let d = Dashboard::start(&area, &[]);
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let id_of = |name: &str| -> i64 {
        db.query_row(
            "SELECT id FROM tests WHERE testname=?1 AND item_path=''",
            [name],
            |r| r.get(0),
        )
        .unwrap()
    };
    let own = d.base.clone();
    let act = |id: i64, action: &str| {
        d.post(
            &format!("/action/{id}"),
            Some(&own),
            &[("action", action), ("token", d.token.as_str())],
        )
    };
    // Re-run: the test runs again (its step counts each run).
    assert_eq!(act(id_of("bad"), "rerun"), 303);
    let count = area.path().join("bad.count");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&count)
        .unwrap_or_default()
        .lines()
        .count()
        < 1
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the re-run did not run the test"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The re-run's runner holds the run until it ends.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, control) = d.get(&format!("/control?token={}", d.token));
        assert!(control.contains("<td>bad</td>"), "{control}");
        if !control.contains("running (pid") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the re-run did not end"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Lock: the run is left alone until unlocked.
    let good = id_of("good");
    assert_eq!(act(good, "lock"), 303);
    let locked: String = db
        .query_row("SELECT state FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(locked, "locked");
    assert_eq!(
        act(good, "clean"),
        400,
        "a locked run's test is not removed"
    );
    assert_eq!(act(good, "unlock"), 303);
    // Clean: the record and its run directory go.
    let rundir: String = db
        .query_row("SELECT rundir FROM tests WHERE id=?1", [good], |r| r.get(0))
        .unwrap();
    assert!(std::path::Path::new(&rundir).exists());
    assert_eq!(act(good, "clean"), 303);
    let state: String = db
        .query_row("SELECT state FROM tests WHERE id=?1", [good], |r| r.get(0))
        .unwrap_or_else(|_| "gone".into());
    assert!(state == "DELETED" || state == "gone", "{state}");
    assert!(!std::path::Path::new(&rundir).exists());
}

#[test]
fn the_summary_counts_runs_draws_trends_and_lists_changed_tests() {
    let area = area_after_a_run().file("tests/bad/testconfig", "[ezsteps]\nfail true\n");
    run(&area, "r2");
    let d = Dashboard::start(&area, &[]);
    let (code, page) = d.get("/summary?target=linux");
    assert_eq!(code, 200);
    assert!(page.contains("<h3>Changed from r1 to r2</h3>"), "{page}");
    assert!(
        page.contains("<td>bad</td><td>FAIL</td><td>PASS</td>"),
        "{page}"
    );
    assert!(
        !page.contains("<td>good</td><td>PASS</td>"),
        "unchanged tests are not listed"
    );
    assert!(
        page.contains("<svg") && page.contains("class=\"passrate\""),
        "{page}"
    );
    assert!(page.contains("<td class=\"runname\">r2</td>"));
    assert!(page.contains("100 %"), "r2 passed everything: {page}");
}

#[test]
fn a_request_for_another_host_name_is_refused() {
    // A page of another site whose name points at this address (DNS rebinding) reads nothing.
    let area = area_after_a_run();
    let d = Dashboard::start(&area, &[]);
    let refused = ureq::get(&format!("{}/", d.base))
        .set("Host", "evil.example")
        .call();
    assert!(
        matches!(refused, Err(ureq::Error::Status(403, _))),
        "{refused:?}"
    );
    assert_eq!(d.get("/").0, 200);
}

#[test]
fn a_record_pointing_outside_the_run_directories_lists_no_files() {
    let area = area_after_a_run();
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let (id, _) = good_record(&db);
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("secret.log"), "x").unwrap();
    db.execute(
        "UPDATE tests SET rundir=?1 WHERE id=?2",
        (elsewhere.path().display().to_string(), id),
    )
    .unwrap();
    let d = Dashboard::start(&area, &[]);
    let (code, panel) = d.get(&format!("/test/{id}"));
    assert_eq!(code, 200);
    assert!(!panel.contains("secret.log"), "{panel}");
    assert_eq!(d.get(&format!("/file/{id}/secret.log")).0, 403);
}

#[test]
fn run_directories_made_after_the_dashboard_started_are_served() {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nlinktree #{getenv MT_RUN_AREA_HOME}/links\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/good/testconfig", "[ezsteps]\nsay echo all good\n");
    // Before any run: no link tree yet.
    area.megatest(&["-list-runs", "%"]).run().success();
    let d = Dashboard::start(&area, &[]);
    area.megatest(&[
        "-run",
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        "good",
        "-run-wait",
    ])
    .run()
    .success();
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let (id, _) = good_record(&db);
    assert_eq!(
        d.get(&format!("/file/{id}/say.log")),
        (200, "all good\n".to_string())
    );
}
