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
        ("u", "[requirements]\nwaiton t\n[ezsteps]\nsleepy sleep 4\n"),
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
}

/// The server's address from a launched test's job file.
fn server_address(job_file: &Path) -> String {
    let job: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(job_file).unwrap()).unwrap();
    job["server"]
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
        r#"{{"Hello":{{"db":{:?},"secret":"{}"}}}}"#,
        db_path.display().to_string(),
        "0".repeat(64)
    );
    let replies = converse(&address, &[wrong, status.clone()]);
    assert!(
        replies.first().is_some_and(|r| r.contains("refused")),
        "{replies:?}"
    );
    assert!(
        replies.iter().all(|r| r.contains("refused")),
        "nothing else is taken: {replies:?}"
    );
    // Without a greeting at all.
    let replies = converse(&address, std::slice::from_ref(&status));
    assert!(
        replies.first().is_some_and(|r| r.contains("Hello")),
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
