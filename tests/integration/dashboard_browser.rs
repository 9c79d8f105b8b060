//! The dashboard in a real headless Chromium, driven through chromedriver (WebDriver, with
//! fantoccini): what a user sees and clicks. Each test saves a screenshot to
//! `target/screenshots/`. Chromium and chromedriver come from `scripts/setup.sh`.

use crate::dashboard::{Dashboard, area_after_a_run};
use crate::harness::Area;
use fantoccini::{Client, ClientBuilder, Locator};
use rusqlite::Connection;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver in a process group of its own, which is ended whole when dropped: the
/// Chromium it started goes too, even when a test fails before closing its session.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One browser at a time: two Chromiums starting together on two cores time out.
static ONE_BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// chromedriver on a free port, and a headless Chromium session through it.
async fn browser(profile: &Path) -> (Driver, Client) {
    let driver = which::which("chromedriver")
        .expect("chromedriver is missing: scripts/setup.sh installs chromium-driver");
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let running = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let chromium = which::which("chromium").expect("chromium is missing: scripts/setup.sh");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1200,800",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let mut tries = 0;
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            // A slow first start of Chromium: once more.
            Err(e) if tries < 2 => {
                tries += 1;
                eprintln!("a Chromium session failed ({e}); trying again");
            }
            Err(e) => panic!("no Chromium session: {e}"),
        }
    };
    (running, client)
}

/// What each browser test starts from: an area after a run, its dashboard, a browser
/// profile, and the turn to use the browser.
struct Setup {
    area: Area,
    /// Stopped when the setup is dropped.
    _server: Dashboard,
    /// The address the dashboard printed (with its token).
    url: String,
    profile: tempfile::TempDir,
    _one: std::sync::MutexGuard<'static, ()>,
}

