//! The manual's getting-started path through the binary: `-create-megatest-area` and
//! `-create-test` answered on stdin (as a script would), then a run of the new test.

use crate::harness::Area;
use rusqlite::Connection;

#[test]
fn a_new_area_and_test_run() {
    let dir = Area::new();
    let out = dir
        .megatest(&["-create-megatest-area"])
        .stdin("myarea\nRELEASE/PLATFORM\n\n\n")
        .run();
    out.success();
    let area = dir.path().join("myarea");
    let config = std::fs::read_to_string(area.join("megatest.config")).unwrap();
    assert!(
        config.contains("[fields]\nRELEASE TEXT\nPLATFORM TEXT\n"),
        "{config}"
    );
    assert!(area.join("runs").is_dir() && area.join("links").is_dir());
    assert!(area.join("runconfigs.config").is_file());
    // A test with a placeholder script step, a command step and two items.
    let out = dir
        .megatest(&["-create-test", "t1"])
        .in_dir("myarea")
        .stdin("a first test\n\n\ns1\ns1.sh\ns2\necho hello\n\nV\nx y\n\n")
        .run();
    out.success();
    let script = area.join("tests/t1/s1.sh");
    use std::os::unix::fs::PermissionsExt;
    assert!(script.metadata().unwrap().permissions().mode() & 0o111 != 0);
    dir.megatest(&["-run", "-target", "v1/linux", "-runname", "r1", "-run-wait"])
        .in_dir("myarea")
        .run()
        .success();
    let db = Connection::open(area.join("megatest.db")).unwrap();
    let passed: i64 = db
        .query_row(
            "SELECT count(*) FROM tests WHERE testname='t1' AND state='COMPLETED' AND status='PASS'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(passed, 3, "t1, t1/x and t1/y");
    // Declining to overwrite leaves the test alone and exits 1, as 1.65 does.
    let before = std::fs::read_to_string(area.join("tests/t1/testconfig")).unwrap();
    let out = dir
        .megatest(&["-create-test", "t1"])
        .in_dir("myarea")
        .stdin("n\n")
        .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(area.join("tests/t1/testconfig")).unwrap(),
        before
    );
    // Outside an area there is nothing to add a test to.
    dir.megatest(&["-create-test", "t2"]).run().failure(2);
}
