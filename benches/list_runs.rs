//! Benchmark: `megatest -list-runs %` over a database of 1,000 runs of 100 tests each, side
//! by side with the floor of reading the same rows with one query in-process.
//! Run: `cargo bench --bench list_runs`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 1000;
const TESTS: usize = 100;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("megatest.config"),
        "[fields]\nplatform TEXT\nvariant TEXT\n",
    )
    .unwrap();
    let keys = vec![
        ("platform".to_string(), "TEXT".to_string()),
        ("variant".to_string(), "TEXT".to_string()),
    ];
    let db = dir.path().join("megatest.db");
    drop(megatest::db::Store::open_at(&db, &keys).unwrap());
    let mut conn = rusqlite::Connection::open(&db).unwrap();
    let tx = conn.transaction().unwrap();
    for r in 0..RUNS {
        tx.execute(
            "INSERT INTO runs (platform, variant, runname, state, status, owner, event_time) VALUES (?1, ?2, ?3, 'new', 'n/a', 'bench', ?4)",
            (["linux", "mac"][r % 2], ["release", "debug"][r % 4 / 2], format!("run{r}"), 1_700_000_000 + r as i64),
        )
        .unwrap();
        let run_id = tx.last_insert_rowid();
        for t in 0..TESTS {
            let (state, status) = if t % 50 == 49 {
                ("COMPLETED", "FAIL")
            } else {
                ("COMPLETED", "PASS")
            };
            tx.execute(
                "INSERT INTO tests (run_id, testname, item_path, state, status, host, uname, rundir, event_time, run_duration) VALUES (?1, ?2, '', ?3, ?4, 'host1', 'Linux', ?5, ?6, ?7)",
                (run_id, format!("test{t:03}"), state, status, format!("/links/run{r}/test{t:03}"), 1_700_000_000 + r as i64, t as i64),
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    drop(conn);
    println!(
        "list_runs: {RUNS} runs x {TESTS} tests ({} test records)",
        RUNS * TESTS
    );

    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_megatest"))
            .args(["-list-runs", "%"])
            .current_dir(dir.path())
            .env_remove("MT_RUN_AREA_HOME")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
        assert!(child.wait().unwrap().success());
        times.push(start.elapsed());
        bytes = out.len();
    }
    let t_list = median(times);

    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut stmt = conn
            .prepare("SELECT r.platform, r.variant, r.runname, t.testname, t.state, t.status, t.run_duration, t.event_time, t.host FROM runs r JOIN tests t ON t.run_id=r.id ORDER BY r.event_time, t.testname")
            .unwrap();
        let mut text = String::new();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let name: String = row.get(3).unwrap();
            let state: String = row.get(4).unwrap();
            let status: String = row.get(5).unwrap();
            text.push_str(&format!(
                "  Test: {name:<25} State: {state:<15} Status: {status:<15}\n"
            ));
        }
        assert!(!text.is_empty());
        times.push(start.elapsed());
    }
    let t_floor = median(times);
    println!(
        "  megatest -list-runs %        {:7.1} ms  ({} KB of output, median of 5)",
        t_list.as_secs_f64() * 1e3,
        bytes / 1024
    );
    println!(
        "  one query in-process (floor) {:7.1} ms",
        t_floor.as_secs_f64() * 1e3
    );
    println!("  target: under 300 ms");
}
