//! `-show-runconfig`: default and target values with wildcard and regex sections applied.

use crate::harness::basic_area;

#[test]
fn target_sections_with_wildcards_and_regexes() {
    let area = basic_area();
    let out = area
        .megatest(&["-show-runconfig", "-target", "ubuntu/nfs"])
        .run();
    assert_eq!(
        out.success(),
        "\n[default]\nALLTESTS see this variable\nV from-default\n\n[ubuntu/nfs]\nV from-target\nWILD wildcard\nRX regex\n"
    );
    let json = area
        .megatest(&[
            "-show-runconfig",
            "-target",
            "debian/afs",
            "-dumpmode",
            "json",
        ])
        .run();
    let value: serde_json::Value = serde_json::from_str(json.success()).unwrap();
    assert_eq!(value["debian/afs"]["RX"], "regex");
    assert!(value["debian/afs"].get("WILD").is_none());
    assert_eq!(
        value.as_object().unwrap().len(),
        2,
        "only default and the target"
    );
}

#[test]
fn section_var_falls_back_to_default() {
    let area = basic_area();
    let get = |target: &str, var: &str| {
        area.megatest(&[
            "-show-runconfig",
            "-target",
            target,
            "-section",
            target,
            "-var",
            var,
        ])
        .run()
        .success()
        .to_string()
    };
    assert_eq!(get("ubuntu/nfs", "V"), "from-target\n");
    assert_eq!(get("ubuntu/nfs", "ALLTESTS"), "see this variable\n");
    assert_eq!(get("centos/afs", "V"), "centos\n");
}

#[test]
fn target_from_mt_target_and_reqtarg() {
    let area = basic_area();
    let out = area
        .megatest(&["-show-runconfig", "-section", "ubuntu/nfs", "-var", "V"])
        .env("MT_TARGET", "ubuntu/nfs")
        .run();
    assert_eq!(out.success(), "from-target\n");
    let ok = area
        .megatest(&[
            "-show-runconfig",
            "-reqtarg",
            "centos/afs",
            "-section",
            "centos/afs",
            "-var",
            "V",
        ])
        .run();
    assert_eq!(ok.success(), "centos\n");
    let missing = area
        .megatest(&["-show-runconfig", "-reqtarg", "debian/nfs"])
        .run();
    assert!(
        missing.failure(1).contains("[debian/nfs] not found in"),
        "{}",
        missing.stderr
    );
}

#[test]
fn without_target_every_section() {
    let area = basic_area();
    let out = area
        .megatest(&["-show-runconfig", "-dumpmode", "json"])
        .run();
    let value: serde_json::Value = serde_json::from_str(out.success()).unwrap();
    let names: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(value["ubuntu/nfs"]["WILD"], "wildcard");
}

#[test]
fn rget_and_key_variables_in_runconfigs() {
    let area = basic_area().file(
        "runconfigs.config",
        "
        [default]
        BASE /opt/#{getenv sysname}
        TOOL #{rget BASE}/bin
        [ubuntu/nfs]
        BASE /ubuntu/#{getenv fsname}
        LIST [system echo #{rget BASE}]
        ",
    );
    let out = area
        .megatest(&[
            "-show-runconfig",
            "-target",
            "ubuntu/nfs",
            "-dumpmode",
            "json",
        ])
        .run();
    let value: serde_json::Value = serde_json::from_str(out.success()).unwrap();
    assert_eq!(value["default"]["TOOL"], "/opt/ubuntu/bin");
    assert_eq!(value["ubuntu/nfs"]["LIST"], "/ubuntu/nfs");
}