impl Setup {
    fn new() -> Setup {
        let area = area_after_a_run();
        let server = Dashboard::start(&area, &[]);
        Setup {
            url: format!("{}/?token={}", server.base, server.token),
            area,
            _server: server,
            profile: tempfile::tempdir().unwrap(),
            _one: ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// `test(item)` → the label its cell shows, as the browser renders the matrix.
async fn shown_cells(client: &Client) -> Vec<(String, String)> {
    let script = r#"
      const out = [];
      document.querySelectorAll('table.matrix tbody tr').forEach(function (tr) {
        const name = tr.classList.contains('item')
          ? tr.dataset.of + '(' + tr.querySelector('.itempath').textContent + ')'
          : tr.dataset.test;
        tr.querySelectorAll('td[data-id]').forEach(function (td) { out.push([name, td.textContent]); });
      });
      return out;"#;
    let value = client.execute(script, vec![]).await.unwrap();
    serde_json::from_value(value).unwrap()
}

fn db_cells(area: &Area) -> Vec<(String, String)> {
    let db = Connection::open(area.path().join("megatest.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT testname, item_path, state, status FROM tests ORDER BY testname, item_path",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let (t, i, state, status): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let name = if i.is_empty() { t } else { format!("{t}({i})") };
        Ok((name, if state == "COMPLETED" { status } else { state }))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

async fn wait_until<F, Fut>(what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Makes the page's confirmation questions answer yes (the actions ask first).
async fn accept_confirms(client: &Client) {
    client
        .execute(
            "window.confirm = function () { return true; }; return true;",
            vec![],
        )
        .await
        .unwrap();
}

/// Clicks the element `at` finds (found again when a live update replaced it meanwhile).
async fn click(client: &Client, at: Locator<'_>) {
    for _ in 0..10 {
        match client.find(at).await.unwrap().click().await {
            Ok(()) => return,
            Err(e) if e.to_string().contains("stale") => continue,
            Err(e) => panic!("click: {e}"),
        }
    }
    panic!("the element kept being replaced");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_matrix_shows_the_database_and_a_filter_in_the_url_hides() {
    let s = Setup::new();
    let (area, url) = (&s.area, &s.url);
    runtime().block_on(async {
        let (_driver, client) = browser(s.profile.path()).await;
        client.goto(url).await.unwrap();
        // Items are opened in the page, as a user would.
        click(&client, Locator::Css("button.toggle[data-toggle='many']")).await;
        let mut shown = shown_cells(&client).await;
        shown.sort();
        assert_eq!(shown, db_cells(area));
        save_screenshot(&client, "runs-view").await;
        client.goto(&format!("{url}&hide=PASS")).await.unwrap();
        let shown = shown_cells(&client).await;
        assert_eq!(shown, [("bad".to_string(), "FAIL".to_string())]);
        save_screenshot(&client, "runs-view-filtered").await;
        client.close().await.unwrap();
    });
}

#[test]
fn a_click_opens_the_test_panel_with_its_steps_and_log() {
    let s = Setup::new();
    let (area, url) = (&s.area, &s.url);
    runtime().block_on(async {
        let (_driver, client) = browser(s.profile.path()).await;
        client.goto(url).await.unwrap();
        click(
            &client,
            Locator::Css("tr.test[data-test='good'] td[data-id]"),
        )
        .await;
        let step = client
            .wait()
            .for_element(Locator::Css("td.stepname"))
            .await
            .unwrap();
        assert_eq!(step.text().await.unwrap(), "say");
        assert_eq!(
            client
                .find(Locator::Css("td.status"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
            "PASS"
        );
        save_screenshot(&client, "test-panel").await;
        click(&client, Locator::Css("a.log")).await;
        let body = client
            .wait()
            .for_element(Locator::Css("body"))
            .await
            .unwrap();
        assert_eq!(body.text().await.unwrap().trim(), "all good");
        // Re-run from the panel: the test runs again.
        client.back().await.unwrap();
        accept_confirms(&client).await;
        click(
            &client,
            Locator::XPath("//form[input[@value='rerun']]/button"),
        )
        .await;
        let count = area.path().join("good.count");
        wait_until("the re-run", || async {
            std::fs::read_to_string(&count)
                .unwrap_or_default()
                .lines()
                .count()
                == 2
        })
        .await;
        client.close().await.unwrap();
    });
}

#[test]
fn a_run_started_meanwhile_appears_without_reload_and_kill_stops_a_test() {
    let s = Setup::new();
    let (area, url) = (&s.area, &s.url);
    runtime().block_on(async {
        let (_driver, client) = browser(s.profile.path()).await;
        client.goto(url).await.unwrap();
        // Marks the page: a reload would lose it.
        client
            .execute("window.notReloaded = true; return true;", vec![])
            .await
            .unwrap();
        // Ended with the test, whatever happens (its test is killed below).
        let _runner = Running(
            area.megatest(&[
                "-run",
                "-target",
                "linux",
                "-runname",
                "r2",
                "-testpatt",
                "slow",
            ])
            .spawn(),
        );
        wait_until("the new run's column", || async {
            let text = client.source().await.unwrap_or_default();
            text.contains(">r2<") && text.contains(">RUNNING<")
        })
        .await;
        let same_page = client
            .execute("return window.notReloaded === true;", vec![])
            .await
            .unwrap();
        assert_eq!(
            same_page,
            serde_json::json!(true),
            "the page was not reloaded"
        );
        save_screenshot(&client, "runs-view-live").await;
        // Kill the running test from its panel.
        click(
            &client,
            Locator::Css("tr.test[data-test='slow'] td[data-id]"),
        )
        .await;
        client
            .wait()
            .for_element(Locator::Css("form.action input[value='kill']"))
            .await
            .unwrap();
        accept_confirms(&client).await;
        click(
            &client,
            Locator::XPath("//form[input[@value='kill']]/button"),
        )
        .await;
        let db = area.path().join("megatest.db");
        wait_until("the test killed", || {
            let db = db.clone();
            async move {
                let state: String = Connection::open(&db)
                    .unwrap()
                    .query_row("SELECT state FROM tests WHERE testname='slow'", [], |r| {
                        r.get(0)
                    })
                    .unwrap();
                // The executor saw the request and stopped its step.
                state == "KILLED"
            }
        })
        .await;
        save_screenshot(&client, "test-panel-killed").await;
        client.close().await.unwrap();
    });
}

#[test]
fn run_control_starts_a_run_that_appears_live_and_stops_one_as_ctrl_c() {
    let s = Setup::new();
    let (area, url) = (&s.area, &s.url);
    let control = s.url.replacen("/?token=", "/control?token=", 1);
    let db = area.path().join("megatest.db");
    let state_of = move |runname: &str, test: &str| -> Option<String> {
        Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT t.state||' '||t.status FROM tests t JOIN runs r ON r.id=t.run_id WHERE r.runname=?1 AND t.testname=?2",
                [runname, test],
                |r| r.get(0),
            )
            .ok()
    };
    runtime().block_on(async {
        let (_driver, client) = browser(s.profile.path()).await;
        accept_confirms(&client).await;
        let start = |runname: &'static str, testpatt: &'static str| {
            let client = client.clone();
            let control = control.clone();
            async move {
                client.goto(&control).await.unwrap();
                accept_confirms(&client).await;
                let form = client.form(Locator::Css("form#start")).await.unwrap();
                form.set_by_name("target", "linux").await.unwrap();
                form.set_by_name("runname", runname).await.unwrap();
                form.set_by_name("testpatt", testpatt).await.unwrap();
                form.submit().await.unwrap();
                client
                    .wait()
                    .for_element(Locator::XPath(&format!(
                        "//td[@class='runname'][text()='{runname}']"
                    )))
                    .await
                    .unwrap();
            }
        };
        // A run started from the page; the Runs view shows it come and finish.
        start("r3", "good").await;
        client.goto(url).await.unwrap();
        client
            .execute("window.notReloaded = true; return true;", vec![])
            .await
            .unwrap();
        wait_until("r3 finished in the matrix", || async {
            let source = client.source().await.unwrap_or_default();
            source.contains(">r3<")
                && shown_cells(&client)
                    .await
                    .iter()
                    .filter(|(t, l)| t == "good" && l == "PASS")
                    .count()
                    == 2
        })
        .await;
        assert_eq!(state_of("r3", "good").as_deref(), Some("COMPLETED PASS"));
        assert_eq!(
            client
                .execute("return window.notReloaded === true;", vec![])
                .await
                .unwrap(),
            serde_json::json!(true)
        );
        save_screenshot(&client, "run-control-live").await;
        // A slow run, stopped from Run Control as by Ctrl-C.
        start("r4", "slow").await;
        wait_until("r4 running", || async {
            state_of("r4", "slow").is_some_and(|s| s.starts_with("RUNNING"))
        })
        .await;
        client.goto(&control).await.unwrap();
        accept_confirms(&client).await;
        client
            .execute("window.beforeStop = true; return true;", vec![])
            .await
            .unwrap();
        click(
            &client,
            Locator::XPath("//tr[td[@class='runname'][text()='r4']]//button"),
        )
        .await;
        // The page the Stop leads to (a navigation begun now must not be cut short).
        wait_until("the Stop answered", || async {
            client
                .execute("return window.beforeStop === undefined;", vec![])
                .await
                .is_ok_and(|v| v == serde_json::json!(true))
        })
        .await;
        wait_until("r4's runner ended", || async {
            client.goto(&control).await.unwrap();
            client
                .source()
                .await
                .unwrap_or_default()
                .contains("ended (exit 130)")
        })
        .await;
        save_screenshot(&client, "run-control").await;
        wait_until("r4's test stopped", || async {
            state_of("r4", "slow").is_some_and(|s| s.starts_with("KILLED"))
        })
        .await;
        client.close().await.unwrap();
    });
}

#[test]
fn generated_pages_open_and_filter_in_chromium() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    let area = crate::generate_html::area_with_runs(2);
    area.megatest(&["-generate-html"]).run().success();
    let page = area.path().join("lt/page0.html");
    let profile = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let (_driver, client) = browser(profile.path()).await;
        client
            .goto(&format!("file://{}", page.display()))
            .await
            .unwrap();
        let visible = "return Array.from(document.querySelectorAll('tr.test')).filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent)";
        let all = client.execute(visible, vec![]).await.unwrap();
        assert_eq!(all.as_array().map(Vec::len), Some(5), "{all}");
        let filter = client.find(Locator::Id("filter")).await.unwrap();
        filter.send_keys("it:").await.unwrap();
        let shown = client.execute(visible, vec![]).await.unwrap();
        assert_eq!(
            shown,
            serde_json::json!(["it:", "it:1", "it:2"]),
            "the page's own filter"
        );
        save_screenshot(&client, "generated-page").await;
        // A status opens its test's page (the filter cleared by a reload).
        client
            .goto(&format!("file://{}", page.display()))
            .await
            .unwrap();
        client
            .find(Locator::Css("tr.test td a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let url = client.current_url().await.unwrap();
        assert!(
            url.path().ends_with(".html") && !url.path().ends_with("page0.html"),
            "{url}"
        );
        let source = client.source().await.unwrap();
        assert!(!source.contains("Summary for"), "left the summary page");
        let opened = std::path::PathBuf::from(url.path().replace("%26", "&"));
        assert!(opened.is_file(), "the link's page exists: {}", opened.display());
        client.close().await.unwrap();
    });
}
