//! The Scheme engine is created only when something needs it; runaway code is stopped.

use crate::harness::{Area, basic_area};

const CREATED: &str = "debug(2): creating the Scheme engine";

#[test]
fn version_and_plain_configs_never_create_the_engine() {
    let version = Area::new().megatest(&["-version", "-debug", "2"]).run();
    version.success();
    assert!(!version.stderr.contains(CREATED), "{}", version.stderr);
    let area = basic_area();
    let out = area.megatest(&["-show-config", "-debug", "2"]).run();
    out.success();
    assert!(
        out.stderr
            .contains("Scheme engine created in this process: no"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(CREATED), "{}", out.stderr);
}

#[test]
fn a_scheme_form_creates_it() {
    let area = Area::new().file("megatest.config", "[s]\nv #{scheme (* 6 7)}\n");
    let out = area
        .megatest(&["-show-config", "-section", "s", "-var", "v", "-debug", "2"])
        .run();
    assert_eq!(out.success(), "42\n");
    assert!(out.stderr.contains(CREATED), "{}", out.stderr);
}

#[test]
fn runaway_code_is_interrupted() {
    let area = Area::new().file("megatest.config", "[s]\nv #{scheme (let loop () (loop))}\n");
    let out = area
        .megatest(&["-strict", "-show-config"])
        .env("MEGATEST_SCHEME_TIMEOUT", "0.5")
        .run();
    let err = out.failure(1);
    assert!(err.contains("evaluation interrupted after 0.5 s"), "{err}");
    assert!(err.contains("megatest.config:2:"), "{err}");
}

#[test]
fn scheme_sees_arguments_and_environment() {
    let area = Area::new().file(
        "megatest.config",
        "[fields]\nk1 TEXT\n[s]\ntarget #{scheme (args:get-arg \"-target\")}\nenv #{scheme (conc (get-environment-variable \"k1\") \"!\")}\nout #{scheme (display \"printed\") 1}\n",
    );
    let out = area
        .megatest(&["-show-config", "-target", "abc", "-dumpmode", "json"])
        .run();
    let value: serde_json::Value = serde_json::from_str(out.success()).unwrap();
    assert_eq!(value["s"]["target"], "abc");
    assert_eq!(value["s"]["env"], "abc!");
    assert_eq!(value["s"]["out"], "1");
    assert!(
        out.stderr.contains("printed"),
        "printed output goes to stderr: {}",
        out.stderr
    );
}

#[test]
fn ctrl_c_stops_load_outside_an_area_too() {
    let dir = Area::new().file(
        "loop.scm",
        "(system \"touch looping\")\n(let loop () (loop))\n",
    );
    let mut child = dir.megatest(&["-load", "loop.scm"]).spawn();
    let waiting = std::time::Instant::now();
    while !dir.path().join("looping").exists() {
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(60),
            "never looped"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            panic!("Ctrl-C did not stop the evaluation");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1), "an interrupted -load fails");
}
