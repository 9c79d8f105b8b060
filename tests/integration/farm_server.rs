//! No sqlite over the network: an executor that runs on another host than the database's
//! records everything through the runner's server (TCP, the area's secret) and never opens
//! megatest.db. "Another host" is made here with namespaces: the launcher runs each executor
//! under its own host name with the database's directory hidden under an empty read-only
//! filesystem (so opening the database there cannot work). Needs root (CI runs as root).

use crate::harness::Area;
use rusqlite::Connection;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// The launcher: the executor as if on the host `elsewhere`, without the database.
const ELSEWHERE: &str = r#"#!/bin/sh
# $1... is the executor's command line.
exec unshare --mount --uts --propagation private /bin/sh -c '
  hostname elsewhere || exit 97
  mount -t tmpfs -o ro,size=64k none "$0/db" || exit 98
  exec "$@"' "$AREA" "$@"
"#;

fn require_root() {
    let uid = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("Uid:")
                .map(|v| v.split_whitespace().next().unwrap().to_string())
        })
        .unwrap();
    assert_eq!(
        uid, "0",
        "this test makes namespaces and mounts: run it as root (as CI does)"
    );
}

/// An area whose database is in `db/` and whose tests run "elsewhere"; the runner's server
/// listens on loopback.
fn remote_area(tests: &[(&str, &str)]) -> Area {
    require_root();
    let area = Area::new();
    let top = area.path().display().to_string();
    let mut area = area
        .file(
            "megatest.config",
            &format!(
                "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\ndbdir db\n\n[jobtools]\nlauncher AREA={top} {top}/elsewhere\n\n[server]\nhostname 127.0.0.1\nconnect-wait 5\n"
            ),
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("elsewhere", ELSEWHERE)
        .file("db/.keep", "");
    for (name, text) in tests {
        area = area.file(&format!("tests/{name}/testconfig"), text);
    }
    let script = area.path().join("elsewhere");
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    area
}

fn database(area: &Area) -> Connection {
    Connection::open(area.path().join("db/megatest.db")).unwrap()
}

#[test]
fn an_executor_elsewhere_records_everything_through_the_server() {
    let area = remote_area(&[
        (
            "t",
            "[items]\nN 1 2\n[ezsteps]\nfirst echo one $N\ncheck echo 'value 42'\n[logpro]\ncheck ;;\n  (expect:value in \"LogFileBody\" 42 0 \"the answer\" #/value (\\d+)/)\n[triggers]\nCOMPLETED/PASS echo fired >> $MT_RUN_AREA_HOME/fired.log; true\n",
        ),
        (
            "u",
            "[requirements]\nwaiton t\n[ezsteps]\nsleepy sleep 4\n[triggers]\nCOMPLETED/PASS (lambda (test-id rundir key) (rmt:set-var (conc \"trigger-\" test-id) (conc key \" \" (car (rmt:get-keys)))))\n",
        ),
    ]);
    area.megatest(&[
        "-run",
        "-target",
        "linux",
        "-runname",
        "r1",
        "-run-wait",
        "-debug",
        "2",
    ])
    .run()
    .success();
    let db = database(&area);
    let rows: Vec<(String, String, String, String, i64)> = db
        .prepare(
            "SELECT testname || '/' || item_path, state, status, host, coalesce(run_duration,0)
             FROM tests ORDER BY testname, item_path",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (name, state, status, host, duration) in &rows {
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("COMPLETED", "PASS"),
            "{name}"
        );
        if name != "t/" {
            assert_eq!(
                host, "elsewhere",
                "{name} ran away from the database's host"
            );
        }
        if name == "u/" {
            // The heartbeat and the final run time came through the server.
            assert!(*duration >= 3, "u's run time: {duration}");
        }
    }
    assert_eq!(rows.len(), 4, "{rows:?}");
    // Steps, the logpro value, and the trigger's reading of the record, all remote.
    let steps: i64 = db
        .query_row("SELECT count(*) FROM test_steps", [], |r| r.get(0))
        .unwrap();
    assert_eq!(steps, 2 * 2 * 2 + 2, "start and end of every step");
    let value: f64 = db
        .query_row(
            "SELECT value FROM test_data WHERE category='check' AND comment='the answer'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("the logpro value arrived: {e}"));
    assert_eq!(value, 42.0);
    let samples: i64 = db
        .query_row("SELECT count(*) FROM test_rundat", [], |r| r.get(0))
        .unwrap();
    assert!(samples >= 1, "the heartbeat's samples arrived");
    let log = std::fs::read_to_string(area.path().join("lt/linux/r1/t/1/mt_launch.log")).unwrap();
    assert!(
        log.contains("writes go to the megatest server at 127.0.0.1:"),
        "{log}"
    );
    let fired = std::fs::read_to_string(area.path().join("fired.log")).unwrap_or_default();
    assert!(fired.lines().count() >= 2, "the triggers fired: {fired:?}");
    // A Scheme trigger's rmt procedures, elsewhere, went through the server.
    let scheme: String = db
        .query_row(
            "SELECT val FROM metadat WHERE var = 'trigger-' || (SELECT id FROM tests WHERE testname='u')",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("the Scheme trigger of u wrote its var: {e}"));
    assert_eq!(scheme, "COMPLETED/PASS platform");
}

/// The server's address from a launched test's job file.
fn server_address(job_file: &Path) -> String {
    let job: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(job_file).unwrap()).unwrap();
    job["job"]["server"]
        .as_str()
        .expect("a server address")
        .to_string()
}

