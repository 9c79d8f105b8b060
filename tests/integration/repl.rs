//! `megatest -repl` under a pseudo-terminal, after a real run: values checked against
//! megatest.db, a multi-line define, an error, Ctrl-C during an endless loop, Ctrl-D.

use crate::harness::Area;
use crate::pty::Pty;
use rusqlite::Connection;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn the_repl_explores_a_run() {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 2\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/one/testconfig", "[ezsteps]\nok echo fine\n")
        .file(
            "tests/two/testconfig",
            "[items]\nN a b\n\n[ezsteps]\nchk test $N = a\n",
        );
    area.megatest(&["-run", "-target", "linux", "-runname", "first", "-run-wait"])
        .run()
        .success();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".megatestrc"),
        "(define rc-loaded \"yes\")\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_megatest"));
    cmd.arg("-repl")
        .current_dir(area.path())
        .env("HOME", home.path())
        .env("TERM", "xterm");
    for (name, _) in std::env::vars() {
        if name.starts_with("MT_") {
            cmd.env_remove(name);
        }
    }
    let mut pty = Pty::spawn(&mut cmd);
    pty.expect("megatest> ", WAIT);

    pty.send("(rmt:get-keys)\r");
    pty.expect("(\"platform\")", WAIT);
    pty.expect("megatest> ", WAIT);

    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let (run_id, owner, event_time): (i64, String, i64) = db
        .query_row(
            "SELECT id, owner, event_time FROM runs WHERE runname='first'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let (state, status): (String, String) = db
        .query_row(
            "SELECT state, status FROM runs WHERE id=?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    pty.send("(rmt:get-runs \"%\" #f #f '())\r");
    pty.expect(
        &format!(
            "#((\"platform\" \"id\" \"runname\" \"state\" \"status\" \"owner\" \"event_time\") (#(\"linux\" {run_id} \"first\" \"{state}\" \"{status}\" \"{owner}\" {event_time})))"
        ),
        WAIT,
    );
    pty.expect("megatest> ", WAIT);

    pty.send(&format!(
        "(rmt:get-tests-for-run {run_id} \"%\" '() '() #f #f #f 'testname \"ASC\" #f #f 'normal)\r"
    ));
    let printed = pty.expect("megatest> ", WAIT);
    let mut stmt = db
        .prepare("SELECT id, testname, state, status, item_path FROM tests WHERE run_id=?1 ORDER BY testname, item_path")
        .unwrap();
    let rows: Vec<(i64, String, String, String, String)> = stmt
        .query_map([run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 4);
    let mut from = 0;
    for (id, name, state, status, item) in &rows {
        let head = format!("#({id} {run_id} \"{name}\" \"{state}\" \"{status}\"");
        let at = printed[from..]
            .find(&head)
            .unwrap_or_else(|| panic!("`{head}` not printed in order:\n{printed}"));
        from += at + head.len();
        let item_field = format!("\"{item}\"");
        assert!(printed[from..].contains(&item_field), "{printed}");
    }

    pty.send("(define (double x)\r");
    pty.send("  (* 2 x))\r");
    pty.expect("megatest> ", WAIT);
    pty.send("(double 21)\r");
    pty.expect("42", WAIT);
    pty.expect("megatest> ", WAIT);

    // Tab completes built-in names and the ones defined in this session.
    pty.send("(string-interspe\t");
    pty.expect("(string-intersperse", WAIT);
    pty.send(" (list \"a\" \"b\") \"+\")\r");
    pty.expect("\"a+b\"", WAIT);
    pty.expect("megatest> ", WAIT);
    pty.send("(doub\t");
    pty.expect("(double", WAIT);
    pty.send(" 4)\r");
    pty.expect("8", WAIT);
    pty.expect("megatest> ", WAIT);

    pty.send("rc-loaded\r");
    pty.expect("\"yes\"", WAIT);
    pty.expect("megatest> ", WAIT);

    pty.send("(car 10)\r");
    let error = pty.expect("megatest> ", WAIT);
    assert!(error.contains("error:") && error.contains("car"), "{error}");
    assert!(error.contains("<repl>:1:2"), "{error}");

    pty.send("(let loop () (loop))\r");
    std::thread::sleep(Duration::from_millis(500));
    pty.send("\x03");
    let interrupted = pty.expect("megatest> ", WAIT);
    assert!(interrupted.contains("interrupted"), "{interrupted}");
    pty.send("(+ 1 2)\r");
    pty.expect("3", WAIT);
    pty.expect("megatest> ", WAIT);

    pty.send("\x04");
    assert_eq!(pty.wait(WAIT), 0);
    let history = std::fs::read_to_string(home.path().join(".megatest_history")).unwrap();
    assert!(history.contains("(rmt:get-keys)"), "{history}");
}
