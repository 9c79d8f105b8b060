//! The command line: options, help, version, exit codes.

use crate::harness::{Area, basic_area};

#[test]
fn version_prints_the_megatest_version() {
    let out = Area::new().megatest(&["-version"]).run();
    assert!(
        out.success().starts_with("1.6501 (megatest-rs "),
        "{}",
        out.stdout
    );
}

#[test]
fn help_lists_every_option_one_line_each_in_groups() {
    let out = Area::new().megatest(&["-h"]).run();
    let text = out.success();
    for option in megatest::cli::OPTIONS {
        let lines = text
            .lines()
            .filter(|l| {
                l.trim_start().starts_with(&format!("{} ", option.name))
                    || l.trim_start().starts_with(&format!("{},", option.name))
            })
            .count();
        assert_eq!(lines, 1, "option {} in:\n{text}", option.name);
    }
    let running = text.find("\nRunning\n").unwrap();
    let queries = text.find("\nQueries\n").unwrap();
    assert!(running < queries);
    assert!(text.contains("-run, -runall"));
    assert_eq!(Area::new().megatest(&["--help"]).run().success(), text);
    assert_eq!(
        Area::new().megatest(&[]).run().success(),
        text,
        "no action prints the help"
    );
}

#[test]
fn two_dashes_work_too() {
    let area = basic_area();
    let one = area.megatest(&["-show-keys"]).run();
    let two = area.megatest(&["--show-keys"]).run();
    assert_eq!(one.success(), "Keys: sysname, fsname\n");
    assert_eq!(two.success(), one.stdout);
}

#[test]
fn list_disks_and_show_keys() {
    let area = basic_area();
    assert_eq!(
        area.megatest(&["-list-disks"]).run().success(),
        "disk0 => /tmp/disk0\n"
    );
    assert_eq!(
        area.megatest(&["-showkeys"]).run().success(),
        "Keys: sysname, fsname\n"
    );
}

#[test]
fn list_targets_sorted_filtered_and_json() {
    let area = basic_area();
    assert_eq!(
        area.megatest(&["-list-targets"]).run().success(),
        "centos/afs\ndefault\nubuntu/nfs\n"
    );
    assert_eq!(
        area.megatest(&["-list-targets", "-target", "ubuntu/%,centos/x"])
            .run()
            .success(),
        "ubuntu/nfs\n"
    );
    let json = area.megatest(&["-list-targets", "-dumpmode", "json"]).run();
    let list: Vec<String> = serde_json::from_str(json.success()).unwrap();
    assert_eq!(list, ["centos/afs", "default", "ubuntu/nfs"]);
}

#[test]
fn start_dir_and_search_upwards() {
    let area = basic_area().file("tests/t1/testconfig", "[ezsteps]\n");
    let from_below = area.megatest(&["-show-keys"]).in_dir("tests/t1").run();
    assert_eq!(from_below.success(), "Keys: sysname, fsname\n");
    let elsewhere = Area::new();
    let path = area.path().display().to_string();
    let out = elsewhere
        .megatest(&["-start-dir", &path, "-show-keys"])
        .run();
    assert_eq!(out.success(), "Keys: sysname, fsname\n");
}

#[test]
fn config_option_names_another_file() {
    let area = Area::new().file("alt/my.config", "[fields]\nonly TEXT\n");
    assert_eq!(
        area.megatest(&["-config", "alt/my.config", "-show-keys"])
            .run()
            .success(),
        "Keys: only\n"
    );
    let home = area.path().join("alt").display().to_string();
    let out = area
        .megatest(&["-config", "my.config", "-show-keys"])
        .env("MT_RUN_AREA_HOME", &home)
        .run();
    assert_eq!(out.success(), "Keys: only\n");
}

#[test]
fn log_option_sends_megatest_output_to_a_file() {
    let area = basic_area();
    let out = area
        .megatest(&["-log", "logs/mt.log", "-debug", "2", "-show-keys"])
        .run();
    out.success();
    assert!(!out.stderr.contains("debug(2)"), "{}", out.stderr);
    let log = std::fs::read_to_string(area.path().join("logs/mt.log")).unwrap();
    assert!(log.contains("debug(2): reading"), "{log}");
}

#[test]
fn actions_not_available_yet_say_so() {
    let out = basic_area().megatest(&["-refdb2dat", "refdb"]).run();
    assert!(
        out.failure(64)
            .contains("`-refdb2dat` is not available yet"),
        "{}",
        out.stderr
    );
}

#[test]
fn quickstart_example_reads() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let dir = example.display().to_string();
    let area = Area::new();
    let out = area
        .megatest(&[
            "-start-dir",
            &dir,
            "-show-runconfig",
            "-target",
            "linux/release",
            "-dumpmode",
            "json",
        ])
        .run();
    let value: serde_json::Value = serde_json::from_str(out.success()).unwrap();
    assert_eq!(value["linux/release"]["OPTLEVEL"], "3");
    assert_eq!(value["linux/release"]["CC"], "gcc");
    let debug = area
        .megatest(&[
            "-start-dir",
            &dir,
            "-show-runconfig",
            "-target",
            "mac/debug",
            "-section",
            "mac/debug",
            "-var",
            "OPTLEVEL",
        ])
        .run();
    assert_eq!(debug.success(), "0\n");
    let keys = area.megatest(&["-start-dir", &dir, "-show-keys"]).run();
    assert_eq!(keys.success(), "Keys: platform, variant\n");
    let opts = megatest::config::ReadOptions::new(&example);
    let mut tests = 0;
    for entry in std::fs::read_dir(example.join("tests")).unwrap() {
        let testconfig = entry.unwrap().path().join("testconfig");
        let config = megatest::config::read_file(&testconfig, &opts)
            .unwrap()
            .unwrap();
        assert!(config.has_section("ezsteps"), "{}", testconfig.display());
        tests += 1;
    }
    assert_eq!(tests, 5);
}
