//! `phoenix SUITE_DIR TESTCASE...` (spec §11): the skeleton of a suite and its cases, which
//! `utah -r SUITE_DIR/master.run` runs as written: `master.run` (the suite fetched from
//! beside it), `ts_control` (every key commented), `tslist.run`, and per case a
//! `tc_control` whose command runs the case's `test.sh`, a placeholder that passes and says
//! it is one. An existing suite gains the new cases; an existing case is left alone.

use std::io;
use std::path::Path;

/// What phoenix did, a line per file, or why it stopped.
pub fn create(suite_dir: &Path, cases: &[String]) -> Result<Vec<String>, String> {
    let name = suite_dir
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| crate::model::check_component(n).is_ok())
        .ok_or_else(|| format!("{}: not a name for a suite directory", suite_dir.display()))?;
    if cases.is_empty() {
        return Err("name at least one test case: phoenix SUITE_DIR TESTCASE...".to_string());
    }
    for case in cases {
        if crate::model::check_component(case).is_err() {
            return Err(format!("`{case}`: a test case is one directory name"));
        }
        if suite_dir.join(case).join("tc_control").exists() {
            return Err(format!(
                "{}: exists already; phoenix does not overwrite a test case",
                suite_dir.join(case).join("tc_control").display()
            ));
        }
    }
    let io = |path: &Path, e: io::Error| {
        format!(
            "cannot write {}: {}",
            path.display(),
            crate::sys::io_reason(&e)
        )
    };
    let mut said = Vec::new();
    let write_new = |path: &Path, text: &str, said: &mut Vec<String>| -> Result<(), String> {
        if path.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(path.parent().expect("under the suite"))
            .map_err(|e| io(path, e))?;
        std::fs::write(path, text).map_err(|e| io(path, e))?;
        said.push(format!("wrote {}", path.display()));
        Ok(())
    };
    write_new(&suite_dir.join("master.run"), &master_run(name), &mut said)?;
    write_new(&suite_dir.join("ts_control"), TS_CONTROL, &mut said)?;
    let list_path = suite_dir.join("tslist.run");
    let mut list = std::fs::read_to_string(&list_path).unwrap_or_default();
    for case in cases {
        write_new(
            &suite_dir.join(case).join("tc_control"),
            &tc_control(case),
            &mut said,
        )?;
        let script = suite_dir.join(case).join("test.sh");
        write_new(&script, &test_script(case), &mut said)?;
        make_executable(&script).map_err(|e| io(&script, e))?;
        let listed = list.lines().any(|l| {
            l.trim()
                .strip_prefix("- test:")
                .is_some_and(|t| t.trim() == case)
        });
        if !listed {
            if !list.is_empty() && !list.ends_with('\n') {
                list.push('\n');
            }
            list.push_str(&format!("- test: {case}\n"));
        }
    }
    std::fs::write(&list_path, &list).map_err(|e| io(&list_path, e))?;
    said.push(format!(
        "listed {} in {}",
        cases.join(", "),
        list_path.display()
    ));
    Ok(said)
}

fn make_executable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path)?.permissions();
    perms.set_mode(perms.mode() | 0o755);
    std::fs::set_permissions(path, perms)
}

fn master_run(name: &str) -> String {
    format!(
        "---
# Runs this suite: utah -r {name}/master.run
testsuites:
  - name: {name}
    fetch_method: dev
    fetch_location: ./
"
    )
}

const TS_CONTROL: &str = "\
# The suite's commands, run in the suite's directory (all optional):
#build_cmd: make
#ts_setup: ./setup.sh
#ts_cleanup: ./cleanup.sh
#timeout: 300
";

fn tc_control(case: &str) -> String {
    format!(
        "description: {case} (describe what the test checks)
dependencies: none
action: |
  1. run test.sh
expected_results: |
  1. test.sh exits 0
type: userland
timeout: 60
command: ./test.sh
#build_cmd: make
#tc_setup: ./setup.sh
#tc_cleanup: ./cleanup.sh
#run_as: nobody
#reboot: never
"
    )
}

fn test_script(case: &str) -> String {
    format!(
        "#!/bin/sh
# The test case {case}: replace this placeholder with the real test (exit 0 = PASS).
echo \"{case}: placeholder test from phoenix; edit test.sh\"
exit 0
"
    )
}
