//! What a second `-run` says about the tests it does not start again (spec §7.9).

use crate::harness::Area;

fn area() -> Area {
    Area::new()
        .file(
            "megatest.config",
            "
            [fields]
            platform TEXT

            [setup]
            max_concurrent_jobs 4
            ",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("tests/one/testconfig", "[ezsteps]\nok exit 0\n")
        .file("tests/bad/testconfig", "[ezsteps]\nno exit 1\n")
        .file(
            "tests/many/testconfig",
            "[items]\nN 1 2 3 4 5 6 7 8\n\n[ezsteps]\nok exit 0\n",
        )
}

fn notes(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("NOTE: ")).collect()
}

#[test]
fn a_second_run_names_the_tests_it_keeps_and_sums_up_many_items() {
    let area = area();
    let run = ["-run", "-target", "p1", "-runname", "r1", "-run-wait"];
    let first = area.megatest(&run).run();
    first.success();
    // The automatic extra pass does not talk about the tests that are done.
    assert_eq!(notes(&first.stderr), Vec::<&str>::new(), "{}", first.stderr);

    let second = area.megatest(&run).run();
    second.success();
    let said = notes(&second.stderr);
    assert!(
        said.contains(
            &"NOTE: Not starting test one as it is state \"COMPLETED\" and status \"PASS\", use -rerun \"PASS\" or -force to override"
        ),
        "{said:#?}"
    );
    assert!(
        said.contains(
            &"NOTE: Not starting test bad as it is state \"COMPLETED\" and status \"FAIL\", use -rerun \"FAIL\" or -force to override"
        ),
        "{said:#?}"
    );
    let items: Vec<&&str> = said
        .iter()
        .filter(|l| l.starts_with("NOTE: Not starting test many/"))
        .collect();
    assert_eq!(items.len(), 5, "{said:#?}");
    assert!(
        said.contains(
            &"NOTE: Not starting further items of test many either (-debug 1 lists them)"
        ),
        "{said:#?}"
    );
    assert_eq!(said.len(), 8, "{said:#?}");

    // What -rerun picks runs again and is not named.
    let rerun = area
        .megatest(&[&run[..], &["-rerun", "FAIL"]].concat())
        .run();
    rerun.success();
    let said = notes(&rerun.stderr);
    assert!(said.iter().all(|l| !l.contains("test bad ")), "{said:#?}");
    assert!(rerun.stdout.contains("lt/p1/r1/bad"), "{}", rerun.stdout);
}
