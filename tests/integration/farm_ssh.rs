//! `[jobtools] launcher ssh` against a real sshd (started by `scripts/setup.sh` on
//! 127.0.0.1 and 127.0.0.2): tests spread over the pool, a dead pool entry skipped, and a
//! pool with no live host failing its tests clearly.

use crate::harness::Area;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::Path;

/// The client configuration `scripts/start-sshd.sh` writes.
const SSH_CONFIG: &str = "/tmp/megatest-sshd/ssh_config";

fn ssh_area(hosts: &str) -> Area {
    assert!(
        Path::new(SSH_CONFIG).exists(),
        "{SSH_CONFIG} is missing: scripts/setup.sh starts the tests' sshd"
    );
    Area::new()
        .file(
            "megatest.config",
            &format!(
                "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n\n[jobtools]\nlauncher ssh\n\n[ssh]\nhosts {hosts}\ncommand ssh -F {SSH_CONFIG}\n"
            ),
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        // The step says which address its ssh session came in on, and outlives the ssh
        // connection that started its executor.
        .file(
            "tests/w/testconfig",
            "[items]\nN 1 2 3 4 5 6\n[ezsteps]\nwhere sleep 1; echo $SSH_CONNECTION\n",
        )
}

/// (item path, state, status, comment, host of test_jobs) of every item.
fn items(area: &Area) -> Vec<(String, String, String, String, Option<String>)> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT t.item_path, t.state, t.status, coalesce(t.comment,''), j.job
             FROM tests t LEFT JOIN test_jobs j ON j.test_id = t.id
             WHERE t.item_path != '' ORDER BY t.item_path",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn tests_spread_over_the_pool_and_a_dead_host_is_skipped() {
    let area = ssh_area("127.0.0.1 127.0.0.2 127.0.0.3");
    let out = area
        .megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run();
    let stderr = out.success_stderr();
    assert!(
        stderr.contains("ssh pool host 127.0.0.3 does not answer"),
        "{stderr}"
    );
    let mut hosts_used = BTreeSet::new();
    let mut sessions = BTreeSet::new();
    for (item, state, status, _, host) in items(&area) {
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("COMPLETED", "PASS"),
            "{item}"
        );
        let host = host.expect("the record names its ssh host");
        assert_ne!(host, "127.0.0.3");
        hosts_used.insert(host);
        let log = area.path().join(format!("lt/linux/r1/w/{item}/where.log"));
        let log = std::fs::read_to_string(log).unwrap();
        // SSH_CONNECTION: client address, client port, server address, server port.
        let server = log
            .split_whitespace()
            .nth(2)
            .expect("an ssh session")
            .to_string();
        sessions.insert(server);
    }
    let both: BTreeSet<String> = ["127.0.0.1", "127.0.0.2"].map(String::from).into();
    assert_eq!(hosts_used, both, "both hosts got tests");
    assert_eq!(sessions, both, "and the tests ran in sessions on both");
}

#[test]
fn a_pool_without_a_live_host_fails_its_tests_clearly() {
    let area = ssh_area("127.0.0.3");
    let out = area
        .megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run();
    assert!(
        out.stderr
            .contains("no host of the ssh pool (127.0.0.3) answers"),
        "{}",
        out.stderr
    );
    let items = items(&area);
    assert_eq!(items.len(), 6, "every item has a record: {items:?}");
    for (item, state, status, comment, _) in items {
        assert_eq!(
            (state.as_str(), status.as_str()),
            ("INCOMPLETE", "FAIL"),
            "{item}"
        );
        assert!(comment.contains("no host of the ssh pool"), "{comment}");
    }
}
