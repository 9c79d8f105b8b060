//! `-diff-rep`: two real runs of an area whose tests pass or fail by run name; the HTML
//! report lists exactly the tests that are not clean, with 1.65's classification, and
//! `-diff-email` goes through the local sendmail (a stand-in on `PATH` here).

use crate::harness::Area;

fn area() -> Area {
    let tests = [
        ("stable", "[ezsteps]\nok true\n"),
        ("worse", "[ezsteps]\nok test \"$MT_RUNNAME\" = r1\n"),
        ("better", "[ezsteps]\nok test \"$MT_RUNNAME\" = r2\n"),
        ("broken", "[ezsteps]\nbad false\n"),
        ("newer", "[ezsteps]\nok true\n"),
    ];
    let mut area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n");
    for (name, config) in tests {
        area = area.file(&format!("tests/{name}/testconfig"), config);
    }
    area
}

/// `-diff-rep` of run `src` against r2 (both of target linux), with `rest`.
fn diff(area: &Area, src: &str, rest: &[&str]) -> crate::harness::Run {
    let mut args = vec![
        "-diff-rep",
        "-src-target",
        "linux",
        "-src-runname",
        src,
        "-target",
        "linux",
        "-runname",
        "r2",
    ];
    args.extend_from_slice(rest);
    area.megatest(&args)
}

/// The `<tr>` rows of the report's last table: (test, source status, dest status, diff).
fn diff_rows(page: &str) -> Vec<(String, String, String, String)> {
    let table = page
        .rsplit("<th>Diff</th></tr>")
        .next()
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    table
        .lines()
        .filter(|l| l.starts_with("<tr>"))
        .map(|l| {
            let cells: Vec<String> = l
                .split("<td")
                .skip(1)
                .map(|c| {
                    let text = &c[c.find('>').unwrap() + 1..];
                    text[..text.find("</td>").unwrap()].to_string()
                })
                .collect();
            (
                cells[0].clone(),
                cells[2].clone(),
                cells[3].clone(),
                cells[4].clone(),
            )
        })
        .collect()
}

#[test]
fn the_report_names_exactly_the_tests_that_changed() {
    let area = area();
    area.megatest(&[
        "-run",
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        "stable,worse,better,broken",
        "-run-wait",
    ])
    .run()
    .success();
    area.megatest(&["-run", "-target", "linux", "-runname", "r2", "-run-wait"])
        .run()
        .success();
    let html = area.path().join("diff.html");
    let out = diff(&area, "r1", &["-diff-html", html.to_str().unwrap()]).run();
    assert!(
        out.success().contains("5 tests, 4 not clean"),
        "{}",
        out.stdout
    );
    let page = std::fs::read_to_string(&html).unwrap();
    let mut rows = diff_rows(&page);
    rows.sort();
    let row = |t: &str, a: &str, b: &str, d: &str| (t.into(), a.into(), b.into(), d.into());
    assert_eq!(
        rows,
        vec![
            row("better", "FAIL", "PASS", "BETTER"),
            row("broken", "FAIL", "FAIL", "BOTH-BAD"),
            row("newer", "NULL", "PASS", "NOT-IN-SRC"),
            row("worse", "PASS", "FAIL", "WORSE"),
        ],
        "{page}"
    );
    assert!(
        page.contains("<td class=\"good\">CLEAN</td><td class=\"num\">20.00</td>"),
        "{page}"
    );
    // Mailed through sendmail, with the subject 1.65 uses.
    let bin = area.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mailed = area.path().join("mailed.txt");
    let fake = bin.join("sendmail");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$@\" > {0}.args\ncat > {0}\n",
            mailed.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    diff(
        &area,
        "r1",
        &["-diff-email", "qa@example.com,lead@example.com"],
    )
    .env("PATH", &path)
    .run()
    .success();
    let message = std::fs::read_to_string(&mailed).unwrap();
    assert!(
        message.starts_with(
            "To: qa@example.com, lead@example.com\nSubject: [MEGATEST DIFF] linux/r1 vs. linux/r2\n"
        ),
        "{message}"
    );
    assert!(message.contains("Content-Type: text/html") && message.contains("NOT-IN-SRC"));
    // Without a sendmail: a clear error (where none is installed in the usual places).
    if !std::path::Path::new("/usr/sbin/sendmail").exists()
        && !std::path::Path::new("/usr/lib/sendmail").exists()
    {
        let err = diff(&area, "r1", &["-diff-email", "qa@example.com"])
            .env("PATH", "/usr/bin:/bin")
            .run();
        assert!(
            err.failure(1).contains("no sendmail on this host"),
            "{}",
            err.stderr
        );
    }
    // Bad selectors and no output chosen.
    let missing = diff(&area, "nope", &["-diff-html", "x.html"]).run();
    assert!(
        missing.failure(1).contains("no source run matches"),
        "{}",
        missing.stderr
    );
    diff(&area, "r1", &[]).run().failure(1);
}
