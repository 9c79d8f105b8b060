//! `-extract-ods` and `-list-runs -dumpmode ods`: spreadsheets of real runs, read back cell by
//! cell with spreadsheet-ods.

use crate::harness::Area;
use spreadsheet_ods::{Sheet, WorkBook};

fn area() -> Area {
    Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file(
            "tests/speed/testconfig",
            "[ezsteps]\nmeasure printf 'perf,speed,42,40,5,mb/s\\nperf,size,7,20,1\\n' | $MT_MEGATEST -load-test-data\n\n[test_meta]\nauthor alice\nowner bob\ndescription How fast it goes\ntags perf,nightly\nreviewed 2026-12-01\n",
        )
        .file("tests/broken/testconfig", "[ezsteps]\nfail exit 1\n")
        .file(
            "tests/items/testconfig",
            "[items]\nN a b\n[ezsteps]\nok echo item $N\n",
        )
}

fn read(path: &std::path::Path) -> WorkBook {
    spreadsheet_ods::read_ods(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sheet<'a>(book: &'a WorkBook, name: &str) -> &'a Sheet {
    let names: Vec<&String> = (0..book.num_sheets())
        .map(|i| book.sheet(i).name())
        .collect();
    let i = (0..book.num_sheets())
        .find(|i| book.sheet(*i).name() == name)
        .unwrap_or_else(|| panic!("no sheet {name} in {names:?}"));
    book.sheet(i)
}

/// The sheet's rows as text (numbers as Megatest prints them), trailing empty cells dropped.
fn rows(sheet: &Sheet) -> Vec<Vec<String>> {
    let (nrows, ncols) = sheet.used_grid_size();
    (0..nrows)
        .map(|r| {
            let mut row: Vec<String> = (0..ncols)
                .map(|c| {
                    let v = sheet.value(r, c);
                    match v.as_str_opt() {
                        Some(s) => s.to_string(),
                        None => match v.as_f64_opt() {
                            Some(f) if f.fract() == 0.0 => format!("{}", f as i64),
                            Some(f) => f.to_string(),
                            None => String::new(),
                        },
                    }
                })
                .collect();
            while row.last().is_some_and(String::is_empty) {
                row.pop();
            }
            row
        })
        .collect()
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn extract_ods_reads_back_with_every_test_and_its_data() {
    let area = area();
    for run in ["r1", "r2"] {
        area.megatest(&["-run", "-target", "linux", "-runname", run, "-run-wait"])
            .run();
    }
    let file = area.path().join("all.ods");
    area.megatest(&[
        "-extract-ods",
        file.to_str().unwrap(),
        "-target",
        "linux",
        "-runname",
        "%",
    ])
    .run()
    .success();
    let book = read(&file);
    let runs = rows(sheet(&book, "Runs"));
    let header = &runs[0];
    assert_eq!(
        header[..6],
        [
            "Run Id",
            "Runname",
            "platform",
            "Testname",
            "Item Path",
            "Description"
        ]
    );
    assert_eq!(header.last().unwrap(), "Cpu Load");
    // Two runs of speed, broken, items and its two items.
    assert_eq!(runs.len(), 1 + 2 * 5, "{runs:?}");
    let at = |name: &str| column(header, name);
    let speed = runs
        .iter()
        .find(|r| r[at("Runname")] == "r2" && r[at("Testname")] == "speed")
        .unwrap();
    assert_eq!(speed[at("platform")], "linux");
    assert_eq!(speed[at("Description")], "How fast it goes");
    assert_eq!(speed[at("Author")], "alice");
    assert_eq!(speed[at("Test Owner")], "bob");
    assert_eq!(speed[at("Tags")], "perf,nightly");
    assert_eq!(
        (speed[at("State")].as_str(), speed[at("Status")].as_str()),
        ("COMPLETED", "PASS")
    );
    assert!(
        speed[at("Rundir")].ends_with("/linux/r2/speed"),
        "{speed:?}"
    );
    let broken = runs
        .iter()
        .find(|r| r[at("Runname")] == "r1" && r[at("Testname")] == "broken")
        .unwrap();
    assert_eq!(broken[at("Status")], "FAIL");
    let items: Vec<&str> = runs
        .iter()
        .filter(|r| r[at("Runname")] == "r1" && r[at("Testname")] == "items")
        .map(|r| r[at("Item Path")].as_str())
        .collect();
    assert_eq!(items, ["", "a", "b"]);
    // The test data of `speed`, from both runs.
    let data = rows(sheet(&book, "speed"));
    assert_eq!(
        data[0],
        [
            "Run Id",
            "Testname",
            "Item Path",
            "Category",
            "Variable",
            "Value",
            "Expected",
            "Tol",
            "Units",
            "Status",
            "Comment"
        ]
    );
    assert_eq!(data.len(), 1 + 2 * 2, "{data:?}");
    let row = data
        .iter()
        .find(|r| r.get(4).is_some_and(|v| v == "speed"))
        .unwrap();
    assert_eq!(row[3..9], ["perf", "speed", "42", "40", "5", "mb/s"]);
    assert_eq!(row[9], "pass");
    // No test data: no sheet.
    assert!((0..book.num_sheets()).all(|i| book.sheet(i).name() != "broken"));
}

#[test]
fn list_runs_as_ods_has_a_runs_sheet_and_a_sheet_per_run() {
    let area = area();
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run();
    let file = area.path().join("list.ods");
    area.megatest(&[
        "-list-runs",
        "r1",
        "-dumpmode",
        "ods",
        "-o",
        file.to_str().unwrap(),
    ])
    .run()
    .success();
    let book = read(&file);
    let runs = rows(sheet(&book, "runs"));
    assert_eq!(
        runs[0],
        [
            "platform",
            "runname",
            "time",
            "owner",
            "pass_count",
            "fail_count",
            "state",
            "status",
            "comment",
            "id"
        ]
    );
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1][..2], ["linux", "r1"]);
    // The run's sheet: its name (a slash is not allowed in a sheet's name), then the tests.
    let run = rows(sheet(&book, "linux_r1"));
    assert_eq!(run[0], ["linux/r1"]);
    let header = &run[2];
    let (name, item, status) = (
        column(header, "testname"),
        column(header, "item_path"),
        column(header, "status"),
    );
    let mut got: Vec<(String, String, String)> = run[3..]
        .iter()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().unwrap_or_default();
            (cell(name), cell(item), cell(status))
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String)> = [
        ("broken", "", "FAIL"),
        ("items", "", "PASS"),
        ("items", "a", "PASS"),
        ("items", "b", "PASS"),
        ("speed", "", "PASS"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn extract_ods_needs_a_target_and_a_run_name() {
    let area = area();
    let out = area
        .megatest(&["-extract-ods", "x.ods", "-runname", "r1"])
        .run();
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("-extract-ods needs a target"),
        "{}",
        out.stderr
    );
    assert!(!area.path().join("x.ods").exists());
}
