//! `-list-runs -dumpmode junit`: a real run with passing, failing, warning, skipped and
//! blocked tests, and items, as JUnit XML that xmllint validates against the schema in
//! `data/junit.xsd`, with the counts and verdicts each record's state and status give.

use crate::harness::Area;
use std::path::Path;
use std::process::Command;

fn area() -> Area {
    let tests = [
        ("pass", "[ezsteps]\nok echo all fine\n"),
        (
            "fail",
            "[ezsteps]\nbad cat $MT_RUN_AREA_HOME/message.txt && exit 1\n",
        ),
        (
            "warn",
            "[ezsteps]\ncheck echo 'warning: disk almost full'\n\n[logpro]\ncheck ;;\n  (expect:warning in \"LogFileBody\" = 0 \"warnings\" #/warning:/)\n",
        ),
        (
            "skipped",
            "[skip]\nfileexists skipflag\n\n[ezsteps]\nnever echo never\n",
        ),
        (
            "blocked",
            "[requirements]\nwaiton fail\n\n[ezsteps]\nnever echo never\n",
        ),
        ("items", "[items]\nN a b\n[ezsteps]\nok echo item $N\n"),
    ];
    let mut area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 4\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
        .file("skipflag", "present\n")
        .file("message.txt", "it <broke> & \"badly\"\n");
    for (name, config) in tests {
        area = area.file(&format!("tests/{name}/testconfig"), config);
    }
    area
}

/// Validates `file` with xmllint against the project's JUnit schema.
fn validate(file: &Path) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/data/junit.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(file)
        .output()
        .expect("xmllint runs (scripts/setup.sh installs libxml2-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The one element `<tag ...` whose attribute `name` is `value`: its opening tag and body.
fn element<'a>(xml: &'a str, tag: &str, name: &str) -> &'a str {
    let open = format!("<{tag} name=\"{name}\"");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {open} in\n{xml}"));
    let rest = &xml[start..];
    let end = rest
        .find(&format!("</{tag}>"))
        .map(|e| e + tag.len() + 3)
        .or_else(|| rest.find("/>").map(|e| e + 2))
        .unwrap();
    &rest[..end]
}

#[test]
fn a_run_as_junit_validates_with_the_right_verdicts() {
    let area = area();
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run()
        .success();
    let file = area.path().join("r1.xml");
    area.megatest(&[
        "-list-runs",
        "r1",
        "-dumpmode",
        "junit",
        "-o",
        file.to_str().unwrap(),
    ])
    .run()
    .success();
    validate(&file);
    let xml = std::fs::read_to_string(&file).unwrap();
    // Seven cases: five tests without items and the two items (not their toplevel).
    let suite = element(&xml, "testsuite", "linux/r1");
    assert!(
        suite.starts_with(
            r#"<testsuite name="linux/r1" tests="7" skipped="1" errors="1" failures="1""#
        ),
        "{suite}"
    );
    assert!(element(suite, "testcase", "pass").contains(r#"classname="pass""#));
    let failed = element(suite, "testcase", "fail");
    assert!(failed.contains("<failure"), "{failed}");
    assert!(
        failed.contains("it &lt;broke&gt; &amp; &quot;badly&quot;"),
        "the step log's tail, escaped: {failed}"
    );
    let warned = element(suite, "testcase", "warn");
    assert!(
        !warned.contains("<failure") && !warned.contains("<error"),
        "{warned}"
    );
    assert!(warned.contains("warning: disk almost full"), "{warned}");
    assert!(element(suite, "testcase", "skipped").contains("<skipped"));
    let blocked = element(suite, "testcase", "blocked");
    assert!(
        blocked.contains("<error") && blocked.contains("PREQ_FAIL"),
        "{blocked}"
    );
    for item in ["a", "b"] {
        assert!(element(suite, "testcase", item).contains(r#"classname="items""#));
    }
    assert!(
        !suite.contains(r#"<testcase name="items""#),
        "no toplevel case"
    );
    // On standard output too, and -fields does not apply.
    let stdout = area
        .megatest(&["-list-runs", "r1", "-dumpmode", "junit"])
        .run();
    assert!(stdout.success().starts_with("<?xml"), "{}", stdout.stdout);
    area.megatest(&[
        "-list-runs",
        "r1",
        "-dumpmode",
        "junit",
        "-fields",
        "runs:runname",
    ])
    .run()
    .failure(64);
}
