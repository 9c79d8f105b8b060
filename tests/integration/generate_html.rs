//! `-generate-html`: the static pages of twelve real runs: ten runs on the first page and two
//! on the second, linked both ways; every run and every test and item on them, each status
//! a link to a page that exists; names escaped. (`dashboard_browser.rs` opens them in
//! Chromium and uses the filter.)

use crate::harness::Area;

/// An area after `runs` runs (`r01`, `r02`, ...) of a test, an itemized test and a test
/// whose name needs escaping, with a pass and a failure.
pub(crate) fn area_with_runs(runs: usize) -> Area {
    let area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/ok/testconfig", "[ezsteps]\nok true\n")
        .file(
            "tests/it/testconfig",
            "[items]\nN 1 2\n[ezsteps]\nok test $N = 1\n",
        )
        .file("tests/a&b/testconfig", "[ezsteps]\nok true\n");
    for n in 1..=runs {
        let name = format!("r{n:02}");
        area.megatest(&["-run", "-target", "linux", "-runname", &name, "-run-wait"])
            .run()
            .success();
    }
    area
}

#[test]
fn twelve_runs_make_two_linked_pages_with_every_test() {
    let area = area_with_runs(12);
    let out = area.megatest(&["-generate-html"]).run();
    assert!(
        out.success().contains("HTML output created in") && out.stdout.contains("2 pages, 12 runs"),
        "{}",
        out.stdout
    );
    let lt = area.path().join("lt");
    let page0 = std::fs::read_to_string(lt.join("page0.html")).unwrap();
    let page1 = std::fs::read_to_string(lt.join("page1.html")).unwrap();
    assert!(!lt.join("page2.html").exists());
    assert!(page0.contains("<a href=\"page1.html\">next&gt;&gt;</a>") && !page0.contains("prev"));
    assert!(page1.contains("<a href=\"page0.html\">&lt;&lt;prev</a>") && !page1.contains("next"));
    // Newest first: r12..r03 on the first page, r02 and r01 on the second.
    for n in 1..=12 {
        let cell = format!("<th>r{n:02}</th>");
        let (on, off) = if n > 2 {
            (&page0, &page1)
        } else {
            (&page1, &page0)
        };
        assert!(on.contains(&cell) && !off.contains(&cell), "r{n:02}");
    }
    for (page, runs) in [(&page0, 10), (&page1, 2)] {
        for label in ["ok:", "it:", "it:1", "it:2", "a&amp;b:"] {
            let row = page
                .lines()
                .find(|l| l.contains(&format!("<td class=\"name\">{label}</td>")))
                .unwrap_or_else(|| panic!("no row {label}"));
            assert_eq!(row.matches("<a href=").count(), runs, "{row}");
        }
        // Every status links to a page that is there.
        for link in page.split("<a href=\"").skip(1) {
            let target = &link[..link.find('"').unwrap()];
            if target.starts_with("page") {
                continue;
            }
            let target = target.replace("&amp;", "&").replace("%26", "&");
            assert!(target.starts_with("./"), "{target}");
            assert!(lt.join(&target).is_file(), "{target}");
        }
    }
    assert!(page0.contains("<td class=\"s-fail\">"), "item 2 failed");
    assert!(!page0.contains("<td class=\"name\">a&b"), "escaped");
}
