//! Benchmark: the dashboard's Runs view over 100 runs × 1,000 tests (100,000 records), one
//! page of all 100 runs (`-rows 100`), fetched over HTTP from `megatest -dashboard`; beside
//! it, the floor of reading the same records with the sqlite3 shell, in the same run; then,
//! when chromedriver and chromium are there (`scripts/setup.sh`), the time until headless
//! Chromium has loaded and painted the page (after one navigation to another page of the
//! server, so the browser's own start is not counted). Targets: under 300 ms of server time per page,
//! under 2 s until the browser shows it. Run: `cargo bench --bench dashboard_page`.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 100;
const TESTS: usize = 1000;
const ROUNDS: usize = 5;

fn area(dir: &Path) {
    std::fs::write(
        dir.join("megatest.config"),
        "[fields]\nplatform TEXT\n\n[setup]\nlinktree #{getenv MT_RUN_AREA_HOME}/links\n",
    )
    .unwrap();
    std::fs::write(dir.join("runconfigs.config"), "[default]\nX 1\n").unwrap();
    // The schema, as megatest makes it.
    let out = Command::new(env!("CARGO_BIN_EXE_megatest"))
        .args(["-list-runs", "%"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut db = rusqlite::Connection::open(dir.join("megatest.db")).unwrap();
    let tx = db.transaction().unwrap();
    for run in 0..RUNS {
        tx.execute(
            "INSERT INTO runs (platform, runname, state, status, event_time) VALUES ('linux', ?1, 'done', 'n/a', ?2)",
            (format!("r{run:03}"), 1_700_000_000 + run as i64),
        )
        .unwrap();
        let run_id = tx.last_insert_rowid();
        let mut stmt = tx
            .prepare_cached("INSERT INTO tests (run_id, testname, item_path, state, status, event_time) VALUES (?1, ?2, '', 'COMPLETED', ?3, 0)")
            .unwrap();
        for test in 0..TESTS {
            let status = if (test + run) % 17 == 0 {
                "FAIL"
            } else {
                "PASS"
            };
            stmt.execute((run_id, format!("test_{test:04}"), status))
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// One GET over a fresh connection; the time to the whole body, and the body's length.
fn get(addr: &str, path: &str) -> (Duration, usize) {
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = Vec::new();
    stream.read_to_end(&mut body).unwrap();
    let took = started.elapsed();
    assert!(
        body.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&body[..200.min(body.len())])
    );
    (took, body.len())
}

fn floor(dir: &Path) -> Duration {
    let started = Instant::now();
    let out = Command::new("sqlite3")
        .arg(dir.join("megatest.db"))
        .arg("SELECT id, testname, item_path, state, status FROM tests ORDER BY run_id, testname;")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(out.success());
    started.elapsed()
}

/// Milliseconds until Chromium's first contentful paint and load end of `url`, per round.
fn browser_times(url: &str) -> Option<Vec<(f64, f64)>> {
    let driver = which::which("chromedriver").ok()?;
    let chromium = which::which("chromium").ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let mut child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = tempfile::tempdir().ok()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let times = runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_string(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-background-networking", "--window-size=1200,800",
                         format!("--user-data-dir={}", profile.path().display())]
            }),
        );
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .ok()?;
        // The browser's own first navigation is slower whatever the page: one to another,
        // small page of the server first.
        let warm = url.replacen("/?", "/control?", 1);
        client.goto(&warm).await.ok()?;
        let mut times = Vec::new();
        for _ in 0..ROUNDS {
            client.goto(url).await.ok()?;
            let v = client
                .execute(
                    "const n = performance.getEntriesByType('navigation')[0];
                     const p = performance.getEntriesByName('first-contentful-paint')[0];
                     return [p ? p.startTime : -1, n.loadEventEnd];",
                    vec![],
                )
                .await
                .ok()?;
            let pair: (f64, f64) = serde_json::from_value(v).ok()?;
            times.push(pair);
        }
        let _ = client.close().await;
        Some(times)
    });
    // The whole group: the Chromium it started too.
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = child.wait();
    times
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    area(dir.path());
    let mut server = Command::new(env!("CARGO_BIN_EXE_megatest"))
        .args(["-dashboard", "-rows", &RUNS.to_string()])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().strip_prefix("dashboard: ").unwrap().to_string();
    let addr = url
        .strip_prefix("http://")
        .and_then(|u| u.split('/').next())
        .unwrap()
        .to_string();
    let (mut pages, mut floors) = (Vec::new(), Vec::new());
    let mut size = 0;
    get(&addr, "/matrix"); // warm the reader connection
    for _ in 0..ROUNDS {
        floors.push(floor(dir.path()));
        let (took, len) = get(&addr, "/");
        pages.push(took);
        size = len;
    }
    let browser = browser_times(&url);
    let _ = server.kill();
    let _ = server.wait();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    pages.sort();
    floors.sort();
    println!(
        "dashboard_page: Runs view of {RUNS} runs x {TESTS} tests ({} records), {ROUNDS} rounds, page {:.1} MB",
        RUNS * TESTS,
        size as f64 / 1e6
    );
    println!(
        "  dashboard GET /       median {:7.1} ms  worst {:7.1} ms  (target: under 300 ms)",
        ms(&pages[ROUNDS / 2]),
        ms(&pages[ROUNDS - 1])
    );
    println!(
        "  sqlite3 reading them  median {:7.1} ms  worst {:7.1} ms",
        ms(&floors[ROUNDS / 2]),
        ms(&floors[ROUNDS - 1])
    );
    match browser {
        Some(mut times) => {
            times.sort_by(|a, b| a.1.total_cmp(&b.1));
            let (paint, load) = times[ROUNDS / 2];
            let worst = times[ROUNDS - 1];
            println!(
                "  Chromium: first paint {paint:.0} ms, loaded {load:.0} ms (median); worst loaded {:.0} ms (target: under 2 s)",
                worst.1
            );
        }
        None => println!("  Chromium: not measured (chromedriver or chromium missing)"),
    }
}
