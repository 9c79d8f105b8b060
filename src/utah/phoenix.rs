//! `phoenix SUITE_DIR TESTCASE...` (spec §11): the skeleton of a suite and its cases, which
//! `utah -r SUITE_DIR/master.run` runs as written: `master.run` (the suite fetched from
//! beside it), `ts_control` (every key commented), `tslist.run`, and per case a
//! `tc_control` whose command runs the case's `test.sh`, a placeholder that passes and says
//! it is one. An existing suite gains the new cases; an existing case is left alone.

use super::yaml::Value;
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
    let (mut list, listed) = existing_list(&list_path)?;
    for case in cases {
        write_new(
            &suite_dir.join(case).join("tc_control"),
            &tc_control(case),
            &mut said,
        )?;
        let script = suite_dir.join(case).join("test.sh");
        write_new(&script, &test_script(case), &mut said)?;
        make_executable(&script).map_err(|e| io(&script, e))?;
        let line = format!("- test: {}\n", scalar(case));
        if !listed.contains(case) && !list.contains(&line) {
            if !list.is_empty() && !list.ends_with('\n') {
                list.push('\n');
            }
            list.push_str(&line);
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

/// The text of an existing `tslist.run` (empty when there is none) and the cases it lists;
/// one that cannot be read, or is not a block list phoenix can add a line to, is left alone.
fn existing_list(path: &Path) -> Result<(String, Vec<String>), String> {
    if !path.exists() {
        return Ok((String::new(), Vec::new()));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read {}: {}",
            path.display(),
            crate::sys::io_reason(&e)
        )
    })?;
    let doc = super::yaml::parse(path, &bytes).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let items = match &doc.root.value {
        Value::Null => Vec::new(),
        Value::List(items) if text.lines().any(|l| l.starts_with('-')) => items.clone(),
        _ => {
            return Err(format!(
                "{}: not a block list (`- test: NAME` lines); add the cases to it by hand",
                path.display()
            ));
        }
    };
    let listed = items
        .iter()
        .filter_map(|item| match &item.value {
            Value::Map(entries) => {
                entries
                    .iter()
                    .find(|(k, _)| k.name == "test")
                    .and_then(|(_, v)| match &v.value {
                        Value::Str(s) => Some(s.clone()),
                        _ => None,
                    })
            }
            _ => None,
        })
        .collect();
    Ok((text, listed))
}

/// `text` as a YAML string: plain when YAML 1.2 reads it back as that string, else quoted.
fn scalar(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && !["true", "false", "null", "yes", "no", "on", "off"]
            .contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
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
  - name: {}
    fetch_method: dev
    fetch_location: ./
",
        scalar(name)
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
        "description: {}
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
",
        scalar(&format!("{case}: describe what the test checks"))
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