/// Sends lines and reads the replies until the server closes the connection.
fn converse(address: &str, lines: &[String]) -> Vec<String> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    for line in lines {
        // The server may have closed already: what it answered is what counts.
        let _ = stream.write_all(format!("{line}\n").as_bytes());
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    BufReader::new(stream)
        .lines()
        .map_while(Result::ok)
        .collect()
}

#[test]
fn a_client_without_the_secret_is_refused_and_changes_nothing() {
    let area = remote_area(&[("nap", "[ezsteps]\nnap sleep 30\n")]);
    let mut runner = area
        .megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .spawn();
    let job_file = area.path().join("lt/linux/r1/nap/.megatest-job.json");
    let started = Instant::now();
    let test_id: i64 = loop {
        let running = database(&area)
            .query_row(
                "SELECT id FROM tests WHERE testname='nap' AND state='RUNNING'",
                [],
                |r| r.get(0),
            )
            .ok();
        if let Some(id) = running {
            break id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nap did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let address = server_address(&job_file);
    let db_path = area.path().join("db/megatest.db");
    let status = format!(
        r#"{{"Status":{{"test_id":{test_id},"state":"COMPLETED","status":"FAIL","comment":"forged","summary":false}}}}"#
    );
    let wrong = format!(
        r#"{{"Hello":{{"db":{:?},"proof":"{}"}}}}"#,
        db_path.display().to_string(),
        "0".repeat(64)
    );
    // A proof without a greeting, then a request.
    let replies = converse(&address, &[wrong.clone(), status.clone()]);
    assert!(
        replies.first().is_some_and(|r| r.contains("refused")),
        "{replies:?}"
    );
    assert!(
        replies.iter().all(|r| r.contains("refused")),
        "nothing else is taken: {replies:?}"
    );
    // A greeting answered by the server's challenge, then a wrong proof.
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    stream
        .write_all(format!(r#"{{"Greet":{{"nonce":"{}"}}}}{}"#, "ab".repeat(16), "\n").as_bytes())
        .unwrap();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("Challenge"), "{line}");
    assert!(
        !line.contains(
            &std::fs::read_to_string(area.path().join(".megatest-secret"))
                .unwrap()
                .trim()
                .to_string()
        ),
        "the secret itself never travels"
    );
    stream
        .write_all(format!("{wrong}\n{status}\n").as_bytes())
        .unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("refused: not the area's secret"), "{line}");
    line.clear();
    let more = reader.read_line(&mut line).unwrap_or(0);
    assert_eq!(more, 0, "closed after the refusal: {line}");
    // Without a greeting at all.
    let replies = converse(&address, std::slice::from_ref(&status));
    assert!(
        replies.first().is_some_and(|r| r.contains("greet first")),
        "{replies:?}"
    );
    // Garbage first: one answer, then the connection is closed.
    let replies = converse(&address, &["x".repeat(100), status]);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(replies[0].contains("not a recorder request"), "{replies:?}");
    let (state, comment): (String, String) = database(&area)
        .query_row(
            "SELECT state, coalesce(comment,'') FROM tests WHERE id=?1",
            [test_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(state, "RUNNING");
    assert_ne!(comment, "forged");
    // The executor elsewhere still hears a kill request through the server.
    area.megatest(&[
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        "nap",
        "-set-state-status",
        "KILLREQ,n/a",
    ])
    .run()
    .success();
    let ended = Instant::now();
    while runner.try_wait().unwrap().is_none() {
        assert!(
            ended.elapsed() < Duration::from_secs(30),
            "the runner did not end"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let state: String = database(&area)
        .query_row("SELECT state FROM tests WHERE id=?1", [test_id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(state, "KILLED");
}

/// Waits up to `seconds` for `query` (one integer) to give `want`.
fn wait_for(area: &Area, query: &str, want: i64, seconds: u64) {
    let started = Instant::now();
    loop {
        let got: i64 = database(area)
            .query_row(query, [], |r| r.get(0))
            .unwrap_or(-1);
        if got == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "`{query}` gave {got}, not {want}, within {seconds} s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The in-test helpers a test's steps call, on another host than the database's.
const HELPERS: &str = r#"#!/bin/sh
set -e
$MT_MEGATEST -step extra :state start :status n/a
$MT_MEGATEST -step extra :state end :status 0 -m from-helper
$MT_MEGATEST -set-values :category c :variable v :value 7 :expected 7 :tol 0
printf 'perf,speed,10,10,1\n' | $MT_MEGATEST -load-test-data
$MT_MEGATEST -runstep inner echo hi
$MT_MEGATEST -setlog own-log.html
$MT_MEGATEST -summarize-items
# The runner writes this page too, once every item ended: a copy made now is the helper's.
cp ../megatest-rollup-h.html "$MT_RUN_AREA_HOME/rollup-$N.html"
"#;

/// The helpers of a test without items: its toplevel is itself.
const TOPLEVEL_HELPERS: &str = r#"#!/bin/sh
set -e
$MT_MEGATEST -test-status :state RUNNING :status n/a -m from-test-status
$MT_MEGATEST -set-toplog top-log.html
# Scheme a step loads reaches the records through the server too.
echo '(rmt:set-var "from-load" (car (rmt:get-keys)))' > load.scm
$MT_MEGATEST -load load.scm
# A write through rmt fires its triggers here, where the call was made.
run=$(echo "$MT_CMDINFO" | sed 's/.*"run_id":\([0-9]*\).*/\1/')
test=$(echo "$MT_CMDINFO" | sed 's/.*"test_id":\([0-9]*\).*/\1/')
echo "(rmt:test-set-state-status $run $test \"RUNNING\" \"WARN\" #f)" > write.scm
$MT_MEGATEST -load write.scm
# Any other command that would open the database refuses, clearly.
if $MT_MEGATEST -list-runs % 2> list-runs.err; then exit 5; fi
grep -q "does not open megatest.db over the network" list-runs.err
"#;

#[test]
fn the_in_test_helpers_elsewhere_record_through_the_server() {
    let area = remote_area(&[
        (
            "h",
            "[items]\nN 1 2\n[ezsteps]\nhelpers sh $MT_RUN_AREA_HOME/tests/h/helpers.sh\n",
        ),
        (
            "s",
            "[ezsteps]\nhelpers sh $MT_RUN_AREA_HOME/tests/s/helpers.sh\n[triggers]\nRUNNING/WARN (lambda (test-id rundir key) (rmt:set-var \"fired-by-rmt\" key))\n",
        ),
    ])
    .file("tests/h/helpers.sh", HELPERS)
    .file("tests/s/helpers.sh", TOPLEVEL_HELPERS);
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run()
        .success();
    let db = database(&area);
    let rows: Vec<(String, String, String, String)> = db
        .prepare(
            "SELECT item_path, state, status, coalesce(final_logf,'') FROM tests WHERE testname='h' ORDER BY item_path",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (item, _, _, log) in rows.iter().filter(|r| !r.0.is_empty()) {
        assert_eq!(log, "own-log.html", "-setlog of item {item}");
    }
    for (item, state, status, _) in &rows {
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("COMPLETED", "PASS"),
            "{item}: {rows:?}"
        );
    }
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count(
            "SELECT count(*) FROM test_steps WHERE stepname='extra' AND state='end' AND comment='from-helper'"
        ),
        2,
        "-step from both items"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM test_steps WHERE stepname='inner' AND state='end' AND status='0'"
        ),
        2,
        "-runstep"
    );
    assert_eq!(
        count("SELECT count(*) FROM test_data WHERE category='c' AND variable='v' AND value=7"),
        2,
        "-set-values"
    );
    assert_eq!(
        count("SELECT count(*) FROM test_data WHERE category='perf' AND variable='speed'"),
        2,
        "-load-test-data"
    );
    for n in [1, 2] {
        let copy = area.path().join(format!("rollup-{n}.html"));
        let page = std::fs::read_to_string(&copy)
            .unwrap_or_else(|e| panic!("-summarize-items of item {n} wrote its page: {e}"));
        assert!(
            page.contains("<h1>h:") && page.contains("<td>1</td>"),
            "{page}"
        );
    }
    let (state, status, comment, log): (String, String, String, String) = db
        .query_row(
            "SELECT state, status, coalesce(comment,''), coalesce(final_logf,'') FROM tests WHERE testname='s'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((state.as_str(), status.as_str()), ("COMPLETED", "PASS"));
    assert_eq!(comment, "from-test-status", "-test-status");
    assert_eq!(log, "top-log.html", "-set-toplog");
    let loaded: String = db
        .query_row("SELECT val FROM metadat WHERE var='from-load'", [], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("-load's rmt:set-var arrived: {e}"));
    assert_eq!(loaded, "platform");
    let fired: String = db
        .query_row(
            "SELECT val FROM metadat WHERE var='fired-by-rmt'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("the trigger of the rmt write fired: {e}"));
    assert!(fired.starts_with("RUNNING/WARN"), "{fired}");
}

/// A long-lived server of the area (`megatest -server -`), stopped when dropped.
struct LongLived(std::process::Child);

impl Drop for LongLived {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Asserts that `-list-servers` shows the server at `address` in `state`.
fn assert_listed(area: &Area, address: &str, state: &str) {
    let listing = area.megatest(&["-list-servers"]).run();
    assert!(
        listing
            .success()
            .lines()
            .any(|l| l.contains(address) && l.contains(state)),
        "{}",
        listing.stdout
    );
}

/// The address the area's one server announced in its log.
fn announced_address(area: &Area) -> String {
    let started = Instant::now();
    loop {
        let logs = std::fs::read_dir(area.path().join("logs"))
            .into_iter()
            .flatten();
        for entry in logs.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.starts_with("server-") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            if let Some(line) = text.lines().find(|l| l.starts_with("SERVER STARTED: ")) {
                let rest = line.trim_start_matches("SERVER STARTED: ");
                return rest.split(" AT ").next().unwrap().to_string();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no server announced itself in logs/"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_long_lived_server_takes_over_when_the_runner_is_gone() {
    let area = remote_area(&[("nap", "[ezsteps]\nnap sleep 6\nafter echo done\n")]);
    let server = LongLived(area.megatest(&["-server", "-"]).spawn());
    let address = announced_address(&area);
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    assert_listed(&area, &address, "alive");
    area.megatest(&["-ping", &address]).run().success();
    area.megatest(&["-ping", "127.0.0.1:1"]).run().failure(1);
    // The runner goes away for good while the test sleeps on the other host.
    let mut runner = area
        .megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .spawn();
    wait_for(
        &area,
        "SELECT count(*) FROM tests WHERE testname='nap' AND state='RUNNING'",
        1,
        30,
    );
    runner.kill().unwrap();
    runner.wait().unwrap();
    wait_for(
        &area,
        "SELECT count(*) FROM tests WHERE testname='nap' AND state='COMPLETED' AND status='PASS'",
        1,
        40,
    );
    let steps: i64 = database(&area)
        .query_row(
            "SELECT count(*) FROM test_steps WHERE stepname='after' AND state='end'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(steps, 1, "the step after the runner's end was recorded");
    // -kill-servers stops it: its process ends and the listing says dead.
    area.megatest(&["-kill-servers"]).run().success();
    let mut server = server;
    let asked = Instant::now();
    while server.0.try_wait().unwrap().is_none() {
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "the server did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_listed(&area, &address, "dead");
    area.megatest(&["-ping", &address]).run().failure(1);
}

#[test]
fn a_server_is_started_only_on_the_homehost() {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[server]\nhomehost the-database-host.invalid\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n");
    let stderr = area.megatest(&["-server", "-"]).run();
    let stderr = stderr.failure(1);
    assert!(
        stderr.contains("you must be on the homehost (the-database-host.invalid)"),
        "{stderr}"
    );
    assert!(
        !area.path().join("logs").exists()
            || std::fs::read_dir(area.path().join("logs"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn a_server_without_clients_ends_after_its_timeout() {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[server]\nhostname 127.0.0.1\ntimeout 2s\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n");
    let started = Instant::now();
    let out = area.megatest(&["-server", "-"]).run();
    let stderr = out.success_stderr();
    assert!(stderr.contains("no clients for 2s"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let address = announced_address(&area);
    assert_listed(&area, &address, "dead");
    // Nothing to stop: -kill-servers leaves a dead one alone.
    area.megatest(&["-kill-servers"]).run().success();
}
